"""Moving crops between image resolution and fit resolution."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["from_tensor", "resize", "resize_mask", "to_tensor"]


def to_tensor(a: np.ndarray, device: torch.device | None = None) -> torch.Tensor:
    """(H, W, C) or (H, W) array → (1, C, H, W) float tensor (bool stays bool)."""
    if a.ndim == 2:
        a = a[..., None]
    t = torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))[None]
    return t.to(device) if device is not None else t


def from_tensor(t: torch.Tensor) -> np.ndarray:
    """(1, C, H, W) tensor → (H, W, C) float32 array."""
    return t[0].detach().float().cpu().permute(1, 2, 0).numpy()


def resize(t: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize of (1, C, H, W), antialiased when shrinking; identity at equal size."""
    if tuple(t.shape[-2:]) == tuple(size):
        return t
    shrink = size[0] < t.shape[-2] or size[1] < t.shape[-1]
    return F.interpolate(t, size=size, mode="bilinear", align_corners=False, antialias=shrink)


def resize_mask(m: torch.Tensor, size: tuple[int, int], *, any_: bool) -> torch.Tensor:
    """Resize a (1, 1, H, W) bool mask: ``any_`` keeps a pixel set if any source pixel under it is
    set (used for holes), otherwise only if all are (used for known pixels)."""
    if tuple(m.shape[-2:]) == tuple(size):
        return m
    f = F.interpolate(m.float(), size=size, mode="area") if (
        size[0] <= m.shape[-2] and size[1] <= m.shape[-1]
    ) else F.interpolate(m.float(), size=size, mode="bilinear", align_corners=False)
    return f > 1e-6 if any_ else f > 1 - 1e-6
