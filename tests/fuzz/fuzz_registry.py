"""atheris harness: raw bytes -> the tag registry file loader (``Registry.from_csv``).

Contract under test: any byte string either loads into a valid registry, or raises
``ValueError`` (``RegistryError``, ``UnicodeDecodeError``) with a message. Any other exception,
a crash or a hang is a finding. Run through ``tools/fuzz.sh``, or alone:

    python3 tests/fuzz/fuzz_registry.py tests/fuzz/corpus/registry -max_total_time=60
"""

from __future__ import annotations

import atheris
import file_harness

with atheris.instrument_imports(include=["ghostedge"]):
    from ghostedge.ingest.registry import Registry


def load(path: str) -> None:
    try:
        registry = Registry.from_csv(path)
    except ValueError:
        return
    # A registry that loaded must answer lookups for every tag it holds.
    for tag in registry.tag_ids[:64]:
        if registry.lookup(int(tag)) is None:
            raise AssertionError(f"tag {int(tag)} loaded but not found")


if __name__ == "__main__":
    file_harness.run("registry", load)
