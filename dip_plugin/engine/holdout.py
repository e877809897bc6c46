"""Choosing known pixels to hold out of the fit, so the fit can be judged without ground truth.

For inpainting, the held-out pixels are small square patches about as thick as the hole, placed
in the known context a little away from the hole.  Their error tells how well a fill predicts
missing pixels of that size in that content: it decides when to stop fitting and how much to trust
the net against a smooth fill.  For denoising, single random pixels are held out: the noise on
them is independent of everything the net sees, so their error tracks the error to the clean
image (plus a constant).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["depth_in_hole", "hole_thickness", "random_pixels", "square_patches"]


def _erode(m: torch.Tensor, k: int) -> torch.Tensor:
    """Binary erosion of (1, 1, H, W) bool ``m`` by a ``k``×``k`` square (top-left anchored)."""
    f = m.float()
    pad = (0, k - 1, 0, k - 1)
    return -F.max_pool2d(-F.pad(f, pad, value=0.0), k, stride=1) > 0.5


def hole_thickness(hole: torch.Tensor, cap: int = 64) -> int:
    """About the width of the hole's strokes: 2 × (erosions until empty) − 1, at most ``cap``.

    Example
    -------
    >>> h = torch.zeros(1, 1, 32, 32, dtype=torch.bool); h[..., 10:17, :] = True
    >>> hole_thickness(h)
    7
    """
    m = hole.float()
    steps = 0
    while bool(m.any()) and 2 * steps - 1 < cap:
        m = -F.max_pool2d(-F.pad(m, (1, 1, 1, 1), value=1.0), 3, stride=1)
        steps += 1
    return max(1, min(cap, 2 * steps - 1))


def depth_in_hole(unknown: torch.Tensor) -> torch.Tensor:
    """How far each pixel lies from the known ones: 0 on known pixels, 1 next to them, and so on
    (steps of 8-neighbour growth of the known pixels).  ``unknown`` is a (1, 1, H, W) bool tensor.

    Example
    -------
    >>> u = torch.zeros(1, 1, 1, 7, dtype=torch.bool); u[..., 1:6] = True
    >>> depth_in_hole(u).flatten().tolist()
    [0, 1, 2, 3, 2, 1, 0]
    """
    depth = torch.zeros(unknown.shape, dtype=torch.long, device=unknown.device)
    reached = ~unknown
    if not bool(reached.any()):
        return depth
    k = 0
    while not bool(reached.all()):
        k += 1
        grown = F.max_pool2d(reached.float(), 3, stride=1, padding=1) > 0
        depth[grown & ~reached] = k
        reached = grown
    return depth


def square_patches(hole: torch.Tensor, usable: torch.Tensor, *, seed: int = 0, max_side: int = 16,
                   fraction: float = 0.06, thickness: int | None = None) -> torch.Tensor:
    """Held-out square patches in ``usable`` pixels, as thick as the hole (up to ``max_side``).

    Parameters
    ----------
    hole, usable : (1, 1, H, W) bool tensors.
    thickness : the hole's :func:`hole_thickness`, when already known.

    Returns
    -------
    (1, 1, H, W) bool tensor, a subset of ``usable``; empty when nothing fits.
    """
    side = max(2, min(max_side, hole_thickness(hole) if thickness is None else thickness))
    known_area = int(usable.sum())
    budget = min(fraction * known_area, max(float(hole.sum()), 64.0))
    count = int(min(64, max(6, budget // (side * side))))
    gen = torch.Generator().manual_seed(seed + 7)
    gap = side // 2 + 2
    near_hole = F.max_pool2d(hole.float(), 2 * gap + 1, stride=1, padding=gap) > 0
    for allowed in (usable & ~near_hole, usable):
        out = _place(allowed, side, count, gen)
        if bool(out.any()):
            return out
    return random_pixels(usable, fraction=min(0.05, fraction), seed=seed)


def _place(allowed: torch.Tensor, side: int, count: int, gen: torch.Generator) -> torch.Tensor:
    h, w = allowed.shape[-2:]
    out = torch.zeros_like(allowed)
    if h < side or w < side:
        return out
    free = _erode(allowed, side)[..., : h - side + 1, : w - side + 1].clone()
    for _ in range(count):
        spots = free.flatten().nonzero().flatten()
        if len(spots) == 0:
            break
        pick = int(spots[torch.randint(len(spots), (1,), generator=gen)])
        y, x = divmod(pick, free.shape[-1])
        out[..., y : y + side, x : x + side] = True
        # Keep later patches from touching this one.
        free[..., max(0, y - side - 1) : y + side + 2, max(0, x - side - 1) : x + side + 2] = False
    return out


def random_pixels(usable: torch.Tensor, *, fraction: float = 0.05, seed: int = 0) -> torch.Tensor:
    """A random ``fraction`` of the ``usable`` pixels."""
    gen = torch.Generator().manual_seed(seed + 11)
    pick = torch.rand(usable.shape, generator=gen) < fraction
    return usable & pick
