"""The engine on a CUDA GPU: the same contract as on the CPU, precision, and fits that work.

Skipped where no CUDA GPU is present (CI has none); run on a GPU machine with
``pytest tests/engine/test_cuda.py``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from patterns import weave

from dip_plugin.engine import PRESETS, denoise, inpaint, super_resolve
from dip_plugin.engine.device import describe_device, select_device
from dip_plugin.engine.fit import Fit, Problem
from dip_plugin.synthetic import scene

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _case(size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    img = scene("bricks", size, seed=0)
    mask = np.zeros((size, size), bool)
    mask[size // 3 : size // 2, size // 4 : size // 2] = True
    return img, mask


def _hole_mse(out: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> float:
    return float(np.mean((out[mask].astype(np.float64) - truth[mask]) ** 2))


def test_auto_picks_cuda():
    assert select_device("auto").type == "cuda"
    assert describe_device("auto").startswith("CUDA (")


@pytest.mark.parametrize("mixed", [False, True])
def test_fit_precision_on_the_gpu_and_float32_outputs(mixed):
    target = torch.rand(1, 3, 64, 64)  # five levels: 64 px leaves 2×2 at the bottom for BatchNorm
    settings = dataclasses.replace(PRESETS["fast"], mixed_precision=mixed)
    fit = Fit(Problem(target, torch.ones(1, 1, 64, 64), (64, 64)), settings, device=torch.device("cuda"))
    assert fit.autocast == (mixed and torch.cuda.is_bf16_supported())
    state = next(fit.steps(3))
    assert state.output.device.type == "cuda" and state.output.dtype == torch.float32
    assert np.isfinite(state.loss)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_inpaint_contract_on_cuda(dtype):
    img, mask = _case()
    if dtype is np.uint8:
        img = (img * 255).round().astype(np.uint8)
    elif dtype is np.uint16:
        img = (img * 65535).round().astype(np.uint16)
    alpha = np.full((*img.shape[:2], 1), img.max(), img.dtype)
    rgba = np.concatenate([img, alpha], axis=-1)
    out = inpaint(rgba, mask, preset=dataclasses.replace(PRESETS["fast"], iterations=20), device="cuda")
    assert out.shape == rgba.shape and out.dtype == rgba.dtype
    assert np.array_equal(out[~mask], rgba[~mask])
    assert np.array_equal(out[..., 3], rgba[..., 3])


def test_a_fit_on_cuda_fills_the_hole_about_as_well_as_on_the_cpu():
    img, mask = _case()
    preset = dataclasses.replace(PRESETS["fast"], iterations=150, early_stop=False)
    gpu = inpaint(img, mask, preset=preset, device="cuda")
    cpu = inpaint(img, mask, preset=preset, device="cpu")
    start = inpaint(img, mask, preset=dataclasses.replace(preset, iterations=1, guard=False), device="cuda")
    assert _hole_mse(gpu, img, mask) < 0.5 * _hole_mse(start, img, mask)
    # Another noise stream (CUDA's generator) and TF32 convolutions: the same quality, within 1 dB.
    ratio = _hole_mse(gpu, img, mask) / _hole_mse(cpu, img, mask)
    assert 10 ** (-0.1) < ratio < 10 ** 0.1


def test_progress_and_stop_on_cuda():
    img, mask = _case()
    seen = []
    out = inpaint(img, mask, preset="fast", iterations=500, device="cuda", on_progress=seen.append,
                  should_stop=lambda: len(seen) > 3)
    assert seen[0].step == 0 and seen[-1].step < 500
    assert np.array_equal(out[~mask], img[~mask])


def test_denoise_and_super_resolve_on_cuda():
    img = scene("face", 64, seed=0)
    rng = np.random.default_rng(0)
    noisy = np.clip(img + rng.normal(0, 0.1, img.shape), 0, 1).astype(np.float32)
    clean = denoise(noisy, preset="fast", device="cuda")
    assert np.mean((clean - img) ** 2) < 0.5 * np.mean((noisy - img) ** 2)
    big = super_resolve(img, 2, preset="fast", iterations=50, device="cuda")
    assert big.shape == (128, 128, 3) and np.isfinite(big).all()


def test_copies_of_a_repeating_pattern_are_searched_on_the_gpu():
    from dip_plugin.engine.exemplar import exemplar_fill

    img = weave(64)
    image = torch.from_numpy(img).permute(2, 0, 1)[None].contiguous()
    known = torch.ones(1, 1, 64, 64, dtype=torch.bool)
    known[..., 20:23, 8:50] = False
    fill, error = exemplar_fill(image.cuda(), known.cuda())
    assert fill.is_cuda and float((fill.cpu() - image).abs().max()) < 1e-6 and float(error.max()) < 1e-6
    mask = (~known)[0, 0].numpy()
    out = inpaint(img, mask, preset=dataclasses.replace(PRESETS["fast"], iterations=8), device="cuda")
    assert _hole_mse(out, img, mask) < 1e-4
