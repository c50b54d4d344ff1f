"""atheris harness: raw bytes -> the tag registry file loader (``Registry.from_csv``).

Contract under test: any byte string either loads into a valid registry, or raises
``ValueError`` (``RegistryError``, ``UnicodeDecodeError``) with a message. Any other exception,
a crash or a hang is a finding. Run through ``tools/fuzz.sh``, or alone:

    python3 tests/fuzz/fuzz_registry.py tests/fuzz/corpus/registry -max_total_time=60
"""

from __future__ import annotations

import os
import sys
import tempfile

import atheris

with atheris.instrument_imports(include=["ghostedge"]):
    from ghostedge.registry import Registry

SCRATCH = os.path.join("/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir(),
                       f"ghostedge-fuzz-registry-{os.getpid()}.csv")
MAX_INPUT_BYTES = 1 << 16


def one_input(data: bytes) -> None:
    if len(data) > MAX_INPUT_BYTES:
        return
    with open(SCRATCH, "wb") as f:
        f.write(data)
    try:
        registry = Registry.from_csv(SCRATCH)
    except ValueError:
        return
    # A registry that loaded must answer lookups for every tag it holds.
    for tag in registry.tag_ids[:64]:
        if registry.lookup(int(tag)) is None:
            raise AssertionError(f"tag {int(tag)} loaded but not found")


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    try:
        atheris.Fuzz()
    finally:
        if os.path.exists(SCRATCH):
            os.unlink(SCRATCH)


if __name__ == "__main__":
    main()
