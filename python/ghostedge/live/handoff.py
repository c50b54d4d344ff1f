"""Results from the inference worker to the host's threads, without copies and without a
result changing while a thread holds it (docs/plugin-api.md, "Result lifetime").

Buffers: one being written by the worker, one published, one held by each reader thread (up to
``max_readers``), and one "no result yet" buffer that is never written. A reader thread's call
moves *its own* hold to the published buffer; the worker writes only into a buffer that is
neither published nor held by anyone, so a thread's result stays intact until that thread
calls again, however many results are published meanwhile and whatever other threads do.

Each reader thread gets its own :class:`GhostResult` view object (read-only arrays over the
buffer it holds, and its own copy of the per-call fields: age, staleness, counters), so two
threads holding the same buffer never see each other's per-call fields change either.

Only index bookkeeping happens under the lock (microseconds); arrays are neither copied nor
allocated there, except for a thread beyond ``max_readers`` (see :meth:`latest`).
"""

from __future__ import annotations

import threading

from .result import GhostResult


class ResultHandoff:
    """The worker's ``begin_write`` / ``publish`` and the readers' ``latest`` (see module doc)."""

    def __init__(self, max_defenders: int, max_receivers: int, horizon: int, dt_s: float,
                 max_readers: int) -> None:
        if max_readers < 1:
            raise ValueError(f"max_result_readers must be >= 1, got {max_readers}")
        self.max_defenders, self.max_receivers = int(max_defenders), int(max_receivers)
        self.max_readers = int(max_readers)
        n_write = self.max_readers + 2  # one held per reader, one published, one being written
        self._slots = [GhostResult(self.max_defenders, self.max_receivers, horizon, dt_s)
                       for _ in range(n_write)]
        self._empty = n_write  # index of the "no result yet" buffer: never written
        self._slots.append(GhostResult(1, 1, horizon, dt_s))
        self._views = [GhostResult._reader_view(horizon, dt_s) for _ in range(self.max_readers)]
        self._held = [-1] * self.max_readers  # buffer index each reader holds (-1: none)
        self._reader_of: dict[int, int] = {}  # thread ident -> reader index
        self._published = self._empty
        self._writing = -1
        self._sequence = 0
        self._token: object = None  # what a publication must belong to (the current play)
        self._lock = threading.Lock()
        self.copies_handed_out = 0  # answers to threads beyond max_readers (copies)

    # -- the worker -------------------------------------------------------------------------
    def begin_write(self) -> GhostResult:
        """A buffer no reader holds and that is not published, for the worker to fill."""
        with self._lock:
            for i in range(self._empty):
                if i != self._published and i not in self._held:
                    self._writing = i
                    return self._slots[i]
        raise RuntimeError("no free result buffer")  # unreachable: readers + 2 buffers

    def publish(self, result: GhostResult, token: object, accept: bool = True) -> bool:
        """Publish the buffer from :meth:`begin_write` if it belongs to ``token`` (the current
        play, see :meth:`clear`) and ``accept``; else it is dropped. Returns whether it was
        published (then ``result.sequence`` is its publication number)."""
        with self._lock:
            index, self._writing = self._writing, -1
            if not accept or token is not self._token or self._slots[index] is not result:
                return False
            self._sequence += 1
            result.sequence = self._sequence
            self._published = index
            return True

    def clear(self, token: object) -> None:
        """A new play: publish "no result yet"; from now on only results of ``token`` publish."""
        with self._lock:
            self._token = token
            self._published = self._empty

    # -- the readers ------------------------------------------------------------------------
    def latest(self) -> GhostResult:
        """The calling thread's view of the newest published result; its previous result from
        this handoff is released. A thread beyond ``max_readers`` (while all reader places are
        taken by live threads) gets a copy instead (allocates; counted in
        ``copies_handed_out``)."""
        ident = threading.get_ident()
        with self._lock:
            reader = self._reader_of.get(ident)
            if reader is None:
                reader = self._register(ident)
            if reader is None:
                self.copies_handed_out += 1
                return self._slots[self._published].copy()  # under the lock: it cannot change
            self._held[reader] = self._published
            source = self._slots[self._published]
        view = self._views[reader]
        view._show(source)  # source is held by this thread now: the worker leaves it alone
        return view

    def release(self) -> bool:
        """The calling thread gives up its hold and its reader place. True if it had one."""
        with self._lock:
            reader = self._reader_of.pop(threading.get_ident(), None)
            if reader is None:
                return False
            self._held[reader] = -1
            return True

    @property
    def readers(self) -> int:
        return len(self._reader_of)

    def _register(self, ident: int) -> int | None:
        """A reader place for a new thread (under the lock); places of threads that have ended
        are reclaimed first. None when every place belongs to a live thread."""
        if len(self._reader_of) >= self.max_readers:
            alive = {t.ident for t in threading.enumerate()}
            for gone in [i for i in self._reader_of if i not in alive]:
                self._held[self._reader_of.pop(gone)] = -1
        taken = set(self._reader_of.values())
        for reader in range(self.max_readers):
            if reader not in taken:
                self._reader_of[ident] = reader
                return reader
        return None
