"""``dip super-resolve``: upscale a photo 2, 4 or 8 times."""

from __future__ import annotations

import argparse

from . import _single

__all__ = ["register", "run"]

_EPILOG = """\
The result is SCALE times wider and taller; an alpha channel is upscaled bicubically. The fit
makes the result's Lanczos-downscaled version match IMAGE, and the network's structure chooses
among the many large images that do.

examples:
  dip super-resolve small.png --scale 4 -o large.png
  dip super-resolve icon.png --scale 8 -o icon_x8.png --preset fast

exit status: 0 done, 2 bad input (message on stderr), 130 interrupted.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "super-resolve",
        help="upscale 2, 4 or 8 times",
        description="Upscale a photo with Deep Image Prior (energy ||d(x) - x0||^2 with a Lanczos "
        "downsampler d).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("image", metavar="IMAGE", help="the photo to upscale")
    p.add_argument("--scale", type=int, choices=(2, 4, 8), required=True, help="upscaling factor")
    _single.add_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``dip super-resolve`` with parsed ``args``; return the exit status."""
    from ..engine import super_resolve

    return _single.run_single(args, super_resolve, args.scale, scale=args.scale)
