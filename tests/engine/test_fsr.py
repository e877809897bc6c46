"""The FSR candidate: OpenCV contrib's 8-bit fill, used without losing the image's precision."""

import numpy as np
import torch

from dip_plugin.engine.fsr import fsr_available, fsr_fill


def _ramp(lo: float, hi: float, size: int = 64) -> torch.Tensor:
    """A smooth, diagonal ramp from ``lo`` to ``hi``, a little different in each channel (a clear sky)."""
    y, x = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    base = lo + (hi - lo) * (0.6 * x + 0.4 * y)
    return torch.stack([base, base * 0.98, base * 0.96])[None].float()


def test_a_low_contrast_crop_is_filled_finer_than_8_bit_steps():
    assert fsr_available()
    img = _ramp(0.50, 0.53)  # the whole range is 8 levels of 8 bits
    known = torch.ones(1, 1, 64, 64, dtype=torch.bool)
    known[..., 20:44, 20:44] = False
    out = fsr_fill(img, known)
    hole = (~known).expand_as(img)
    err = (out - img)[hole].abs()
    # An 8-bit fill of the raw values is off by up to half a level (0.002) everywhere in the hole.
    assert float(err.mean()) < 0.25 / 255
    assert bool((out[~hole] == img[~hole]).all())  # known pixels pass through untouched


def test_a_crop_of_normal_contrast_is_filled_as_by_fsr_itself():
    import cv2

    assert fsr_available()
    img = _ramp(0.2, 0.8)
    known = torch.ones(1, 1, 64, 64, dtype=torch.bool)
    known[..., 20:44, 20:44] = False
    out = fsr_fill(img, known)
    u8 = np.ascontiguousarray(np.rint(img[0].permute(1, 2, 0).double().numpy() * 255).astype(np.uint8))
    direct = np.zeros_like(u8)
    cv2.xphoto.inpaint(u8, known[0, 0].numpy().astype(np.uint8), direct, cv2.xphoto.INPAINT_FSR_FAST)
    hole = ~known[0, 0].numpy()
    assert np.allclose(out[0].permute(1, 2, 0).numpy()[hole], direct[hole] / 255.0, atol=1e-6)
    assert np.isfinite(out.numpy()).all()
