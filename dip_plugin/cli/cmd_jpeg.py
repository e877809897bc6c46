"""``dip jpeg``: remove JPEG blocking and ringing from a compressed photo."""

from __future__ import annotations

import argparse

from . import _single

__all__ = ["register", "run"]

_EPILOG = """\
IMAGE is usually a .jpg; any format is read. Write the result to a lossless format (.png, .tif)
or at high JPEG quality, or new artifacts come back.

examples:
  dip jpeg compressed.jpg -o restored.png
  dip jpeg old_web_image.jpg -o restored.png --preset fast

exit status: 0 done, 2 bad input (message on stderr), 130 interrupted.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "jpeg",
        help="remove JPEG compression artifacts (blocks, ringing)",
        description="Remove JPEG blocking and ringing with Deep Image Prior.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("image", metavar="IMAGE", help="the compressed photo")
    _single.add_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``dip jpeg`` with parsed ``args``; return the exit status."""
    from ..engine import remove_jpeg_artifacts

    return _single.run_single(args, remove_jpeg_artifacts)
