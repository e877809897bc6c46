"""Planning where to fit: crops around the holes with context, so cost follows the hole.

A 12-megapixel photo with a small scratch must not cost a 12-megapixel fit.  The holes are
grouped into connected regions (holes closer than the context merge), each region gets a crop of
its bounding box plus context on every side, overlapping crops are merged, and a crop larger than
the fit budget is fitted at a reduced scale.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

__all__ = ["Crop", "hole_boxes", "plan_crops"]


@dataclass(frozen=True)
class Crop:
    """A rectangle ``[y0, y1) × [x0, x1)`` of the image, fitted at ``scale`` (≤ 1)."""

    y0: int
    y1: int
    x0: int
    x1: int
    scale: float = 1.0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    def fit_size(self, multiple: int) -> tuple[int, int]:
        """Height and width of the fit: scaled, rounded up to a multiple of ``multiple``, and at
        least twice ``multiple`` so the net's coarsest level is larger than one pixel."""
        h = max(2 * multiple, math.ceil(self.height * self.scale / multiple) * multiple)
        w = max(2 * multiple, math.ceil(self.width * self.scale / multiple) * multiple)
        return h, w


def _coarse(mask: np.ndarray, cell: int) -> np.ndarray:
    h, w = mask.shape
    hh, ww = -(-h // cell), -(-w // cell)
    padded = np.zeros((hh * cell, ww * cell), bool)
    padded[:h, :w] = mask
    return padded.reshape(hh, cell, ww, cell).any(axis=(1, 3))


def hole_boxes(mask: np.ndarray, merge_distance: int = 0) -> list[tuple[int, int, int, int]]:
    """Bounding boxes ``(y0, y1, x0, x1)`` of groups of hole pixels.

    Holes within about ``merge_distance`` pixels of each other are one group.  Works on a grid
    of cells (at most ~512 on a side) so it is fast on very large masks; boxes are exact to the
    cell, then tightened to the hole pixels they contain.

    Example
    -------
    >>> m = np.zeros((64, 64), bool); m[2:4, 2:4] = True; m[40:50, 40:44] = True
    >>> hole_boxes(m)
    [(2, 4, 2, 4), (40, 50, 40, 44)]
    """
    h, w = mask.shape
    cell = max(1, math.ceil(max(h, w) / 512))
    grid = _coarse(mask, cell)
    reach = max(1, math.ceil(merge_distance / cell)) if merge_distance > 0 else 1
    gh, gw = grid.shape
    labels = np.full(grid.shape, -1, np.int64)
    boxes: list[tuple[int, int, int, int]] = []
    cells = np.argwhere(grid)
    for sy, sx in cells:
        if labels[sy, sx] >= 0:
            continue
        label = len(boxes)
        labels[sy, sx] = label
        queue = deque([(sy, sx)])
        y0, y1, x0, x1 = sy, sy, sx, sx
        while queue:
            cy, cx = queue.popleft()
            y0, y1, x0, x1 = min(y0, cy), max(y1, cy), min(x0, cx), max(x1, cx)
            ys, ye = max(0, cy - reach), min(gh, cy + reach + 1)
            xs, xe = max(0, cx - reach), min(gw, cx + reach + 1)
            window = grid[ys:ye, xs:xe] & (labels[ys:ye, xs:xe] < 0)
            for ny, nx in np.argwhere(window):
                labels[ys + ny, xs + nx] = label
                queue.append((ys + ny, xs + nx))
        boxes.append((y0, y1, x0, x1))
    out = []
    for y0, y1, x0, x1 in boxes:
        sub = mask[y0 * cell : (y1 + 1) * cell, x0 * cell : (x1 + 1) * cell]
        rows = np.flatnonzero(sub.any(axis=1))
        cols = np.flatnonzero(sub.any(axis=0))
        y, x = y0 * cell, x0 * cell
        out.append((int(y + rows[0]), int(y + rows[-1] + 1), int(x + cols[0]), int(x + cols[-1] + 1)))
    return sorted(out)


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


def _merge(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    boxes = list(boxes)
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                if _overlap(boxes[i], boxes[j]):
                    a, b = boxes[i], boxes.pop(j)
                    boxes[i] = (min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]))
                    merged = True
                    break
            if merged:
                break
    return sorted(boxes)


def _grow(lo: int, hi: int, size: int, limit: int) -> tuple[int, int]:
    """Extend ``[lo, hi)`` to ``size`` (at most ``limit``), centred, kept inside ``[0, limit)``."""
    size = min(size, limit)
    extra = size - (hi - lo)
    if extra <= 0:
        return lo, hi
    lo = max(0, lo - extra // 2)
    hi = lo + size
    if hi > limit:
        hi, lo = limit, limit - size
    return lo, hi


def plan_crops(
    mask: np.ndarray,
    *,
    context: float = 0.75,
    min_context: int = 24,
    max_pixels: int = 384 * 384,
    multiple: int = 32,
) -> list[Crop]:
    """Crops that together cover every hole pixel with context around it.

    Each group of holes gets its bounding box grown by ``max(min_context, context × box side)``
    on every side, clamped to the image; overlapping crops merge.  A crop with more than
    ``max_pixels`` pixels is fitted at a reduced ``scale``.  When the crops would cover most of the
    image anyway, one crop of the whole image is returned.

    Example
    -------
    >>> m = np.zeros((1000, 1000), bool); m[500:510, 500:520] = True
    >>> [(c.y0, c.y1, c.x0, c.x1) for c in plan_crops(m)]
    [(473, 537, 462, 558)]
    """
    h, w = mask.shape
    boxes = hole_boxes(mask, merge_distance=min_context)
    grown = []
    for y0, y1, x0, x1 in boxes:
        margin = max(min_context, int(context * max(y1 - y0, x1 - x0)))
        grown.append((max(0, y0 - margin), min(h, y1 + margin), max(0, x0 - margin), min(w, x1 + margin)))
    grown = _merge(grown)
    if sum((b[1] - b[0]) * (b[3] - b[2]) for b in grown) > 0.6 * h * w:
        grown = [(0, h, 0, w)]
    crops = []
    for y0, y1, x0, x1 in grown:
        scale = min(1.0, math.sqrt(max_pixels / ((y1 - y0) * (x1 - x0))))
        # Grow towards a size the net reproduces exactly, where the image allows it.
        step = multiple / scale
        y0, y1 = _grow(y0, y1, int(math.ceil((y1 - y0) / step) * step), h)
        x0, x1 = _grow(x0, x1, int(math.ceil((x1 - x0) / step) * step), w)
        crops.append(Crop(y0, y1, x0, x1, scale))
    return crops
