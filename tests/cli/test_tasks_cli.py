"""``dip denoise``, ``super-resolve``, ``jpeg``, ``flash-no-flash`` and ``suggest-mask`` as real subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dip_plugin.imageio import load_image, save_image
from dip_plugin.synthetic import old_photo, scene

FAST = ["--preset", "fast", "--iterations", "2", "--device", "cpu"]


def dip(*args: str | Path, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "DIP_MAX_PIXELS"}
    environ["OMP_NUM_THREADS"] = "1"
    return subprocess.run([sys.executable, "-m", "dip_plugin", *map(str, args)], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=timeout)


def rgb8(size: int, seed: int = 0) -> np.ndarray:
    return (scene("face", size, seed=seed) * 255).round().astype(np.uint8)


def test_denoise_keeps_format_and_size(tmp_path):
    rgba = np.dstack([rgb8(24), np.full((24, 24), 200, np.uint8)])
    save_image(tmp_path / "in.png", rgba)
    r = dip("denoise", "in.png", "-o", "out.png", *FAST, "--gif", "fit.gif", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = load_image(tmp_path / "out.png").pixels
    assert out.shape == (24, 24, 4) and out.dtype == np.uint8
    assert (out[..., 3] == 200).all()
    assert (tmp_path / "fit.gif").stat().st_size > 0
    assert "wrote out.png (24×24" in r.stderr


def test_super_resolve_scales_and_checks_scale(tmp_path):
    save_image(tmp_path / "small.png", rgb8(12)[..., 0])  # gray
    r = dip("super-resolve", "small.png", "--scale", "4", "-o", "big.tif", *FAST, "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert load_image(tmp_path / "big.tif").pixels.shape == (48, 48)
    bad = dip("super-resolve", "small.png", "--scale", "3", "-o", "big.png", cwd=tmp_path)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_jpeg_and_errors(tmp_path):
    from PIL import Image

    Image.fromarray(rgb8(24)).save(tmp_path / "in.jpg", quality=15)
    r = dip("jpeg", "in.jpg", "-o", "out.png", *FAST, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert load_image(tmp_path / "out.png").pixels.shape == (24, 24, 3)
    same = dip("jpeg", "in.jpg", "-o", "in.jpg", cwd=tmp_path)
    assert same.returncode == 2 and "dip: error:" in same.stderr and "input" in same.stderr
    missing = dip("jpeg", "nope.jpg", "-o", "out2.png", cwd=tmp_path)
    assert missing.returncode == 2 and "nope.jpg" in missing.stderr
    assert not (tmp_path / "out2.png").exists()


def test_flash_no_flash(tmp_path):
    save_image(tmp_path / "flash.png", rgb8(24, seed=1))
    save_image(tmp_path / "dark.png", (rgb8(24, seed=1) // 3).astype(np.uint8))
    save_image(tmp_path / "other.png", rgb8(20))
    r = dip("flash-no-flash", "--flash", "flash.png", "--no-flash", "dark.png", "-o", "out.png", *FAST, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert load_image(tmp_path / "out.png").pixels.shape == (24, 24, 3)
    bad = dip("flash-no-flash", "--flash", "other.png", "--no-flash", "dark.png", "-o", "x.png", cwd=tmp_path)
    assert bad.returncode == 2 and "same size" in bad.stderr


def test_suggest_mask_feeds_inpaint(tmp_path):
    img, truth = old_photo(128, seed=0)
    save_image(tmp_path / "scan.png", (img * 255).round().astype(np.uint8))
    r = dip("suggest-mask", "scan.png", "-o", "mask.png", "--grow", "0", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    mask = load_image(tmp_path / "mask.png").pixels
    assert mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 255}
    found = mask > 127
    assert (found & truth).sum() > 0.8 * truth.sum()
    assert (found & truth).sum() > 0.8 * found.sum()
    assert "pixels marked" in r.stderr
    r = dip("inpaint", "scan.png", "--mask", "mask.png", "-o", "restored.png", *FAST, cwd=tmp_path)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--sensitivity", "2"], "between 0 and 1"), (["--max-width", "0"], "--max-width"), (["--grow", "99"], "--grow")],
)
def test_suggest_mask_bad_options(tmp_path, args, message):
    save_image(tmp_path / "scan.png", rgb8(16))
    r = dip("suggest-mask", "scan.png", "-o", "mask.png", *args, cwd=tmp_path)
    assert r.returncode == 2 and message in r.stderr
    assert not (tmp_path / "mask.png").exists()
