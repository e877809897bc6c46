"""Suggesting a scratch and dust mask for an old scan: thin bright or dark defects, no learning.

Scratches and dust are thin: a few pixels across, much brighter or darker than what surrounds
them.  A median filter whose window is more than twice their width removes them and keeps edges
and wider features, so the difference between the image and its median is large exactly on them.
Pixels whose difference stands out from the image's grain (measured robustly over the whole
image) are seeds; weaker pixels join when they touch a seed (hysteresis), which follows a scratch
along its length where it crosses bright and dark parts of the picture.  The mask is then grown a
little, since inpainting should cover a defect's soft edge.

The result is a proposal for the user to edit before inpainting, not a verdict: real features
thinner than the window (a wire, a strand of hair, a catch-light) can be picked up too.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .pixels import check_image_and_mask, to_pixels

__all__ = ["suggest_mask"]

_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def _median(x: torch.Tensor, k: int) -> torch.Tensor:
    """Separable k×k median filter of a (1, 1, H, W) tensor (a median of row medians), reflect-padded.

    Like the full k×k median it removes lines and dots thinner than about k/2 in any direction
    while keeping edges, at a fraction of the cost (2k values per pixel instead of k²).
    """
    p = k // 2
    mode = "reflect" if min(x.shape[-2:]) > p else "replicate"
    rows = F.pad(x, (p, p, 0, 0), mode=mode).unfold(-1, k, 1).median(dim=-1).values
    return F.pad(rows, (0, 0, p, p), mode=mode).unfold(-2, k, 1).median(dim=-1).values


def _local_scale(mag: torch.Tensor, k: int) -> torch.Tensor:
    """How busy the residual is around each pixel, as a Gaussian σ: the median over about 4k×4k
    pixels of k×k block means of |residual|.  Thin defects fill few blocks, so they barely count."""
    h, w = mag.shape[-2:]
    blocks = F.avg_pool2d(mag, k, stride=k, ceil_mode=True)
    med = _median(blocks, 5)
    return F.interpolate(med, size=(h, w), mode="bilinear", align_corners=False) * 1.2533


def _erode(m: torch.Tensor, r: int) -> torch.Tensor:
    """Binary erosion by a (2r+1)² square; pixels outside the image count as set."""
    if r <= 0:
        return m
    return -F.max_pool2d(-F.pad(m.float(), (r, r, r, r), value=1.0), 2 * r + 1, stride=1) > 0.5


def _dilate(m: torch.Tensor, r: int) -> torch.Tensor:
    if r <= 0:
        return m
    return F.max_pool2d(m.float(), 2 * r + 1, stride=1, padding=r) > 0


def suggest_mask(
    image: np.ndarray,
    *,
    sensitivity: float = 0.5,
    max_width: int = 3,
    grow: int = 1,
) -> np.ndarray:
    """Propose a mask of scratches and dust on an old photo (True = defect).

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray, C in {1, 2, 3, 4}, uint8, uint16 or float32/64.
        Colour is reduced to luma; alpha (a last channel of 2 or 4) is ignored, and fully
        transparent pixels are never marked.
    sensitivity : 0 … 1; higher marks fainter defects (and more false alarms).
    max_width : widest defect to find, in pixels (scratch width or dust diameter), 1 … 32.
        Features wider than about this are left alone.
    grow : pixels to grow the mask by on every side, 0 … 16, so inpainting covers soft edges.

    Returns
    -------
    (H, W) bool ndarray, True where a defect is suggested.

    Example
    -------
    >>> img = np.full((32, 32), 0.5, np.float32); img[:, 10] = 1.0
    >>> m = suggest_mask(img, grow=0)
    >>> bool(m[:, 10].all()), int(m.sum())
    (True, 32)
    """
    check_image_and_mask(image)
    if isinstance(sensitivity, bool) or not isinstance(sensitivity, (int, float, np.floating, np.integer)):
        raise TypeError(f"sensitivity must be a number from 0 to 1, got {type(sensitivity).__name__}")
    if not 0.0 <= float(sensitivity) <= 1.0:
        raise ValueError(f"sensitivity must be from 0 to 1, got {sensitivity}")
    for name, value, lo, hi in (("max_width", max_width, 1, 32), ("grow", grow, 0, 16)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if not lo <= value <= hi:
            raise ValueError(f"{name} must be from {lo} to {hi}, got {value}")
    pixels = to_pixels(image)
    color = pixels.color
    gray = color[..., 0] if color.shape[-1] == 1 else color @ _LUMA[: color.shape[-1]] / _LUMA[: color.shape[-1]].sum()
    visible = torch.from_numpy(pixels.visible())[None, None]
    g = torch.from_numpy(np.ascontiguousarray(gray, dtype=np.float32))[None, None]
    k = 2 * int(max_width) + 1
    resid = g - _median(g, k)
    mag = resid.abs()
    # The grain's scale: median absolute residual, as a Gaussian's σ.  Defects are too few to move it.
    grain = float(mag[visible].median()) * 1.4826 if bool(visible.any()) else 0.0
    # Texture raises the bar where it is busy: the local mean absolute residual, as a σ.
    scale = torch.clamp(0.8 * _local_scale(mag, k), min=grain)
    s = float(sensitivity)
    high = torch.clamp((3.0 + 6.0 * (1.0 - s)) * scale, min=0.03 + 0.12 * (1.0 - s))
    low = 0.6 * high
    seeds = (mag > high) & visible
    weak = (mag > low) & visible
    # Defects are thin: what survives an opening wider than max_width is a feature, not a defect.
    thick = _dilate(_erode(weak, int(max_width) + 1), int(max_width) + 1)
    seeds = seeds & ~thick
    weak = weak & ~thick
    mask = seeds
    for _ in range(sum(g.shape[-2:])):
        grown = _dilate(mask, 1) & weak
        if bool((grown == mask).all()):
            break
        mask = grown
    mask = _dilate(mask, int(grow)) & visible
    return mask[0, 0].numpy().copy()
