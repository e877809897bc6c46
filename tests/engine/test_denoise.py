"""Denoising: quality on a tiny scene, automatic stopping, dtype/shape/alpha, progress and stop."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from dip_plugin.engine import DENOISE_PRESETS, denoise
from dip_plugin.engine._restore import TaskPreset, estimate_noise_var, plan_tiles
from dip_plugin.engine.nets import NetSpec
from dip_plugin.engine.presets import Settings
from dip_plugin.synthetic import scene

TINY = NetSpec(input_depth=8, down=(16, 32, 32), up=(16, 32, 32), skip=(4, 4, 4))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1.0 / np.mean((a.astype(np.float64) - b) ** 2)))


def noisy_scene(size: int = 48, sigma: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    clean = scene("face", size, seed=1)
    noise = np.random.default_rng(seed).normal(0, sigma, clean.shape)
    return clean, np.clip(clean + noise, 0, 1).astype(np.float32)


def test_removes_noise_and_stops_by_itself():
    clean, noisy = noisy_scene(32)
    task = TaskPreset(
        Settings(net=TINY, iterations=1000, lr=0.01, patience=40, min_iterations=50, check_every=5, report_every=5),
        holdout_fraction=0.05,
        discrepancy=True,
    )
    steps = []
    out = denoise(noisy, preset=task, device="cpu", on_progress=lambda p: steps.append(p.step))
    assert psnr(out, clean) > psnr(noisy, clean) + 3.0
    # No iteration count was given for this image: the fit ended well before the cap.
    assert steps[-1] == 1000
    assert steps[-2] < 500


@pytest.mark.parametrize(
    ("shape", "dtype"),
    [((24, 20), np.uint8), ((24, 20, 3), np.uint16), ((24, 20, 3), np.float32), ((24, 20, 1), np.float64)],
)
def test_shape_and_dtype(shape, dtype):
    img = np.random.default_rng(0).random(shape)
    img = (img * np.iinfo(dtype).max).astype(dtype) if np.issubdtype(dtype, np.integer) else img.astype(dtype)
    out = denoise(img, preset="fast", iterations=3, device="cpu")
    assert out.shape == img.shape
    assert out.dtype == img.dtype


def test_float_outside_unit_range_keeps_its_range():
    img = (np.random.default_rng(0).random((16, 16, 3)) * 4.0 - 1.0).astype(np.float32)
    out = denoise(img, preset="fast", iterations=3, device="cpu")
    assert out.dtype == np.float32
    assert out.min() >= img.min() - 1e-5 and out.max() <= img.max() + 1e-5


def test_alpha_passes_through_and_transparent_pixels_are_kept():
    img = (np.random.default_rng(3).random((16, 16, 4)) * 255).astype(np.uint8)
    img[..., 3] = 200
    img[:4, :4, 3] = 0
    out = denoise(img, preset="fast", iterations=3, device="cpu")
    np.testing.assert_array_equal(out[..., 3], img[..., 3])
    np.testing.assert_array_equal(out[:4, :4], img[:4, :4])


def test_progress_then_stop_returns_early():
    _, noisy = noisy_scene(32)
    seen = []
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 30

    task = TaskPreset(Settings(net=TINY, iterations=500, min_iterations=10, report_every=5), holdout_fraction=0.05)
    out = denoise(noisy, preset=task, device="cpu", on_progress=seen.append, should_stop=stop)
    assert out.shape == noisy.shape
    assert seen[0].step == 0
    assert seen[0].preview.shape == noisy.shape and seen[0].preview.dtype == noisy.dtype
    assert all(p.total == 500 for p in seen)
    assert 0 < seen[-1].step < 100
    assert calls["n"] < 40


def test_stop_before_anything_returns_the_input():
    _, noisy = noisy_scene(32)
    out = denoise(noisy, preset="fast", device="cpu", should_stop=lambda: True)
    np.testing.assert_array_equal(out, noisy)


def test_same_seed_same_result():
    _, noisy = noisy_scene(32)
    a = denoise(noisy, preset="fast", iterations=4, seed=3, device="cpu")
    b = denoise(noisy, preset="fast", iterations=4, seed=3, device="cpu")
    np.testing.assert_array_equal(a, b)


def test_tiles_cover_the_image():
    tiles = plan_tiles(300, 70, 128, 32)
    covered = np.zeros((300, 70), int)
    for y0, y1, x0, x1 in tiles:
        assert y1 - y0 <= 128 and x1 - x0 <= 128
        covered[y0:y1, x0:x1] += 1
    assert covered.min() >= 1
    assert len(tiles) == 3


def test_tiled_result_has_no_seams_on_a_flat_image():
    img = np.full((40, 40, 3), 0.4, np.float32)
    task = TaskPreset(Settings(net=TINY, iterations=40, lr=0.02, early_stop=False, ema=0.0), tile=24, overlap=8)
    out = denoise(img, preset=task, device="cpu")
    assert np.abs(out - 0.4).max() < 0.05


def test_noise_estimate():
    rng = np.random.default_rng(0)
    clean = scene("sky", 128, seed=0)
    for sigma in (0.02, 0.1):
        est = estimate_noise_var(clean + rng.normal(0, sigma, clean.shape)) ** 0.5
        assert abs(est - sigma) < 0.15 * sigma


def test_errors():
    with pytest.raises(ValueError, match="preset"):
        denoise(np.zeros((8, 8), np.uint8), preset="nope")
    with pytest.raises(TypeError, match="iterations"):
        denoise(np.zeros((8, 8), np.uint8), iterations=2.5)
    with pytest.raises(TypeError, match="dtype"):
        denoise(np.zeros((8, 8), np.int32))
    with pytest.raises(ValueError, match="shape"):
        denoise(np.zeros((8, 8, 5), np.uint8))
    with pytest.raises(ValueError, match="device"):
        denoise(np.zeros((8, 8), np.uint8), device="tpu")


def test_presets():
    assert set(DENOISE_PRESETS) == {"fast", "balanced", "quality", "paper"}
    for name in ("fast", "balanced", "quality"):
        assert DENOISE_PRESETS[name].holdout_fraction > 0
    assert DENOISE_PRESETS["fast"].classical and DENOISE_PRESETS["fast"].settings.iterations == 0
    assert DENOISE_PRESETS["balanced"].classical and DENOISE_PRESETS["balanced"].settings.iterations > 0
    assert DENOISE_PRESETS["quality"].discrepancy and DENOISE_PRESETS["quality"].settings.early_stop
    assert not DENOISE_PRESETS["paper"].settings.early_stop


def test_fast_is_the_classical_estimate_and_beats_the_noise_by_far():
    clean, noisy = noisy_scene(64)
    steps = []
    out = denoise(noisy, preset="fast", device="cpu", on_progress=lambda p: steps.append((p.step, p.total)))
    assert psnr(out, clean) > psnr(noisy, clean) + 6.0
    assert steps[0] == (0, 1) and steps[-1] == (1, 1)  # one tile, no fit


def test_fast_stops_between_tiles():
    _, noisy = noisy_scene(96)
    task = replace(DENOISE_PRESETS["fast"], tile=32, overlap=8)
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 2

    out = denoise(noisy, preset=task, device="cpu", should_stop=stop)
    # Tiles not reached keep the input: the bottom right corner is untouched.
    np.testing.assert_array_equal(out[-20:, -20:], noisy[-20:, -20:])
    assert not np.array_equal(out[:20, :20], noisy[:20, :20])


def test_a_guided_fit_is_mixed_with_the_classical_estimate():
    clean, noisy = noisy_scene(64)
    classical = denoise(noisy, preset="fast", device="cpu")
    fitted = denoise(noisy, preset="balanced", iterations=30, device="cpu")
    assert psnr(fitted, clean) > psnr(noisy, clean) + 6.0
    # The net's output takes part (the held-out pixels gave it some weight), but at most half.
    diff = np.abs(fitted - classical).mean()
    assert 0 < diff < 0.5 * np.abs(noisy - classical).mean()
