"""``dip flash-no-flash``: the light of a no-flash photo with the clean detail of a flash photo."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import CliError, _single
from . import _common as common

__all__ = ["register", "run"]

_EPILOG = """\
Both photos must show the same scene from the same place (a tripod, or aligned beforehand) and
have the same width and height. The result has the no-flash photo's colours, light, format and
alpha.

example:
  dip flash-no-flash --flash with_flash.jpg --no-flash without_flash.jpg -o combined.png

exit status: 0 done, 2 bad input (message on stderr), 130 interrupted.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "flash-no-flash",
        help="combine a flash and a no-flash photo: natural light, low noise",
        description="Fit the no-flash photo with Deep Image Prior, using the flash photo as the "
        "network's input.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--flash", required=True, metavar="FLASH", help="the photo taken with flash")
    p.add_argument("--no-flash", required=True, metavar="NO_FLASH", help="the (noisy) photo taken without flash")
    common.add_common_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``dip flash-no-flash`` with parsed ``args``; return the exit status."""
    output = common.check_output(args.output, args.flash, args.no_flash)
    common.check_side_outputs(args, output, args.flash, args.no_flash)
    flash = common.read_image(args.flash)
    no_flash = common.read_image(args.no_flash)
    if flash.pixels.shape[:2] != no_flash.pixels.shape[:2]:
        fh, fw = flash.pixels.shape[:2]
        nh, nw = no_flash.pixels.shape[:2]
        raise CliError(f"--flash is {fw}×{fh} pixels but --no-flash is {nw}×{nh}; they must be the same size "
                       "(align and crop them first)")
    common.check_result(args, output, no_flash)
    common.check_options(args)

    from ..engine import flash_no_flash

    return _single.finish(args, output, no_flash, flash_no_flash, flash.pixels, no_flash.pixels,
                          label=Path(args.no_flash).name)
