"""``dip inpaint`` over a matrix of odd files: every Pillow mode we read (L, LA, RGB, RGBA, P, I;16, F) saved by
Pillow in every input format that can hold it, written to every output format.

Each run must end in one of two ways, never in a traceback:

* exit 0: the result keeps the input's layout (gray, alpha) and depth, and its known pixels exactly where the
  output format is lossless, or each loss is named by a ``dip: warning:`` line;
* exit 2: exactly one ``dip: error:`` line, and no output file.

The fit is replaced by a stand-in (tests/cli/conftest.py): what is tested is reading, the checks before
the fit, and writing.  A few cases run the real engine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dip_plugin.cli import main
from dip_plugin.imageio import load_image, save_image

SIZE = 16
MODES = ("L", "LA", "RGB", "RGBA", "P", "I;16", "F", "F-wide", "L-key", "RGB-key")  # -key: PNG tRNS colour key
INPUTS = ("png", "tif", "jpg", "bmp", "webp", "gif")
OUTPUTS = ("png", "tif", "jpg", "bmp", "webp")
HOLE = (slice(6, 9), slice(6, 9))


def _pillow_image(mode: str) -> Image.Image:
    rng = np.random.default_rng(sum(map(ord, mode)))
    u8 = rng.integers(0, 256, (SIZE, SIZE, 4)).astype(np.uint8)
    u8[..., 3] = np.maximum(u8[..., 3], 1)
    u8[0, :4, 3] = 0  # a few transparent pixels outside the hole
    if mode in ("L", "RGB", "RGBA"):
        return Image.fromarray(u8[..., {"L": 0, "RGB": slice(0, 3), "RGBA": slice(0, 4)}[mode]], mode)
    if mode in ("L-key", "RGB-key"):
        im = _pillow_image(mode[:-4])
        im.info["transparency"] = im.getpixel((0, 0))
        return im
    if mode == "LA":
        return Image.fromarray(u8[..., [0, 3]], "LA")
    if mode == "P":
        return Image.fromarray(u8[..., :3]).quantize(32)
    if mode == "I;16":
        return Image.fromarray(rng.integers(0, 65536, (SIZE, SIZE)).astype(np.uint16))
    a = rng.random((SIZE, SIZE)).astype(np.float32)
    return Image.fromarray(a * 500 - 100 if mode == "F-wide" else a, "F")


def _cases() -> list[tuple[str, str]]:
    return [(mode, fmt) for mode in MODES for fmt in INPUTS]


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file per (mode, input format) that Pillow can write, and the mask."""
    folder = tmp_path_factory.mktemp("matrix")
    for mode, fmt in _cases():
        path = folder / f"{mode.replace(';', '')}.{fmt}"
        try:
            _pillow_image(mode).save(path)
        except (OSError, ValueError, KeyError, TypeError):
            path.unlink(missing_ok=True)  # this format cannot hold this mode: not a case
    mask = np.zeros((SIZE, SIZE), np.uint8)
    mask[HOLE] = 255
    save_image(folder / "mask.png", mask)
    return folder


def _as_gray_or_colour(a: np.ndarray, gray: bool) -> np.ndarray:
    """``a``'s colour channels, as one gray plane when ``gray`` (written gray as R = G = B counts as gray)."""
    c = a[..., None] if a.ndim == 2 else a
    colour = c[..., : c.shape[-1] - 1] if c.shape[-1] in (2, 4) else c
    if gray and colour.shape[-1] == 3:
        assert (colour[..., 0] == colour[..., 1]).all() and (colour[..., 1] == colour[..., 2]).all()
        return colour[..., :1]
    return colour


def _has_alpha(a: np.ndarray) -> bool:
    return a.ndim == 3 and a.shape[-1] in (2, 4)


def check_run(source: Path, out_dir: Path, fmt: str, capsys: pytest.CaptureFixture[str], *more: str) -> str:
    """Run ``dip inpaint`` on ``source`` to ``out_dir/r.FMT`` and check the outcome; returns "ok" or "refused"."""
    output = out_dir / f"r.{fmt}"
    code = main(["inpaint", str(source), "--mask", str(source.parent / "mask.png"), "-o", str(output),
                 "--iterations", "2", "--preset", "fast", *more])
    err = capsys.readouterr().err.splitlines()
    assert not any("Traceback" in line for line in err), err
    leftovers = [p.name for p in out_dir.iterdir() if p.name.startswith(".") or p.name.endswith(".part")]
    assert leftovers == [], leftovers
    if code == 2:
        assert len(err) == 1 and err[0].startswith("dip: error: "), err
        assert not output.exists()
        return "refused"
    assert code == 0, err
    warnings = " | ".join(line for line in err if line.startswith("dip: warning: "))
    said = [line for line in err if line.startswith("dip: ")]  # the rest is the progress bar
    assert all(line.startswith(("dip: warning: ", "dip: wrote ")) for line in said), err
    before, after = load_image(source).pixels, load_image(output).pixels
    gray = before.ndim == 2 or before.shape[-1] == 2
    # Alpha: kept, or flattened with a warning (and only then).
    if _has_alpha(before) and not _has_alpha(after):
        assert "flattened onto white" in warnings, (err, before.shape, after.shape)
    else:
        assert _has_alpha(after) == _has_alpha(before)
        assert "flattened" not in warnings
    # Depth: kept, or fewer bits with a warning (and only then).
    if after.dtype.itemsize < before.dtype.itemsize or (before.dtype.kind == "f" and after.dtype.kind != "f"):
        assert f"written with {8 * after.dtype.itemsize} bits" in warnings, (err, before.dtype, after.dtype)
    else:
        assert after.dtype == before.dtype and "bits" not in warnings, (err, before.dtype, after.dtype)
    # Values outside [0, 1] clipped: said when (and only when) the input has such values and floats are lost.
    if before.dtype.kind == "f" and after.dtype.kind != "f":
        assert ("clipped" in warnings) == bool(before.min() < 0 or before.max() > 1), err
    # Gray stays gray (RGB with R = G = B where the format has no gray), colour stays colour.
    b, a = _as_gray_or_colour(before, gray), _as_gray_or_colour(after, gray)
    assert a.shape == b.shape, (before.shape, after.shape)
    # Known pixels exactly as they were, where nothing was said to be lost and the format is lossless.
    if not warnings and fmt != "jpg":
        known = np.ones((SIZE, SIZE), bool)
        known[HOLE] = False
        np.testing.assert_array_equal(a[known], b[known])
        if _has_alpha(before):
            np.testing.assert_array_equal(after[..., -1], before[..., -1])
    return "ok"


def _matrix(sources: Path) -> list[Path]:
    return sorted(p for p in sources.iterdir() if p.name != "mask.png")


def test_matrix_is_what_was_meant(sources: Path) -> None:
    names = {p.name for p in _matrix(sources)}
    # Every mode has at least one file, and the odd ones exist where Pillow writes them.
    assert {"L.png", "LA.png", "RGB.jpg", "RGBA.webp", "P.gif", "I16.png", "I16.tif", "F.tif", "F-wide.tif",
            "L-key.png", "RGB-key.png"} <= names
    assert len(names) >= 35
    assert load_image(sources / "RGB-key.png").pixels.shape == (SIZE, SIZE, 4)


@pytest.mark.parametrize("fmt", OUTPUTS)
def test_every_odd_file_to_every_format(sources: Path, tmp_path: Path, stand_in_inpaint: list,
                                        capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    outcomes = {}
    for source in _matrix(sources):
        out_dir = tmp_path / source.name
        out_dir.mkdir()
        outcomes[source.name] = check_run(source, out_dir, fmt, capsys)
    # Everything here can be written somehow; refusals are for files or sizes a format cannot hold.
    assert set(outcomes.values()) == {"ok"}, outcomes


@pytest.mark.parametrize(("name", "fmt"), [("RGBA.png", "jpg"), ("I16.tif", "png"), ("F-wide.tif", "png"),
                                          ("L-key.png", "webp")])
def test_a_sample_with_the_real_fit(sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    name: str, fmt: str) -> None:
    assert check_run(sources / name, tmp_path, fmt, capsys) == "ok"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["L.png", "LA.png", "RGB.bmp", "P.gif", "I16.png", "F.tif", "RGBA.webp",
                                  "RGB-key.png"])
@pytest.mark.parametrize("fmt", OUTPUTS)
def test_more_with_the_real_fit(sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                name: str, fmt: str) -> None:
    assert check_run(sources / name, tmp_path, fmt, capsys) == "ok"
