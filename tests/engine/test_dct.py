"""The classical denoiser: what it removes, what it keeps, and the held-out fill it is judged with."""

from __future__ import annotations

import numpy as np
import pytest

from dip_plugin.engine.dct import classical_estimate, dct_denoise, fill_held_out
from dip_plugin.synthetic import scene


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1.0 / np.mean((a.astype(np.float64) - b) ** 2)))


def noisy(clean: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    return (clean + np.random.default_rng(seed).normal(0, sigma, clean.shape)).astype(np.float32)


@pytest.mark.parametrize("name", ["face", "street", "foliage"])
def test_removes_most_of_the_noise_on_scenes(name):
    clean = scene(name, 96, seed=2)
    x = noisy(clean, 0.1)
    assert psnr(classical_estimate(x, 0.1), clean) > psnr(x, clean) + 6.0


def test_both_stages_and_both_window_sizes_earn_their_place():
    clean = scene("street", 96, seed=2)
    x = noisy(clean, 0.1)
    one_window = psnr(dct_denoise(x, 0.1), clean)
    both = psnr(classical_estimate(x, 0.1), clean)
    assert both > one_window
    # The Wiener stage beats the hard threshold alone (a threshold this high leaves no second stage).
    assert one_window > psnr(dct_denoise(x, 0.1, threshold=50.0), clean)


def test_a_clean_image_or_zero_sigma_comes_back_unchanged():
    clean = scene("face", 48, seed=1).astype(np.float32)
    np.testing.assert_array_equal(dct_denoise(clean, 0.0), clean)
    # At a small sigma, a clean image barely moves.
    assert np.abs(dct_denoise(clean, 0.005) - clean).max() < 0.03


def test_gray_and_odd_sizes_and_strides():
    clean = scene("face", 37, seed=1)[..., :1].repeat(1, 2)[:, :29]
    x = noisy(clean, 0.1)
    for kwargs in ({}, {"patch": 16, "stride": 2}, {"patch": 16, "stride": 3}):
        out = dct_denoise(x, 0.1, **kwargs)
        assert out.shape == x.shape and out.dtype == np.float32
        assert psnr(out, clean) > psnr(x, clean) + 3.0


def test_noise_in_each_colour_channel_is_removed_alike():
    # The opponent transform is orthonormal: noise in one channel only is removed too.
    clean = np.full((64, 64, 3), 0.5, np.float32)
    x = clean.copy()
    x[..., 2] = noisy(clean[..., 2], 0.1)
    out = dct_denoise(x, 0.1 / np.sqrt(3))
    assert np.abs(out - clean).mean() < 0.3 * np.abs(x - clean).mean()


def test_fill_held_out_hides_their_values():
    rng = np.random.default_rng(0)
    x = rng.random((32, 32, 3)).astype(np.float32)
    held = rng.random((32, 32)) < 0.1
    spiked = x.copy()
    spiked[held] += 10.0
    a, b = fill_held_out(x, held), fill_held_out(spiked, held)
    # What the held-out pixels held does not reach the filled image at all.
    np.testing.assert_allclose(a[held], b[held], atol=1e-5)
    np.testing.assert_array_equal(a[~held], x[~held])


def test_fill_held_out_where_every_neighbour_is_held_out_too():
    x = np.arange(25, dtype=np.float32).reshape(5, 5, 1)
    held = np.zeros((5, 5), bool)
    held[1:4, 1:4] = True
    out = fill_held_out(x, held)
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(out[~held], x[~held])
