"""atheris harness: raw bytes -> tracking CSV loader (format detection included) -> Play objects.

Contract under test: any byte string either loads, or raises ``ValueError`` with a message
(``DataFormatError``, pandas' ``ParserError`` and ``UnicodeDecodeError`` are all ValueErrors).
Any other exception, a crash or a hang is a finding. Run through ``tools/fuzz.sh``, or alone:

    python3 tests/fuzz/fuzz_csv_loader.py tests/fuzz/corpus/csv_loader -max_total_time=60
"""

from __future__ import annotations

import atheris
import file_harness

with atheris.instrument_imports(include=["ghostedge"]):
    from ghostedge.data import load_dataset


def load(path: str) -> None:
    try:
        dataset = load_dataset(path)
        for _ in dataset.iter_plays():
            pass
    except ValueError:
        pass


if __name__ == "__main__":
    file_harness.run("csv", load)
