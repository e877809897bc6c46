"""benchmarks/paper.py at toy size: the parametrization experiment and the measures behind docs/results.md."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import paper  # noqa: E402


def test_natural_image_is_fitted_faster_than_noise():
    size, steps = 64, 40
    image = paper.run_parametrization("image", size, steps, seed=0)
    noise = paper.run_parametrization("U(0, 1) noise", size, steps, seed=0)
    assert len(image["losses"]) == len(noise["losses"]) == steps
    assert all(np.isfinite(image["losses"])) and all(np.isfinite(noise["losses"]))
    assert image["losses"][-1] < image["losses"][0]
    assert image["losses"][-1] < 0.25 * noise["losses"][-1]
    assert image["image"].shape == (size, size, 3) and image["image"].dtype == np.uint8


def test_parametrization_targets_keep_the_image_statistics_they_should():
    t = paper.parametrization_targets(32, seed=1)
    assert set(t) == set(paper.PARAM_TARGETS)
    img, shuffled = t["image"], t["shuffled pixels"]
    # Shuffling moves whole pixels: the same colours, in another order.
    assert np.array_equal(np.sort(img.reshape(-1, 3), axis=0), np.sort(shuffled.reshape(-1, 3), axis=0))
    assert not np.array_equal(img, shuffled)
    noise_var = float(np.mean((t["image + noise"] - img) ** 2))
    assert 0.5 * paper.SIGMA**2 < noise_var < 1.1 * paper.SIGMA**2
    assert 0.3 < float(t["U(0, 1) noise"].mean()) < 0.7


def test_psnr_measures():
    a = np.full((16, 16, 3), 0.5, np.float32)
    assert paper.psnr(a, a) == float("inf")
    assert abs(paper.psnr(a, a + 0.1) - 20.0) < 1e-4
    u8 = paper.to_u8(a)
    assert paper.y_psnr(u8, u8) == float("inf")
    assert paper.y_psnr(u8, u8 + 10) < paper.y_psnr(u8, u8 + 1)
