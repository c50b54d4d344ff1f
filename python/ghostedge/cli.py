"""The `ghostedge` command line. Each subcommand is a module in ``ghostedge.commands`` that
defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``; modules keep
heavy imports inside ``run`` so that ``--help`` stays instant."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from . import __version__, commands


def _command_modules():
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{commands.__name__}.{info.name}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ghostedge",
        description=(
            "Live defender ghosting for American football: from radio tag reads to predicted "
            "defensive-back trajectories for every receiver, scored with a composite metric.\n\n"
            "Start with `ghostedge replay` (no arguments): it replays sample plays shipped in the "
            "package through the whole pipeline and writes pictures and a summary."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ghostedge {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 0
    try:
        return int(args._run(args) or 0)
    except (FileNotFoundError, ValueError, KeyError) as exc:  # user errors: one clear line
        print(f"ghostedge {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
