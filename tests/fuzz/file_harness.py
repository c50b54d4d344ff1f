"""What the atheris harnesses of file loaders share: each input is written to one scratch file
(on a RAM disk when there is one) and handed to the loader by path, as users do."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable

import atheris

# A hostile file may name a frame range of billions; the loaders must refuse it, not allocate
# it. Longer inputs only slow the fuzzer down.
MAX_INPUT_BYTES = 1 << 16


def run(name: str, load: Callable[[str], None]) -> None:
    """Fuzz ``load(path)`` (it raises on a finding, returns otherwise) with atheris."""
    scratch = os.path.join("/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir(),
                           f"ghostedge-fuzz-{name}-{os.getpid()}")

    def one_input(data: bytes) -> None:
        if len(data) > MAX_INPUT_BYTES:
            return
        with open(scratch, "wb") as f:
            f.write(data)
        try:
            load(scratch)
        finally:  # removed every time: atheris ends the process without unwinding
            os.unlink(scratch)

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
