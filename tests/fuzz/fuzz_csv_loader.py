"""atheris harness: raw bytes -> tracking CSV loader (format detection included) -> Play objects.

Contract under test: any byte string either loads, or raises ``ValueError`` with a message
(``DataFormatError``, pandas' ``ParserError`` and ``UnicodeDecodeError`` are all ValueErrors).
Any other exception, a crash or a hang is a finding. Run through ``tools/fuzz.sh``, or alone:

    python3 tests/fuzz/fuzz_csv_loader.py tests/fuzz/corpus/csv_loader -max_total_time=60
"""

from __future__ import annotations

import os
import sys
import tempfile

import atheris

with atheris.instrument_imports(include=["ghostedge"]):
    from ghostedge.data import load_dataset

# The loader reads paths (it sniffs the header, then parses): one scratch file, rewritten per
# input, on a RAM disk when there is one.
SCRATCH = os.path.join("/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir(),
                       f"ghostedge-fuzz-{os.getpid()}.csv")

# A hostile file may name a frame range of billions; the loader must refuse it, not allocate it.
MAX_INPUT_BYTES = 1 << 16


def one_input(data: bytes) -> None:
    if len(data) > MAX_INPUT_BYTES:
        return
    with open(SCRATCH, "wb") as f:
        f.write(data)
    try:
        dataset = load_dataset(SCRATCH)
        for _ in dataset.iter_plays():
            pass
    except ValueError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    try:
        atheris.Fuzz()
    finally:
        if os.path.exists(SCRATCH):
            os.unlink(SCRATCH)


if __name__ == "__main__":
    main()
