"""``dip app [IMAGE]``: open the desktop app."""

from __future__ import annotations

import argparse
import stat

from . import CliError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "app",
        help="open the desktop app: paint a mask, watch the fill appear live",
        description="Open the desktop app, optionally with an image (and a mask, white = hole).",
    )
    parser.add_argument("image", nargs="?", help="image to open")
    parser.add_argument("--mask", help="mask to load with the image (white = hole)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"),
                        help="where the fit runs (default: auto = CUDA, then MPS, then CPU)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ._common import probe

    for what, path in (("image", args.image), ("mask", args.mask)):
        if path is None:
            continue
        found = probe(path, what)  # a folder on the way that cannot be searched: one line that says so
        if found is None or not stat.S_ISREG(found.st_mode):
            raise CliError(f"{what} {path}: no such file")
    if args.mask is not None and args.image is None:
        raise CliError("--mask needs an image to go with it")
    from ..app import display_problem

    problem = display_problem()
    if problem is not None:
        raise CliError(problem)
    try:
        import PyQt6.QtWidgets  # noqa: F401
    except ImportError as exc:
        raise CliError(f"the app needs PyQt6 ({exc}); install it with: pip install PyQt6") from None
    from ..app import main

    argv = [args.image] if args.image else []
    if args.mask:
        argv += ["--mask", args.mask]
    argv += ["--device", args.device]
    return main(argv)
