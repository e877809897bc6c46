"""The engine's parts: nets, smooth fill, held-out pixels, crop planning, pixel conversion, devices."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dip_plugin.engine.classical import smooth_fill
from dip_plugin.engine.device import select_device
from dip_plugin.engine.holdout import hole_thickness, random_pixels, square_patches
from dip_plugin.engine.nets import DeepDecoder, NetSpec, SkipNet, build_net, count_parameters
from dip_plugin.engine.pixels import to_pixels
from dip_plugin.engine.presets import PRESETS
from dip_plugin.engine.regions import hole_boxes, plan_crops


@pytest.mark.parametrize("upsample", ["bilinear", "nearest"])
def test_skip_net_reproduces_the_input_size(upsample):
    spec = NetSpec(input_depth=4, down=(8, 8, 8), up=(8, 8, 8), skip=(2, 0, 2), upsample=upsample)
    net = SkipNet(spec, out_channels=3)
    with torch.no_grad():
        out = net(torch.rand(spec.input_shape(40, 24)))
    assert out.shape == (1, 3, 40, 24)
    assert float(out.min()) >= 0 and float(out.max()) <= 1, "a sigmoid bounds the output"


def test_skip_net_rejects_mismatched_levels():
    with pytest.raises(ValueError, match="one entry per level"):
        SkipNet(NetSpec(down=(8, 8), up=(8,), skip=(0, 0)), 3)


def test_deep_decoder_is_under_parameterised():
    spec = NetSpec(kind="decoder", up=(32,) * 5)
    net = build_net(spec, 3)
    assert isinstance(net, DeepDecoder)
    z = torch.rand(spec.input_shape(64, 64))
    with torch.no_grad():
        assert net(z).shape == (1, 3, 64, 64)
    assert count_parameters(net) < 3 * 64 * 64
    assert all(m.kernel_size == (1, 1) for m in net.modules() if isinstance(m, torch.nn.Conv2d))


def test_paper_preset_is_the_papers_inpainting_net():
    spec = PRESETS["paper"].net
    assert spec.down == spec.up == spec.skip == (128,) * 5 and spec.upsample == "nearest"
    assert PRESETS["paper"].lr == 0.01 and PRESETS["paper"].reg_noise_std == 0.03
    # ~3 million parameters, as in the authors' text-inpainting configuration.
    assert 2.5e6 < count_parameters(build_net(spec, 3)) < 3.5e6


def test_smooth_fill_matches_a_linear_ramp_and_keeps_known_pixels():
    ramp = torch.linspace(0, 1, 48).repeat(1, 3, 48, 1)
    known = torch.ones(1, 1, 48, 48, dtype=torch.bool)
    known[..., 10:30, 12:40] = False
    out = smooth_fill(ramp * known, known)
    assert torch.equal(out[known.expand_as(out)], (ramp * known)[known.expand_as(out)])
    assert float((out - ramp).abs().max()) < 2e-3, "a biharmonic fill continues a ramp exactly"


def test_hole_thickness_and_patches():
    hole = torch.zeros(1, 1, 96, 96, dtype=torch.bool)
    hole[..., 40:48, 10:80] = True
    assert hole_thickness(hole) == 7
    usable = ~hole
    patches = square_patches(hole, usable, seed=1)
    assert bool(patches.any())
    assert not bool((patches & hole).any()), "held-out pixels are known pixels"
    assert int(patches.sum()) < 0.1 * int(usable.sum())
    assert torch.equal(patches, square_patches(hole, usable, seed=1)), "deterministic for a seed"


def test_patches_fall_back_to_single_pixels_when_nothing_fits():
    rng = np.random.default_rng(0)
    hole = torch.from_numpy(rng.random((40, 40)) < 0.5)[None, None]
    patches = square_patches(hole, ~hole, seed=0)
    assert bool(patches.any()) and not bool((patches & hole).any())
    px = random_pixels(~hole, fraction=0.1, seed=0)
    assert 0.02 < float(px.float().mean()) < 0.08


def test_hole_boxes_group_nearby_holes():
    m = np.zeros((300, 300), bool)
    m[10:20, 10:20] = True
    m[10:20, 25:30] = True  # 5 px away: same group with a merge distance
    m[200:210, 200:260] = True
    assert hole_boxes(m, merge_distance=8) == [(10, 20, 10, 30), (200, 210, 200, 260)]
    assert len(hole_boxes(m)) == 3


def test_crops_cover_holes_with_context_and_respect_the_budget():
    m = np.zeros((3000, 4000), bool)
    m[100:140, 100:160] = True
    m[2000:2400, 1000:1800] = True  # a large hole: fitted at reduced scale
    crops = plan_crops(m, max_pixels=256 * 256, multiple=32)
    assert len(crops) == 2
    for c in crops:
        assert c.y0 >= 0 and c.x0 >= 0 and c.y1 <= 3000 and c.x1 <= 4000
        h, w = c.fit_size(32)
        assert h % 32 == 0 and w % 32 == 0
        assert h * w <= 1.3 * 256 * 256
    small, big = sorted(crops, key=lambda c: c.height * c.width)
    assert small.scale == 1.0 and small.y0 <= 100 - 24 and small.x1 >= 160 + 24
    assert big.scale < 0.3
    covered = np.zeros_like(m)
    for c in crops:
        covered[c.slices] = True
    assert covered[m].all()


def test_crops_become_the_whole_image_when_holes_are_everywhere():
    m = np.zeros((128, 128), bool)
    m[::16, :] = True
    crops = plan_crops(m)
    assert [(c.y0, c.y1, c.x0, c.x1) for c in crops] == [(0, 128, 0, 128)]


@pytest.mark.parametrize(("dtype", "top"), [(np.uint8, 255), (np.uint16, 65535)])
def test_pixels_round_trip_exactly(dtype, top):
    img = np.arange(5 * 7 * 4).reshape(5, 7, 4).astype(dtype) * (top // 139)
    p = to_pixels(img)
    assert p.color.shape == (5, 7, 3) and p.alpha is not None
    assert np.array_equal(p.to_image(p.color), img)


def test_gray_2d_stays_2d():
    img = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    p = to_pixels(img)
    assert p.color.shape == (3, 4, 1) and p.to_image(p.color).shape == (3, 4)


def test_device_choice():
    assert select_device("cpu").type == "cpu"
    assert select_device("auto").type in ("cpu", "cuda", "mps")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA"):
            select_device("cuda")


def test_float_pixels_near_float32_limits_do_not_overflow():
    img = np.linspace(-3e38, 3e38, 6 * 5, dtype=np.float32).reshape(6, 5)
    p = to_pixels(img)
    assert np.isfinite(p.color).all() and p.color.min() == 0.0 and p.color.max() == 1.0
    back = p.to_image(p.color)
    assert back.dtype == np.float32 and np.isfinite(back).all()
    np.testing.assert_allclose(back, img, rtol=0, atol=3e38 * 1e-6)
    assert np.isfinite(p.to_image(p.color * 2 - 0.5)).all()  # a fill past the range is clipped, not inf


def test_inpaint_of_float_pixels_near_float32_limits_is_finite():
    from dip_plugin import inpaint

    img = np.linspace(-3e38, 3e38, 16 * 16, dtype=np.float32).reshape(16, 16)
    hole = np.zeros((16, 16), bool)
    hole[6:9, 6:9] = True
    out = inpaint(img, hole, preset="fast", iterations=2, seed=0)
    assert np.isfinite(out).all()
    assert np.array_equal(out[~hole], img[~hole])


def test_thin_holes_by_group_equal_the_whole_mask_at_once():
    from PIL import Image, ImageDraw

    from dip_plugin.engine.regions import _thin_holes, thin_holes

    rng = np.random.default_rng(3)
    for _ in range(3):
        canvas = Image.new("L", (700, 500), 0)
        draw = ImageDraw.Draw(canvas)
        for _ in range(6):  # strokes 3 to 30 px wide and blobs, some at the image's edge
            pts = [tuple(int(v) for v in rng.integers(-20, 720, 2)) for _ in range(3)]
            draw.line(pts, fill=255, width=int(rng.integers(3, 31)))
            x, y = (int(v) for v in rng.integers(0, 660, 2))
            draw.ellipse((x, y, x + int(rng.integers(10, 60)), y + int(rng.integers(10, 60))), fill=255)
        mask = np.asarray(canvas) > 0
        np.testing.assert_array_equal(thin_holes(mask, 16), _thin_holes(mask, 16))
        assert thin_holes(mask, 16).any() and (mask & ~thin_holes(mask, 16)).any()
