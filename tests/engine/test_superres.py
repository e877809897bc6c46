"""Super-resolution: the Lanczos downsampler against its definition, shapes, dtypes, alpha, stop."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from dip_plugin.engine import SR_PRESETS, super_resolve
from dip_plugin.engine._restore import TaskPreset
from dip_plugin.engine.nets import NetSpec
from dip_plugin.engine.presets import Settings
from dip_plugin.engine.superres import LanczosDownsampler, lanczos_kernel
from dip_plugin.synthetic import scene

TINY = NetSpec(input_depth=8, down=(16, 32, 32), up=(16, 32, 32), skip=(4, 4, 4))


def tiny(iterations: int = 3, lr: float = 0.01, ema: float = 0.99) -> TaskPreset:
    return TaskPreset(Settings(net=TINY, iterations=iterations, lr=lr, ema=ema, early_stop=False))


def reference_kernel(factor: int) -> np.ndarray:
    """The authors' get_kernel(factor, 'lanczos', phase=0.5, kernel_width=4*factor+1, support=2), as written there."""
    kernel_width, support = 4 * factor + 1, 2
    kernel = np.zeros([kernel_width - 1, kernel_width - 1])
    center = (kernel_width + 1) / 2.0
    for i in range(1, kernel.shape[0] + 1):
        for j in range(1, kernel.shape[1] + 1):
            di = abs(i + 0.5 - center) / factor
            dj = abs(j + 0.5 - center) / factor
            val = 1.0
            if di != 0:
                val = val * support * np.sin(np.pi * di) * np.sin(np.pi * di / support) / (np.pi * np.pi * di * di)
            if dj != 0:
                val = val * support * np.sin(np.pi * dj) * np.sin(np.pi * dj / support) / (np.pi * np.pi * dj * dj)
            kernel[i - 1][j - 1] = val
    return kernel / kernel.sum()


def reference_downsampler(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Downsampler(n_planes, factor, 'lanczos2', phase=0.5, preserve_size=True): dense conv + ReplicationPad2d."""
    k = torch.from_numpy(reference_kernel(factor)).float()
    c = x.shape[1]
    conv = nn.Conv2d(c, c, kernel_size=k.shape, stride=factor, padding=0)
    conv.weight.data[:] = 0
    conv.bias.data[:] = 0
    for i in range(c):
        conv.weight.data[i, i] = k
    pad = int((k.shape[0] - factor) / 2.0)  # even kernel
    with torch.no_grad():
        return conv(nn.ReplicationPad2d(pad)(x))


@pytest.mark.parametrize("factor", [2, 3, 4, 8])
def test_lanczos_kernel_is_the_authors(factor):
    k = lanczos_kernel(factor)
    assert k.shape == (4 * factor,)
    np.testing.assert_allclose(np.outer(k, k), reference_kernel(factor), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("factor", [2, 4, 8])
def test_downsampler_matches_its_definition(factor):
    x = torch.rand(1, 3, 8 * factor, 6 * factor, generator=torch.Generator().manual_seed(factor))
    out = LanczosDownsampler(factor)(x)
    assert out.shape == (1, 3, 8, 6)
    torch.testing.assert_close(out, reference_downsampler(x, factor), rtol=1e-5, atol=1e-6)


def test_downsampler_keeps_constants_and_rejects_odd_sizes():
    d = LanczosDownsampler(4)
    torch.testing.assert_close(d(torch.full((1, 2, 16, 16), 0.3)), torch.full((1, 2, 4, 4), 0.3))
    with pytest.raises(ValueError, match="multiple"):
        d(torch.rand(1, 1, 18, 16))


@pytest.mark.parametrize(
    ("shape", "dtype"),
    [((12, 10), np.uint8), ((12, 10, 3), np.uint16), ((12, 10, 3), np.float32), ((12, 10, 1), np.float32)],
)
def test_shape_and_dtype(shape, dtype):
    rng = np.random.default_rng(0)
    img = rng.random(shape).astype(np.float32)
    if dtype != np.float32:
        img = (img * np.iinfo(dtype).max).astype(dtype)
    out = super_resolve(img, 2, preset=tiny(), device="cpu")
    assert out.dtype == img.dtype
    assert out.shape == (24, 20, *shape[2:])


def test_alpha_is_upscaled_not_fitted():
    img = np.zeros((16, 16, 4), np.uint8)
    img[..., :3] = 120
    img[..., 3] = 255
    img[:, :8, 3] = 0
    out = super_resolve(img, 4, preset=tiny(), device="cpu")
    assert out.shape == (64, 64, 4)
    assert (out[:, :28, 3] == 0).all()
    assert (out[:, 36:, 3] == 255).all()


def test_fit_reproduces_the_low_resolution_image():
    """After a short fit, downsampling the result gives back the input far better than a flat guess."""
    hr = scene("face", 64, seed=1)
    d = LanczosDownsampler(2)
    lr = d(torch.from_numpy(hr).permute(2, 0, 1)[None])[0].permute(1, 2, 0).numpy().clip(0, 1)
    out = super_resolve(lr, 2, preset=tiny(100, ema=0.0), seed=0, device="cpu")
    back = d(torch.from_numpy(out).permute(2, 0, 1)[None])[0].permute(1, 2, 0).numpy()
    err = float(np.mean((back - lr) ** 2))
    flat = float(np.mean((lr - lr.mean(axis=(0, 1))) ** 2))
    assert err < 0.2 * flat


def test_progress_and_stop():
    img = np.random.default_rng(1).random((16, 16, 3)).astype(np.float32)
    seen = []
    out = super_resolve(img, 2, preset=tiny(200), device="cpu", on_progress=seen.append,
                        should_stop=lambda: len(seen) >= 1)
    assert seen[0].step == 0
    assert seen[0].preview.shape == (32, 32, 3)
    assert out.shape == (32, 32, 3)
    # Stopped before the fit began: the result is the back-projected start, i.e. the first preview.
    np.testing.assert_allclose(out, seen[0].preview)


def test_the_start_is_back_projected_and_fast_fits_a_net_that_sees_it():
    hr = scene("street", 64, seed=1)
    d = LanczosDownsampler(4)
    lr = d(torch.from_numpy(hr).permute(2, 0, 1)[None])[0].permute(1, 2, 0).numpy().clip(0, 1)
    start = super_resolve(lr, 4, preset="fast", device="cpu", should_stop=lambda: True)
    bicubic = torch.nn.functional.interpolate(torch.from_numpy(lr).permute(2, 0, 1)[None], scale_factor=4,
                                              mode="bicubic", align_corners=False).clamp(0, 1)

    def mismatch(up: torch.Tensor) -> float:
        return float(((d(up) - torch.from_numpy(lr).permute(2, 0, 1)[None]) ** 2).mean())

    assert mismatch(torch.from_numpy(start).permute(2, 0, 1)[None]) < 0.5 * mismatch(bicubic)
    assert SR_PRESETS["fast"].guide_start
    # After a short fit, a net that also sees the start is much closer to the truth than one from noise alone.
    guided = super_resolve(lr, 4, preset="fast", iterations=80, device="cpu")
    plain = super_resolve(lr, 4, preset=replace(SR_PRESETS["fast"], guide_start=False), iterations=80, device="cpu")
    assert np.abs(guided - hr).mean() < 0.95 * np.abs(plain - hr).mean()


def test_large_images_are_tiled():
    img = np.random.default_rng(2).random((40, 24)).astype(np.float32)
    task = TaskPreset(Settings(net=TINY, iterations=2, early_stop=False, report_every=1), tile=32, overlap=8)
    seen = []
    out = super_resolve(img, 2, preset=task, device="cpu", on_progress=seen.append)
    assert out.shape == (80, 48)
    assert seen[-1].total == 2 * 6  # 80×48 output in tiles of at most 32: 3 × 2 tiles
    assert np.isfinite(out).all()


@pytest.mark.parametrize(("scale", "exc"), [(1, ValueError), (9, ValueError), (2.0, TypeError), (True, TypeError)])
def test_bad_scale(scale, exc):
    with pytest.raises(exc, match="scale"):
        super_resolve(np.zeros((8, 8), np.uint8), scale)


def test_bad_preset_and_iterations():
    with pytest.raises(ValueError, match="preset"):
        super_resolve(np.zeros((8, 8), np.uint8), 2, preset="nope")
    with pytest.raises(ValueError, match="iterations"):
        super_resolve(np.zeros((8, 8), np.uint8), 2, iterations=-1)
    with pytest.raises(TypeError, match="image"):
        super_resolve([[0, 1]], 2)


@pytest.mark.parametrize("task", ["denoise", "remove_jpeg_artifacts", "super_resolve"])
def test_a_seed_out_of_range_is_named(task):
    import dip_plugin

    args = (np.zeros((8, 8), np.uint8), 2) if task == "super_resolve" else (np.zeros((8, 8), np.uint8),)
    with pytest.raises(ValueError, match="seed must be between 0 and 4294967295, got 18446744073709551615"):
        getattr(dip_plugin, task)(*args, seed=2**64 - 1)


def test_presets_exist():
    assert set(SR_PRESETS) == {"fast", "balanced", "quality", "paper"}
    paper = SR_PRESETS["paper"].settings
    assert paper.net.down == (128,) * 5 and paper.reg_noise_std == 0.03 and paper.ema == 0.0


@pytest.mark.parametrize("scale", [3, 5, 7])
def test_odd_scales_work_like_even_ones(scale):
    img = (np.random.default_rng(0).random((10, 12, 3)) * 255).astype(np.uint8)
    down = LanczosDownsampler(scale)(torch.rand(1, 3, 10 * scale, 12 * scale))
    assert down.shape == (1, 3, 10, 12)
    out = super_resolve(img, scale, preset="fast", iterations=2, device="cpu")
    assert out.shape == (10 * scale, 12 * scale, 3) and out.dtype == np.uint8
