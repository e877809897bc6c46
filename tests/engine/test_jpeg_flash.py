"""JPEG artifact removal and flash/no-flash reconstruction: round trips, the guide is used, errors."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from dip_plugin.engine import FLASH_PRESETS, JPEG_PRESETS, flash_no_flash, remove_jpeg_artifacts
from dip_plugin.engine._restore import TaskPreset
from dip_plugin.engine.nets import NetSpec
from dip_plugin.engine.presets import Settings
from dip_plugin.synthetic import scene

TINY = NetSpec(input_depth=8, down=(16, 32, 32), up=(16, 32, 32), skip=(4, 4, 4))


def tiny(iterations: int = 3, **kw) -> TaskPreset:
    return TaskPreset(Settings(net=TINY, iterations=iterations, **kw), holdout_fraction=0.05)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1.0 / np.mean((a.astype(np.float64) - b) ** 2)))


def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert(Image.fromarray(img).mode))


def blockiness(img: np.ndarray) -> float:
    """Mean jump across the 8×8 grid's vertical lines over the mean jump elsewhere."""
    d = np.abs(np.diff(img.astype(np.float64).mean(-1), axis=1))
    return float(d[:, 7::8].mean() / np.delete(d, np.s_[7::8], axis=1).mean())


def test_jpeg_artifacts_are_reduced():
    clean = (scene("face", 32, seed=2) * 255).round().astype(np.uint8)
    compressed = jpeg(clean, 10)
    task = TaskPreset(Settings(net=TINY, iterations=300, lr=0.01, early_stop=False))
    out = remove_jpeg_artifacts(compressed, preset=task, device="cpu")
    assert out.dtype == np.uint8 and out.shape == clean.shape
    assert psnr(out / 255, clean / 255) > psnr(compressed / 255, clean / 255) + 0.2
    assert blockiness(out) < 0.8 * blockiness(compressed)


@pytest.mark.parametrize(
    ("shape", "dtype"), [((16, 24), np.uint8), ((16, 24, 4), np.uint16), ((16, 24, 3), np.float32)]
)
def test_jpeg_shape_dtype_alpha(shape, dtype):
    img = np.random.default_rng(0).random(shape)
    img = (img * np.iinfo(dtype).max).astype(dtype) if np.issubdtype(dtype, np.integer) else img.astype(dtype)
    out = remove_jpeg_artifacts(img, preset=tiny(), device="cpu")
    assert out.shape == img.shape and out.dtype == img.dtype
    if shape[-1] == 4:
        np.testing.assert_array_equal(out[..., 3], img[..., 3])


def test_flash_guide_enters_the_net():
    rng = np.random.default_rng(1)
    no_flash = (rng.random((32, 32, 3)) * 0.3).astype(np.float32)
    flash_a = scene("bricks", 32, seed=0)
    flash_b = scene("sky", 32, seed=0)
    a = flash_no_flash(flash_a, no_flash, preset=tiny(5), device="cpu")
    a2 = flash_no_flash(flash_a, no_flash, preset=tiny(5), device="cpu")
    b = flash_no_flash(flash_b, no_flash, preset=tiny(5), device="cpu")
    np.testing.assert_array_equal(a, a2)
    assert np.abs(a - b).max() > 1e-3


def test_flash_result_follows_no_flash_shape_dtype_alpha():
    flash = (scene("face", 24, seed=0)[..., 0] * 65535).astype(np.uint16)  # gray flash
    no_flash = np.zeros((24, 24, 4), np.uint8)
    no_flash[..., :3] = 40
    no_flash[..., 3] = np.arange(24, dtype=np.uint8)[None, :] * 10
    seen = []
    out = flash_no_flash(flash, no_flash, preset=tiny(4, report_every=1), device="cpu", on_progress=seen.append)
    assert out.shape == no_flash.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out[..., 3], no_flash[..., 3])
    assert seen[0].step == 0 and seen[-1].step == 4


def test_flash_errors():
    with pytest.raises(ValueError, match="height×width"):
        flash_no_flash(np.zeros((8, 8, 3), np.uint8), np.zeros((8, 9, 3), np.uint8))
    with pytest.raises(TypeError, match="flash"):
        flash_no_flash([[1]], np.zeros((8, 8), np.uint8))
    with pytest.raises(TypeError, match="no_flash: image dtype"):
        flash_no_flash(np.zeros((8, 8), np.uint8), np.zeros((8, 8), np.int64))
    with pytest.raises(ValueError, match="preset"):
        flash_no_flash(np.zeros((8, 8), np.uint8), np.zeros((8, 8), np.uint8), preset="best")


def test_presets():
    for table in (JPEG_PRESETS, FLASH_PRESETS):
        assert set(table) == {"fast", "balanced", "quality", "paper"}
        assert not table["paper"].settings.early_stop
    assert FLASH_PRESETS["fast"].holdout_fraction > 0 and FLASH_PRESETS["fast"].discrepancy
    assert all(p.holdout_fraction == 0 for p in JPEG_PRESETS.values())
