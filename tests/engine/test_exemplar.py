"""The exemplar fill: copies from matching known windows, only from known pixels, with a match error."""

from __future__ import annotations

import torch
from patterns import weave

from dip_plugin.engine.exemplar import exemplar_fill


def _weave(size: int = 64) -> torch.Tensor:
    return torch.from_numpy(weave(size)).permute(2, 0, 1)[None].contiguous()


def _text_hole(size: int = 64) -> torch.Tensor:
    known = torch.ones(1, 1, size, size, dtype=torch.bool)
    known[..., 20:23, 8:50] = False  # a 3-pixel stroke
    known[..., 30:45, 40:43] = False
    return known


def test_a_repeating_pattern_comes_back_exactly_with_zero_match_error():
    image, known = _weave(), _text_hole()
    fill, error = exemplar_fill(image, known)
    assert float((fill - image).abs().max()) < 1e-6
    assert float(error.max()) < 1e-9


def test_the_coarse_search_still_finds_the_pattern_s_phase():
    image, known = _weave(96), _text_hole(96)
    fill, _ = exemplar_fill(image, known, max_coarse=200)  # a grid of every 6th window or so
    assert float((fill - image).abs().max()) < 1e-6


def test_copies_come_only_from_known_pixels_and_known_pixels_are_kept():
    image, known = _weave(), _text_hole()
    poisoned = torch.where(known, image, torch.full_like(image, 1e6))
    fill, error = exemplar_fill(poisoned, known)
    assert torch.equal(fill[known.expand_as(fill)], image[known.expand_as(image)])
    assert float(fill.max()) <= 1.0 and float((fill - image).abs().max()) < 1e-6
    assert float(error[known].abs().max()) == 0.0


def test_match_error_is_large_where_the_content_does_not_repeat():
    gen = torch.Generator().manual_seed(0)
    noise = torch.rand(1, 3, 64, 64, generator=gen)
    _, error = exemplar_fill(noise, _text_hole())
    hole = ~_text_hole()
    assert float(error[hole].median()) > 0.05  # two uniform values differ by 1/6 in the mean square


def test_without_a_fully_known_window_the_image_comes_back_with_infinite_error():
    image = _weave(16)
    known = torch.ones(1, 1, 16, 16, dtype=torch.bool)
    known[..., :, ::4] = False  # no 7×7 window escapes these columns
    fill, error = exemplar_fill(image, known)
    assert torch.equal(fill, image)
    assert bool(torch.isinf(error[~known]).all()) and float(error[known].max()) == 0.0
