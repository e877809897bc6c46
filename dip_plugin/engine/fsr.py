"""Frequency-selective reconstruction (FSR): the strongest classical fill, as a candidate.

FSR (Seiler, Jonscher, Schöberl and Kaup, "Joint Reconstruction of Image Blocks by Frequency
Selective Extrapolation", and Genser et al., ICIP 2018) models each block around a hole as a sparse
sum of Fourier basis functions fitted to its known pixels, so it continues edges and periodic
texture where a diffusion fill only smooths.  OpenCV contrib ships it (``cv2.xphoto.inpaint``); on
the photo benchmark it is the best classical fill on thin holes (``docs/benchmarks-photos.md``).

The engine uses it as one more candidate next to the biharmonic fill: the held-out known pixels
decide how much of it to take (:func:`~dip_plugin.engine.inpaint._prepare`).  Its implementation
works on 8 bits: a low-contrast crop's range is stretched over most of them first, so that a clear
sky is not filled in visible steps of 1/255.  Without OpenCV contrib (or with
the plain ``opencv-python``, which lacks ``xphoto``) :func:`fsr_fill` returns None and the engine
uses the biharmonic fill alone.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["fsr_available", "fsr_fill"]


def _xphoto():
    """OpenCV contrib's ``xphoto`` module, or None."""
    try:
        import cv2
    except ImportError:
        return None
    xphoto = getattr(cv2, "xphoto", None)
    return xphoto if xphoto is not None and hasattr(xphoto, "INPAINT_FSR_FAST") else None


def fsr_available() -> bool:
    """Whether OpenCV contrib's FSR can be used here."""
    return _xphoto() is not None


def fsr_fill(image: torch.Tensor, known: torch.Tensor) -> torch.Tensor | None:
    """Fill the unknown pixels of ``image`` by frequency-selective reconstruction (FSR, fast mode).

    Parameters
    ----------
    image : (1, C, H, W) float tensor in [0, 1] (C of 1 or 3 is filled as one image, any other C
        channel by channel).
    known : (1, 1, H, W) bool tensor, True where ``image`` is valid.

    Returns
    -------
    (1, C, H, W) float tensor equal to ``image`` on known pixels, or None without OpenCV contrib.

    Example
    -------
    >>> img = torch.linspace(0, 1, 32).repeat(1, 3, 32, 1)
    >>> known = torch.ones(1, 1, 32, 32, dtype=torch.bool); known[..., 10:14, 8:24] = False
    >>> out = fsr_fill(img, known)
    >>> out is None or bool((out - img).abs().max() < 0.02)
    True
    """
    xphoto = _xphoto()
    if xphoto is None:
        return None
    dev = image.device
    arr = image[0].detach().double().cpu().permute(1, 2, 0).numpy()
    keep = known[0, 0].cpu().numpy().astype(np.uint8)  # FSR's convention: non-zero = known
    c = arr.shape[-1]
    groups = [slice(0, 3)] if c == 3 else [slice(i, i + 1) for i in range(c)]
    out = np.empty_like(arr)
    for g in groups:
        out[..., g] = _fsr_8bit(xphoto, arr[..., g], keep)
    filled = torch.from_numpy(out.astype(np.float32)).permute(2, 0, 1)[None].to(dev)
    return torch.where(known.to(dev), image, filled)


def _fsr_8bit(xphoto, arr: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """FSR of ``arr`` (H, W, 1 or 3) on 8 bits.  Where the known pixels span at most half the range,
    their range (one for all channels, so that colours keep their relations) is stretched by a whole
    factor to fill [STRETCH_MARGIN, 255 - STRETCH_MARGIN] at most, and mapped back after: the margin leaves
    room for a fill a little brighter or darker than anything known.  Other crops are filled as they are
    (FSR does not give quite the same fill for shifted values)."""
    seen = arr[keep.astype(bool)]
    lo, hi = (float(seen.min()), float(seen.max())) if seen.size else (0.0, 1.0)
    factor = max(1, int((255 - 2 * STRETCH_MARGIN) / (255 * max(hi - lo, 1e-6))))
    factor = min(factor, 64)
    offset = lo - STRETCH_MARGIN / (255.0 * factor) if factor > 1 else 0.0
    gain = 255.0 * factor
    u8 = np.clip(np.rint((arr - offset) * gain), 0, 255).astype(np.uint8)
    src = np.ascontiguousarray(u8 if u8.shape[-1] == 3 else u8[..., 0])
    dst = np.zeros_like(src)
    xphoto.inpaint(src, keep, dst, xphoto.INPAINT_FSR_FAST)
    return dst.reshape(*dst.shape[:2], -1).astype(np.float64) / gain + offset


# The 8-bit levels kept free below and above the known pixels' range when it is stretched (see _fsr_8bit).
STRETCH_MARGIN = 24
