"""Planning where to fit: crops around the holes with context, so cost follows the hole.

A 12-megapixel photo with a small scratch must not cost a 12-megapixel fit.  The holes are
grouped into connected regions (holes closer than the context merge), each region gets a crop of
its bounding box plus context on every side, and overlapping crops are merged.  A crop larger than
the fit budget is split into tiles fitted at full resolution when its holes are thin (text,
scratches, dust: detail a reduced scale would lose), and fitted at a reduced scale otherwise.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

__all__ = ["Crop", "hole_boxes", "plan_crops", "thin_holes", "thin_limit"]


@dataclass(frozen=True)
class Crop:
    """A rectangle ``[y0, y1) × [x0, x1)`` of the image, fitted at ``scale`` (≤ 1)."""

    y0: int
    y1: int
    x0: int
    x1: int
    scale: float = 1.0
    core: tuple[int, int, int, int] | None = None  # a tile's own rectangle: it writes only the holes there
    thin: bool = False  # it writes the thin holes (see thin_holes), else the others

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


def thin_limit(max_thickness: int) -> int:
    """The thickest a stroke of :func:`thin_holes` can be: half as much again as ``max_thickness``
    (rounded to an even number of pixels; see there).

    Example
    -------
    >>> thin_limit(16)
    24
    """
    return max_thickness + 1 + (max_thickness % 2) + 2 * (max_thickness // 4) - 1


def thin_holes(mask: np.ndarray, max_thickness: int) -> np.ndarray:
    """The hole pixels that belong to thin strokes (text, scratches, dust): those not within a few
    pixels of a thick part of the hole.

    A part of the hole is thick when a square of side ``max_thickness`` + 1 fits in it (a morphological
    opening) and it is connected, through such parts, to one where a square half as large again fits.
    The second, larger threshold keeps a brush stroke whose width wanders around ``max_thickness`` in
    one piece: with one threshold its pieces alternate between thin and thick along its length, are
    filled by different crops at different scales, and the fill shows square seams.

    Example
    -------
    >>> m = np.zeros((80, 80), bool); m[10:13, 5:75] = True; m[40:70, 20:50] = True
    >>> t = thin_holes(m, 16)
    >>> bool(t[11, 40]), bool(t[55, 35]), int(t.sum()) == 3 * 70
    (True, False, True)
    >>> wavy = np.zeros((40, 200), bool); wavy[10:27, :100] = True; wavy[10:25, 100:] = True
    >>> bool((thin_holes(wavy, 16) == wavy).all())  # 15 to 17 wide: one thin stroke
    True
    """
    if max_thickness <= 0 or not mask.any():
        return np.zeros_like(mask)
    # Each group of holes on its own, with a margin past what the opening and the fringe reach: the cost
    # follows the holes, not the photo (a small hole in a 12 MP photo: milliseconds, not 20 s).  Groups are
    # the connected parts of a grid of cells as large as that margin, each grown by one cell.
    import cv2

    h, w = mask.shape
    cell = thin_limit(max_thickness) + 2 * max_thickness + 16
    grown = cv2.dilate(_coarse(mask, cell).astype(np.uint8), np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
    out = np.zeros_like(mask)
    for label in range(1, count):
        cx0, cy0, cw, ch = (int(v) for v in stats[label, :4])
        y0, y1, x0, x1 = cy0 * cell, min(h, (cy0 + ch) * cell), cx0 * cell, min(w, (cx0 + cw) * cell)
        own = (labels == label)[np.arange(y0, y1)[:, None] // cell, np.arange(x0, x1)[None, :] // cell]
        out[y0:y1, x0:x1] |= _thin_holes(mask[y0:y1, x0:x1], max_thickness) & own
    return out


def _thin_holes(mask: np.ndarray, max_thickness: int) -> np.ndarray:
    """:func:`thin_holes` of one region (every pixel past its edge that is not the image's is known)."""
    import cv2
    import torch
    import torch.nn.functional as F

    def eroded(side: int) -> torch.Tensor:
        m = torch.from_numpy(np.ascontiguousarray(mask)).float()[None, None]
        return -F.max_pool2d(-F.pad(m, (side // 2,) * 4, value=1.0), side, stride=1)

    k = max_thickness + 1 + (max_thickness % 2)  # odd, > max_thickness
    wide = eroded(k)[0, 0].numpy() > 0.5
    if not wide.any():
        return mask.copy()
    seeds = eroded(thin_limit(max_thickness) + 1)[0, 0].numpy() > 0.5  # a square half as large again
    count, labels = cv2.connectedComponents(wide.astype(np.uint8), connectivity=8)
    keep = np.zeros(count, bool)
    keep[np.unique(labels[seeds])] = True
    keep[0] = False
    thick = torch.from_numpy(keep[labels].astype(np.float32))[None, None]
    grow = k + 6  # the opening, plus a fringe: a thick hole's rounded edges stay with it
    thick = F.max_pool2d(thick, grow, stride=1, padding=grow // 2)[..., : mask.shape[0], : mask.shape[1]]
    return mask & ~(thick[0, 0].numpy() > 0.5)


def _tiles(box: tuple[int, int, int, int], mask: np.ndarray, pixels: int, margin: int, multiple: int) -> list[Crop]:
    """Full-resolution tiles of at most ``pixels`` pixels whose cores (the tile less ``margin`` on each
    side, inside the image) cover ``box``; a long thin box gets long thin tiles.  Tiles whose core
    holds no hole pixel are left out."""
    h, w = mask.shape
    y0, y1, x0, x1 = box

    def up(n: int) -> int:
        return -(-n // multiple) * multiple

    side = max(2 * multiple, int(math.sqrt(pixels)) // multiple * multiple)
    # What one tile would need to hold the whole box with its context (none past the image's edge).
    need_h = y1 - y0 + margin * ((y0 > 0) + (y1 < h))
    need_w = x1 - x0 + margin * ((x0 > 0) + (x1 < w))
    full_h, full_w = min(up(need_h), h), min(up(need_w), w)
    if full_h <= side:
        th, tw = full_h, min(full_w, max(side, pixels // full_h // multiple * multiple))
    elif full_w <= side:
        th, tw = min(full_h, max(side, pixels // full_w // multiple * multiple)), full_w
    else:
        th, tw = side, side
    ny = 1 if th >= need_h else -(-(y1 - y0) // max(1, th - 2 * margin))
    nx = 1 if tw >= need_w else -(-(x1 - x0) // max(1, tw - 2 * margin))
    out = []
    for i in range(ny):
        cy0, cy1 = y0 + (y1 - y0) * i // ny, y0 + (y1 - y0) * (i + 1) // ny
        for j in range(nx):
            cx0, cx1 = x0 + (x1 - x0) * j // nx, x0 + (x1 - x0) * (j + 1) // nx
            if not mask[cy0:cy1, cx0:cx1].any():
                continue
            ty0, ty1 = _grow(cy0, cy1, th, h)
            tx0, tx1 = _grow(cx0, cx1, tw, w)
            out.append(Crop(ty0, ty1, tx0, tx1, 1.0, core=(cy0, cy1, cx0, cx1), thin=True))
    return out


def _stroke_width(mask: np.ndarray) -> int:
    """About the width of the thickest stroke of ``mask`` (see :func:`~dip_plugin.engine.holdout.hole_thickness`)."""
    import torch

    from .holdout import hole_thickness

    return hole_thickness(torch.from_numpy(np.ascontiguousarray(mask))[None, None], cap=256)


def _grown_boxes(mask: np.ndarray, margin_of, min_context: int) -> list[tuple[int, int, int, int]]:
    h, w = mask.shape
    grown = []
    for y0, y1, x0, x1 in hole_boxes(mask, merge_distance=min_context):
        margin = margin_of(mask[y0:y1, x0:x1])
        grown.append((max(0, y0 - margin), min(h, y1 + margin), max(0, x0 - margin), min(w, x1 + margin)))
    grown = _merge(grown)
    if sum((b[1] - b[0]) * (b[3] - b[2]) for b in grown) > 0.6 * h * w:
        grown = [(0, h, 0, w)]
    return grown


def plan_crops(
    mask: np.ndarray,
    *,
    context: float = 0.75,
    min_context: int = 24,
    max_pixels: int = 384 * 384,
    multiple: int = 32,
    thin: np.ndarray | None = None,
    tile_pixels: int = 512 * 512,
    stroke_context: int = 4,
) -> list[Crop]:
    """Crops that together cover every hole pixel with context around it.

    Each group of holes gets its bounding box grown by ``max(min_context, context × size)`` on every
    side (its size: the box's longer side, but at most ``stroke_context`` × its stroke width),
    clamped to the image; overlapping crops merge, and a crop with more than ``max_pixels`` pixels is
    fitted at a reduced ``scale``.  The ``thin`` hole pixels (see
    :func:`thin_holes`; none by default) are planned apart and always at full resolution: their
    groups get ``min_context`` pixels of context, and a crop of them larger than ``max_pixels`` is
    split into tiles of a quarter of, once or four times ``tile_pixels`` pixels, whichever fits fewest
    pixels in all, each tile writing the holes of its core.  Crops of
    thin holes have ``thin=True``.  When the crops of one kind would cover most of the image anyway,
    one crop of the whole image is planned for them (and tiled or scaled as above).

    Example
    -------
    >>> m = np.zeros((1000, 1000), bool); m[500:510, 500:520] = True
    >>> [(c.y0, c.y1, c.x0, c.x1) for c in plan_crops(m)]
    [(473, 537, 462, 558)]
    """
    h, w = mask.shape
    thin = np.zeros_like(mask) if thin is None else thin & mask
    crops = []
    def margin(group: np.ndarray) -> int:
        size = min(max(group.shape), stroke_context * _stroke_width(group))
        return max(min_context, int(context * size))

    for y0, y1, x0, x1 in _grown_boxes(mask & ~thin, margin, min_context):
        scale = min(1.0, math.sqrt(max_pixels / ((y1 - y0) * (x1 - x0))))
        # Grow towards a size the net reproduces exactly, where the image allows it.
        step = multiple / scale
        y0, y1 = _grow(y0, y1, int(math.ceil((y1 - y0) / step) * step), h)
        x0, x1 = _grow(x0, x1, int(math.ceil((x1 - x0) / step) * step), w)
        crops.append(Crop(y0, y1, x0, x1, scale))
    for y0, y1, x0, x1 in _grown_boxes(thin, lambda group: min_context, min_context):
        if (y1 - y0) * (x1 - x0) > max_pixels:
            # Small tiles follow sparse holes closely; larger ones fit dense holes with less overlap.
            sizes = (tile_pixels // 4, tile_pixels, 4 * tile_pixels)
            options = [_tiles((y0, y1, x0, x1), thin, n, min_context, multiple) for n in sizes]
            crops += min(options, key=lambda tiles: sum(t.height * t.width for t in tiles))
            continue
        y0, y1 = _grow(y0, y1, int(math.ceil((y1 - y0) / multiple) * multiple), h)
        x0, x1 = _grow(x0, x1, int(math.ceil((x1 - x0) / multiple) * multiple), w)
        crops.append(Crop(y0, y1, x0, x1, 1.0, thin=True))
    return crops
