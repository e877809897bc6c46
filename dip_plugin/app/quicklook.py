"""Which part of the image a Quick look restores.

A Quick look runs the current task on a small region only, so that a preset can be judged in seconds
instead of minutes.  :func:`quick_look_region` turns what the user looks at (the part of the image in the
view, or a rectangle drawn with the Region tool) into that region: inside the image, at most
:data:`QUICK_LOOK_SIZE` pixels on a side of the *output* (so ``QUICK_LOOK_SIZE // scale`` of the input for
an upscaling), and centred on what the user looks at.  No Qt here: the rule is tested on its own.

Example
-------
>>> quick_look_region((0, 0, 1000, 800), (800, 1000))   # all of a 1000×800 image in view
Region(left=372, top=272, width=256, height=256)
>>> quick_look_region((0, 0, 1000, 800), (800, 1000), scale=2).width
128
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["QUICK_LOOK_MIN", "QUICK_LOOK_SIZE", "Region", "quick_look_region"]

QUICK_LOOK_SIZE = 256
"""Most output pixels on each side of a Quick look (one tile of the engine: seconds on a CPU)."""

QUICK_LOOK_MIN = 32
"""Fewest input pixels on each side (when the image has them): a view zoomed far in still gives the network
something to fit."""


@dataclass(frozen=True)
class Region:
    """A rectangle of image pixels: columns ``left`` … ``left + width - 1``, rows ``top`` … ``top + height - 1``."""

    left: int
    top: int
    width: int
    height: int

    @property
    def right(self) -> int:
        """One past the last column."""
        return self.left + self.width

    @property
    def bottom(self) -> int:
        """One past the last row."""
        return self.top + self.height

    def slices(self) -> tuple[slice, slice]:
        """``(rows, columns)`` to crop an (H, W[, C]) array: ``image[region.slices()]``."""
        return slice(self.top, self.bottom), slice(self.left, self.right)


def _span(lo: float, hi: float, size: int, most: int, least: int) -> tuple[int, int] | None:
    """The whole pixels of [lo, hi) inside [0, size), cut to ``most`` or grown to ``least`` around their centre."""
    start, stop = max(0, math.floor(lo)), min(size, math.ceil(hi))
    if stop <= start:
        return None
    length = min(stop - start, most)
    length = max(length, min(least, size, most))
    centre = (start + stop) / 2
    first = min(max(0, math.floor(centre - length / 2)), size - length)
    return first, length


def quick_look_region(area: tuple[float, float, float, float], image_size: tuple[int, int], *, scale: int = 1,
                      limit: int = QUICK_LOOK_SIZE, minimum: int = QUICK_LOOK_MIN) -> Region | None:
    """The region of an image of ``image_size`` = (height, width) that a Quick look of ``area`` restores.

    Parameters
    ----------
    area : (left, top, right, bottom) in image pixel coordinates (pixel (x, y) covers [x, x+1) × [y, y+1));
        it may reach beyond the image and need not be whole pixels (the part of the image a zoomed view shows).
    image_size : (height, width) of the image.
    scale : how many times larger the task's output is (2 for an upscaling ×2; 1 otherwise).
    limit : most output pixels on each side: the region is at most ``limit // scale`` input pixels on a side,
        taken around the centre of the area's part inside the image.
    minimum : fewest input pixels on each side; a smaller area grows around its centre (within the image and
        the limit).

    Returns
    -------
    The region, or None when the area shows none of the image.

    Example
    -------
    >>> quick_look_region((-20.5, 10.2, 40.7, 60), (96, 96))  # reaches out of the image on the left
    Region(left=0, top=10, width=41, height=50)
    >>> quick_look_region((100, 100, 200, 200), (96, 96)) is None
    True
    """
    if isinstance(scale, bool) or int(scale) < 1:
        raise ValueError(f"scale must be a whole number of at least 1, got {scale!r}")
    height, width = (int(n) for n in image_size)
    left, top, right, bottom = (float(v) for v in area)
    most = max(1, int(limit) // int(scale))
    columns = _span(left, right, width, most, minimum)
    rows = _span(top, bottom, height, most, minimum)
    if columns is None or rows is None:
        return None
    return Region(columns[0], rows[0], columns[1], rows[1])
