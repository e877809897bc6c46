"""suggest_mask: finds generated scratches and dust with good precision and recall, leaves features alone."""

from __future__ import annotations

import numpy as np
import pytest

from dip_plugin.engine import suggest_mask
from dip_plugin.synthetic import hole_mask, old_photo, scene


def precision_recall(found: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    hit = float((found & truth).sum())
    return hit / max(1.0, float(found.sum())), hit / float(truth.sum())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_finds_scratches_and_dust_on_an_old_photo(seed):
    img, truth = old_photo(256, seed=seed)
    found = suggest_mask(img, grow=0)
    precision, recall = precision_recall(found, truth)
    assert precision > 0.95
    assert recall > 0.95


def test_faint_scratches_on_a_face():
    rng = np.random.default_rng(0)
    gray = scene("face", 256, seed=0).mean(-1) + rng.normal(0, 0.02, (256, 256))
    truth = hole_mask("thin", 256, seed=0)
    img = np.clip(gray - 0.3 * truth, 0, 1).astype(np.float32)
    precision, recall = precision_recall(suggest_mask(img, grow=0), truth)
    assert precision > 0.75
    assert recall > 0.9


def test_clean_smooth_image_gives_an_empty_mask():
    img = scene("sky", 128, seed=0)
    assert suggest_mask(img).sum() == 0


def test_wide_features_are_not_defects():
    img = np.full((64, 64), 0.5, np.float32)
    img[20:40, 20:40] = 1.0  # a 20 px bright square: a feature, not dust
    img[:, 5] = 0.0  # a 1 px scratch
    m = suggest_mask(img, grow=0)
    assert m[:, 5].all()
    assert not m[22:38, 22:38].any()


def test_grow_and_sensitivity():
    img, _ = old_photo(128, seed=4)
    m0 = suggest_mask(img, grow=0)
    m2 = suggest_mask(img, grow=2)
    assert (m2 >= m0).all() and m2.sum() > m0.sum()
    low = suggest_mask(img, sensitivity=0.1, grow=0)
    high = suggest_mask(img, sensitivity=0.9, grow=0)
    assert low.sum() <= m0.sum() <= high.sum()


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_color_and_dtypes(dtype):
    img = np.full((48, 48, 3), 0.5)
    img[:, 30] = [0.95, 0.95, 0.9]
    img = (img * np.iinfo(dtype).max).astype(dtype) if np.issubdtype(dtype, np.integer) else img.astype(dtype)
    m = suggest_mask(img, grow=0)
    assert m.shape == (48, 48) and m.dtype == bool
    assert m[:, 30].all() and m.sum() == 48


def test_transparent_pixels_are_never_marked():
    img = np.full((32, 32, 4), 128, np.uint8)
    img[:, 10, :3] = 255
    img[:16, :, 3] = 0
    m = suggest_mask(img, grow=1)
    assert not m[:16].any()
    assert m[16:, 10].all()


@pytest.mark.parametrize(
    ("kwargs", "exc"),
    [({"sensitivity": 2.0}, ValueError), ({"sensitivity": "high"}, TypeError), ({"max_width": 0}, ValueError),
     ({"grow": 1.5}, TypeError), ({"grow": 17}, ValueError)],
)
def test_bad_arguments(kwargs, exc):
    with pytest.raises(exc):
        suggest_mask(np.zeros((8, 8), np.uint8), **kwargs)
