"""``dip suggest-mask``: propose a scratch and dust mask for an old scan, to edit and then inpaint."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from . import CliError
from . import _common as common

__all__ = ["register", "run"]

_EPILOG = """\
The mask is white (255) on suspected scratches and dust and black elsewhere: the format that
dip inpaint --mask reads. Look it over before inpainting: thin real features (wires, hair,
catch-lights) can be picked up too; paint them black, or lower --sensitivity.

examples:
  dip suggest-mask scan.png -o scratches.png
  dip inpaint scan.png --mask scratches.png -o restored.png
  dip suggest-mask scan.tif -o mask.png --sensitivity 0.7 --max-width 5 --grow 2

exit status: 0 done, 2 bad input (message on stderr).
"""


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "suggest-mask",
        help="propose a scratch/dust mask for an old photo (edit it, then dip inpaint)",
        description="Find thin bright or dark defects (scratches, dust, hairs) on a scanned photo and "
        "write them as a mask. No network is fitted: this takes about a second.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("image", metavar="IMAGE", help="the scanned photo")
    p.add_argument("-o", "--output", required=True, metavar="MASK",
                   help="where to write the mask (.png recommended; white = defect)")
    p.add_argument("--sensitivity", type=_fraction, default=0.5, metavar="S",
                   help="0 to 1: higher finds fainter defects, and more false alarms (default: 0.5)")
    p.add_argument("--max-width", type=int, default=3, metavar="PX",
                   help="widest defect to look for, in pixels, 1 to 32 (default: 3)")
    p.add_argument("--grow", type=int, default=1, metavar="PX",
                   help="grow the mask by this many pixels, 0 to 16, to cover soft edges (default: 1)")
    p.add_argument("-q", "--quiet", action="store_true", help="no messages, only errors")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``dip suggest-mask`` with parsed ``args``; return the exit status."""
    output = common.check_output(args.output, args.image)
    if not 1 <= args.max_width <= 32:
        raise CliError(f"--max-width must be from 1 to 32, got {args.max_width}")
    if not 0 <= args.grow <= 16:
        raise CliError(f"--grow must be from 0 to 16, got {args.grow}")
    image = common.read_image(args.image)

    from ..engine import suggest_mask

    try:
        mask = suggest_mask(image.pixels, sensitivity=args.sensitivity, max_width=args.max_width, grow=args.grow)
    except (TypeError, ValueError) as exc:
        raise CliError(" ".join(str(exc).split())) from None
    common.write_image(output, np.where(mask, 255, 0).astype(np.uint8))
    if not args.quiet:
        share = 100.0 * float(mask.mean())
        print(f"dip: wrote {output}: {int(mask.sum())} pixels marked ({share:.2f}% of the image)", file=sys.stderr)
    return 0
