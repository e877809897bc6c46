"""Conversion between user images (uint8 / uint16 / float, gray / RGB / RGBA) and the fit's floats.

One place decides the dtype policy: uint8 and uint16 are scaled to ``[0, 1]`` by their full
range; float images are used as they are when they lie in ``[0, 1]`` and mapped affinely into it
otherwise (in float64, so that values near float32's limits, ±3.4e38, do not overflow).  Alpha
never enters the fit: it is split off and put back untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Pixels", "check_image_and_mask", "to_pixels"]

_SUPPORTED = (np.uint8, np.uint16, np.float32, np.float64)


@dataclass
class Pixels:
    """An image split into fit-ready colour (``(H, W, C)`` float32 in [0, 1]) and its alpha."""

    color: np.ndarray
    alpha: np.ndarray | None
    dtype: np.dtype
    gray_2d: bool
    offset: float = 0.0
    scale: float = 1.0

    def visible(self) -> np.ndarray:
        """``(H, W)`` bool: pixels that are not fully transparent."""
        if self.alpha is None:
            return np.ones(self.color.shape[:2], bool)
        return self.alpha > 0

    def to_image(self, color: np.ndarray) -> np.ndarray:
        """Turn fit-space colour back into an image shaped and typed like the input."""
        if self.scale != 1.0 or self.offset != 0.0:  # in float64: a range near float32's limits must not overflow
            out = color.astype(np.float64) * self.scale + self.offset
        else:
            out = color
        if np.issubdtype(self.dtype, np.integer):
            top = np.iinfo(self.dtype).max
            out = np.clip(np.rint(out * top), 0, top).astype(self.dtype)
        else:
            limit = np.finfo(self.dtype).max
            out = np.clip(out, -limit, limit).astype(self.dtype)
        if self.alpha is not None:
            out = np.concatenate([out, self.alpha[..., None]], axis=-1)
        if self.gray_2d:
            out = out[..., 0]
        return out


def check_image_and_mask(image: np.ndarray, mask: np.ndarray | None = None) -> None:
    """Raise ``TypeError``/``ValueError`` naming what is wrong with ``image`` or ``mask``."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f"image must be a numpy array, got {type(image).__name__}")
    if image.dtype.type not in _SUPPORTED:
        raise TypeError(f"image dtype {image.dtype} is not supported; use uint8, uint16 or float32")
    if (image.ndim == 3 and image.shape[-1] not in (1, 2, 3, 4)) or image.ndim not in (2, 3):
        raise ValueError(
            f"image must be H×W or H×W×C with C in 1..4, got shape {image.shape}"
        )
    if min(image.shape[:2]) < 1:
        raise ValueError(f"image is empty (shape {image.shape})")
    if image.dtype.kind == "f" and not np.isfinite(image).all():
        raise ValueError("image contains NaN or infinite values")
    if mask is None:
        return
    if not isinstance(mask, np.ndarray):
        raise TypeError(f"mask must be a numpy array, got {type(mask).__name__}")
    if mask.shape != image.shape[:2]:
        raise ValueError(
            f"mask shape {mask.shape} does not match the image's height×width {image.shape[:2]}"
        )
    if mask.dtype != bool:
        raise TypeError(f"mask must be a bool array (True = hole), got dtype {mask.dtype}")


def to_pixels(image: np.ndarray, known: np.ndarray | None = None) -> Pixels:
    """Split ``image`` into fit-space colour and alpha.

    ``known`` (``(H, W)`` bool) selects the pixels whose range decides the mapping of float
    images outside ``[0, 1]``; by default all pixels.

    Example
    -------
    >>> p = to_pixels(np.full((2, 3, 4), 255, np.uint8))
    >>> p.color.shape, float(p.color.max()), p.alpha.shape
    ((2, 3, 3), 1.0, (2, 3))
    """
    gray_2d = image.ndim == 2
    arr = image[..., None] if gray_2d else image
    channels = arr.shape[-1]
    has_alpha = channels in (2, 4)
    color = arr[..., : channels - 1] if has_alpha else arr
    alpha = arr[..., -1].copy() if has_alpha else None
    offset, scale = 0.0, 1.0
    if np.issubdtype(image.dtype, np.integer):
        color = color.astype(np.float32) / np.float32(np.iinfo(image.dtype).max)
    else:
        color = color.astype(np.float32)
        sample = color[known] if known is not None and known.any() else color
        lo, hi = float(sample.min()), float(sample.max())
        if lo < 0.0 or hi > 1.0:
            offset, scale = lo, max(hi - lo, 1e-12)  # Python floats: hi - lo cannot overflow
            color = ((color.astype(np.float64) - offset) / scale).astype(np.float32)
    return Pixels(np.ascontiguousarray(color), alpha, image.dtype, gray_2d, offset, scale)
