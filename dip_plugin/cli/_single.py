"""What the one-image restoration commands (denoise, jpeg, super-resolve, flash-no-flash) share.

Each takes an IMAGE, the common options of :mod:`dip_plugin.cli._common`, runs one engine call
with a progress bar, and writes the result atomically with the input's metadata.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import _common as common

__all__ = ["add_options", "finish", "run_single"]


def add_options(parser: argparse.ArgumentParser) -> None:
    """The common options, with -o described for one result file."""
    common.add_common_options(parser)


def run_single(args: argparse.Namespace, fn: Callable[..., np.ndarray], *extra: Any, scale: int = 1) -> int:
    """Check paths, read ``args.image``, run ``fn(pixels, *extra, ...)``, write ``args.output``.

    ``scale``: the result is that many times wider and taller than the image.
    """
    output = common.check_output(args.output, args.image)
    common.check_side_outputs(args, output, args.image)
    image = common.read_image(args.image)
    h, w = image.pixels.shape[:2]
    common.check_result(args, output, image, size=(w * scale, h * scale))
    common.check_options(args)  # imports the engine: after the quick checks of the files
    return finish(args, output, image, fn, image.pixels, *extra, label=Path(args.image).name)


def finish(args: argparse.Namespace, output: Path, like: Any, fn: Callable[..., np.ndarray], *inputs: Any,
           label: str) -> int:
    """Run the engine on ``inputs``, write the result like ``like``, say so unless ``--quiet``."""
    started = time.perf_counter()
    result = common.run_engine(fn, *inputs, args=args, label=label,
                               save=lambda r: common.write_image(output, r, like=like))
    if not args.quiet:
        h, w = result.shape[:2]
        print(f"dip: wrote {output} ({w}×{h}, {time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return 0
