"""The oriented fill: diffusion along the texture's direction."""

from __future__ import annotations

import pytest
import torch
from patterns import streaks

from dip_plugin.engine.classical import smooth_fill
from dip_plugin.engine.oriented import oriented_fill, structure_tensor


def _streaks(size: int = 64) -> torch.Tensor:
    return torch.from_numpy(streaks(size)).permute(2, 0, 1)[None].contiguous()


def _band(size: int = 64, x0: int = 28, width: int = 9) -> torch.Tensor:
    known = torch.ones(1, 1, size, size, dtype=torch.bool)
    known[..., x0 : x0 + width] = False
    return known


def _hole_mse(fill: torch.Tensor, truth: torch.Tensor, known: torch.Tensor) -> float:
    return float((fill - truth)[~known.expand_as(truth)].square().mean())


def test_a_band_across_streaks_is_filled_along_them():
    img, known = _streaks(), _band()
    target = torch.where(known, img, torch.zeros_like(img))  # the hole's pixels must not leak in
    oriented = _hole_mse(oriented_fill(target, known), img, known)
    smooth = _hole_mse(smooth_fill(target, known, iters=200), img, known)
    assert oriented < 0.6 * smooth


def test_known_pixels_are_kept_exactly_and_the_fill_stays_in_range():
    img, known = _streaks(), _band()
    out = oriented_fill(img, known)
    assert torch.equal(out[known.expand_as(img)], img[known.expand_as(img)])
    hole = out[~known.expand_as(img)]
    assert bool(torch.isfinite(hole).all())
    assert float(hole.min()) >= float(img.min()) - 0.05 and float(hole.max()) <= float(img.max()) + 0.05


def test_a_linear_ramp_comes_back_exactly():
    y, x = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    ramp = (0.2 + 0.01 * x + 0.005 * y).expand(1, 3, 32, 32)
    known = torch.ones(1, 1, 32, 32, dtype=torch.bool)
    known[..., 10:22, 8:20] = False
    assert float((oriented_fill(ramp, known) - ramp).abs().max()) < 1e-3


def test_the_structure_tensor_points_across_stripes():
    x = torch.arange(32.0)
    stripes = torch.sin(x / 2).expand(1, 3, 32, 32)  # varies along x only
    j = structure_tensor(stripes, torch.ones(1, 1, 32, 32, dtype=torch.bool))
    jxx, jxy, jyy = (float(c.mean()) for c in j[0])
    assert jxx > 100 * max(jyy, 1e-12) and abs(jxy) < 1e-3 * jxx


@pytest.mark.parametrize("known_all", [True, False])
def test_nothing_or_everything_known(known_all):
    img = _streaks(16)
    known = torch.full((1, 1, 16, 16), known_all)
    out = oriented_fill(img, known)
    assert torch.equal(out, img) if known_all else bool((out == 0.5).all())
