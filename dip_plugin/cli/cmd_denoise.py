"""``dip denoise``: remove noise from a photo; the noise level need not be known."""

from __future__ import annotations

import argparse

from . import _single

__all__ = ["register", "run"]

_EPILOG = """\
The fit stops by itself once it would start to reproduce the noise (judged on held-out pixels
and on the noise level measured in the photo), so --iterations is only a cap. It works best on
noise that is independent from pixel to pixel (sensor noise at full resolution); strongly
compressed or resized noise looks like texture to it.

examples:
  dip denoise noisy.png -o clean.png
  dip denoise scan.tif -o clean.tif --preset quality --device cuda

exit status: 0 done, 2 bad input (message on stderr), 130 interrupted.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "denoise",
        help="remove noise (blind: the noise level is measured, not asked for)",
        description="Remove noise from a photo with Deep Image Prior. Large photos are restored in "
        "overlapping tiles.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("image", metavar="IMAGE", help="the noisy photo")
    _single.add_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``dip denoise`` with parsed ``args``; return the exit status."""
    from ..engine import denoise

    return _single.run_single(args, denoise)
