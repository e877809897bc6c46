"""The ``dip`` command.

Each subcommand lives in its own module ``dip_plugin.cli.cmd_<name>`` that defines
``register(subparsers)``; the module adds its parser and sets ``func`` to a callable taking the
parsed arguments and returning an exit code.  Heavy imports (torch, Qt) happen inside ``func``.

Errors the user can fix are raised as :class:`CliError` and turned into one line
``dip: error: ...`` with exit status 2 here, at the top, and nowhere else.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__

__all__ = ["CliError", "main"]

# Order = order in `dip --help`.
_COMMANDS = ("inpaint", "denoise", "super_resolve", "jpeg", "flash_no_flash", "suggest_mask", "app", "gimp")


class CliError(Exception):
    """A problem with the user's input: printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dip",
        description="Deep Image Prior restoration: fill holes, remove noise, upscale — no training data.",
    )
    parser.add_argument("--version", action="version", version=f"dip {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        try:
            module = importlib.import_module(f"{__name__}.cmd_{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.cmd_{name}":
                continue  # command not built yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``dip`` with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"dip: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dip: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
