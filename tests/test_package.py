"""The package as a user meets it: top-level names, the compiled core, the CLI."""

from __future__ import annotations

import subprocess
import sys

import pytest

import ghostedge
from ghostedge import _core, cli


def test_compiled_core_matches_package_version():
    assert _core.__version__ == ghostedge.__version__


@pytest.mark.parametrize("name", [n for n in ghostedge.__all__ if n != "__version__"])
def test_top_level_names_resolve(name):
    assert getattr(ghostedge, name) is not None


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError):
        ghostedge.no_such_thing  # noqa: B018


def test_cli_lists_every_subcommand():
    help_text = cli.build_parser().format_help()
    for command in ("replay", "inspect", "ingest-eval", "train", "evaluate", "decisions",
                    "serve", "simulate", "soak"):
        assert command in help_text


def test_cli_reports_a_missing_data_dir_as_a_clear_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "ghostedge", "inspect", str(tmp_path / "nope")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "nope" in proc.stderr and "Traceback" not in proc.stderr
