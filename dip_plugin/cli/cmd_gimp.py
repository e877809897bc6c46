"""``dip gimp install|uninstall``: put the GIMP 3 plug-in into a GIMP profile, or take it out."""

from __future__ import annotations

import argparse

from . import CliError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``dip gimp``."""
    parser = subparsers.add_parser(
        "gimp", help="install or remove the GIMP 3 plug-in",
        description="Install or remove the GIMP 3 plug-in (Filters ▸ Enhance ▸ Deep Image Prior Inpaint…). "
                    "The plug-in runs its work with the Python that ran `dip gimp install`.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, text in (("install", "install the plug-in and record this Python for it"),
                       ("uninstall", "remove the plug-in")):
        action = actions.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        action.add_argument("--gimp-dir", metavar="DIR",
                            help="GIMP 3 profile folder (default: the user's, e.g. ~/.config/GIMP/3.0 on Linux)")
        action.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ..gimp_bridge import install

    if args.gimp_dir is not None and not args.gimp_dir.strip():
        raise CliError("--gimp-dir is empty; give the GIMP 3 profile folder (e.g. ~/.config/GIMP/3.0), or leave "
                       "the option out for the user's")
    try:
        if args.action == "install":
            done = install.install(args.gimp_dir)
        else:
            done = install.uninstall(args.gimp_dir)
    except (OSError, ValueError) as exc:
        raise CliError(f"{args.action} failed: {exc}") from None
    for line in done:
        print(line)
    return 0
