"""``dip`` with hostile paths and files that cannot be written as asked: one ``dip: error:`` line and exit 2
before any fit, or a ``dip: warning:`` line for each loss the result's file makes; never a traceback.

Runs ``main(argv)`` in-process, with the fit replaced by a stand-in (tests/cli/conftest.py) where one
would run: what is tested is what happens around it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dip_plugin.cli import main
from dip_plugin.imageio import LoadedImage, load_image, save_image

LONG = "b" * 300


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, list[str]]:
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err.splitlines()


def assert_one_error(code: int, err: list[str], needle: str) -> None:
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith("dip: error: ") and needle in err[0], err


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """photo.png (16×16 RGB), mask.png (a 3×3 hole), and an empty out/ folder."""
    rng = np.random.default_rng(0)
    save_image(tmp_path / "photo.png", rng.integers(0, 256, (16, 16, 3)).astype(np.uint8))
    mask = np.zeros((16, 16), np.uint8)
    mask[6:9, 6:9] = 255
    save_image(tmp_path / "mask.png", mask)
    (tmp_path / "out").mkdir()
    return tmp_path


# ----------------------------------------------------------------------------------- paths


def _path_cases(d: Path, hidden: Path) -> list[tuple[str, list[str | Path]]]:
    """(case, argv): ``hidden`` is a folder whose contents cannot be looked at, or a name that is too long."""
    base: list[str | Path] = ["inpaint", d / "photo.png", "--mask", d / "mask.png", "-o", d / "out" / "r.png"]
    return [
        ("image", ["inpaint", hidden / "a.png", "--mask", d / "mask.png", "-o", d / "out" / "r.png"]),
        ("mask", ["inpaint", d / "photo.png", "--mask", hidden / "m.png", "-o", d / "out" / "r.png"]),
        ("output", [*base[:4], "-o", hidden / "r.png"]),
        ("gif", [*base, "--gif", hidden / "r.gif"]),
        ("save-progress", [*base, "--save-progress", hidden / "frames"]),
        ("batch", ["inpaint", "--batch", hidden / "in", "--mask-from-alpha", "-o", d / "out" / "batch"]),
        ("batch-output", ["inpaint", "--batch", d / "out", "--mask-from-alpha", "-o", hidden / "results"]),
    ]


@pytest.mark.parametrize("case", ["image", "mask", "output", "gif", "save-progress", "batch", "batch-output"])
def test_a_path_inside_a_folder_without_search_permission(
    files: Path, locked: Path, stand_in_inpaint: list, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    argv = dict(_path_cases(files, locked))[case]
    code, err = run(capsys, *argv)
    assert_one_error(code, err, "permission denied")
    assert stand_in_inpaint == [] and list((files / "out").iterdir()) == []


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may search any folder")
@pytest.mark.parametrize("case", ["image", "output", "gif"])
def test_a_real_folder_without_search_permission(files: Path, stand_in_inpaint: list,
                                                 capsys: pytest.CaptureFixture[str], case: str) -> None:
    folder = files / "dir"
    folder.mkdir()
    folder.chmod(0o644)
    try:
        code, err = run(capsys, *dict(_path_cases(files, folder))[case])
    finally:
        folder.chmod(0o755)
    assert_one_error(code, err, "permission denied")


@pytest.mark.parametrize("case", ["image", "mask", "output", "gif", "save-progress", "batch", "batch-output"])
def test_a_name_longer_than_255_bytes(files: Path, stand_in_inpaint: list, capsys: pytest.CaptureFixture[str],
                                      case: str) -> None:
    argv = dict(_path_cases(files, files / LONG))[case]
    code, err = run(capsys, *argv)
    assert_one_error(code, err, "too long")
    assert stand_in_inpaint == []


def test_an_output_name_longer_than_255_bytes(files: Path, stand_in_inpaint: list,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(capsys, "inpaint", files / "photo.png", "--mask", files / "mask.png",
                    "-o", files / "out" / f"{LONG}.png")
    assert_one_error(code, err, "a name in the path is too long")
    assert stand_in_inpaint == [] and list((files / "out").iterdir()) == []


# ----------------------------------------------------------------------------------- formats


def test_webp_wider_than_it_holds_is_refused_before_the_fit(tmp_path: Path, stand_in_inpaint: list,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    save_image(tmp_path / "wide.png", np.zeros((2, 17000, 3), np.uint8))
    mask = np.zeros((2, 17000), np.uint8)
    mask[:, 100:103] = 255
    save_image(tmp_path / "m.png", mask)
    code, err = run(capsys, "inpaint", tmp_path / "wide.png", "--mask", tmp_path / "m.png", "-o", tmp_path / "x.webp")
    assert_one_error(code, err, "WebP holds at most 16383×16383 pixels, the image is 17000×2")
    assert stand_in_inpaint == [] and not (tmp_path / "x.webp").exists()


def test_upscaled_result_too_wide_for_jpeg_is_refused_before_the_fit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import dip_plugin.engine

    monkeypatch.setattr(dip_plugin.engine, "super_resolve", lambda *a, **k: pytest.fail("the fit ran"))
    save_image(tmp_path / "a.png", np.zeros((2, 9000, 3), np.uint8))
    code, err = run(capsys, "super-resolve", tmp_path / "a.png", "--scale", "8", "-o", tmp_path / "x.jpg")
    assert_one_error(code, err, "JPEG holds at most 65500×65500 pixels, the image is 72000×16")


def _inpaint_to(capsys: pytest.CaptureFixture[str], files: Path, source: Path, output: str,
                *more: str) -> tuple[int, list[str]]:
    return run(capsys, "inpaint", source, "--mask", files / "mask.png", "-o", files / "out" / output, *more)


def test_exif_too_long_for_jpeg_is_dropped_with_a_warning(files: Path, stand_in_inpaint: list,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    exif = Image.Exif()
    exif[0x010E] = "x" * 100_000
    Image.open(files / "photo.png").save(files / "exif.png", exif=exif)
    code, err = _inpaint_to(capsys, files, files / "exif.png", "r.jpg")
    assert code == 0, err
    assert err[0].startswith("dip: warning: the EXIF data (100,0") and "written without it" in err[0], err
    assert stand_in_inpaint and (files / "out" / "r.jpg").exists()
    assert "exif" not in load_image(files / "out" / "r.jpg").info


@pytest.mark.parametrize(("pixels", "output"), [
    (np.full((16, 16, 3), 40000, np.uint16), "r.tif"),
    (np.full((16, 16, 4), 200, np.uint8), "r.bmp"),
])
@pytest.mark.parametrize("dpi", [5e6, 1e10])
def test_a_huge_resolution_never_fails_the_write(files: Path, stand_in_inpaint: list,
                                                 capsys: pytest.CaptureFixture[str], pixels: np.ndarray,
                                                 output: str, dpi: float) -> None:
    save_image(files / "src.png", pixels, like=LoadedImage(pixels, "RGB", "PNG", {"dpi": (dpi, dpi)}))
    code, err = _inpaint_to(capsys, files, files / "src.png", output)
    assert code == 0, err
    assert all(line.startswith("dip: warning: the resolution") for line in err[:-1]), err
    written = load_image(files / "out" / output)
    assert written.pixels.shape == pixels.shape and written.pixels.dtype == pixels.dtype


def _warnings(err: list[str]) -> list[str]:
    return [line.removeprefix("dip: warning: ") for line in err if line.startswith("dip: warning: ")]


@pytest.mark.parametrize(("pixels", "output", "needle"), [
    (np.full((16, 16, 4), 100, np.uint8), "r.jpg", "flattened onto white"),
    (np.full((16, 16, 2), 100, np.uint8), "r.jpg", "flattened onto white"),
    (np.full((16, 16, 3), 40000, np.uint16), "r.jpg", "the 16-bit pixels are written with 8 bits"),
    (np.full((16, 16), 40000, np.uint16), "r.webp", "the 16-bit pixels are written with 8 bits"),
    (np.full((16, 16), 3.5, np.float32), "r.png", "values outside [0, 1] are clipped"),
    (np.full((16, 16), 0.5, np.float32), "r.bmp", "the 32-bit float pixels are written with 8 bits"),
])
def test_lossy_conversions_are_one_warning_each(files: Path, stand_in_inpaint: list,
                                                capsys: pytest.CaptureFixture[str], pixels: np.ndarray,
                                                output: str, needle: str) -> None:
    source = files / ("src.tif" if pixels.dtype == np.float32 else "src.png")
    save_image(source, pixels)
    code, err = _inpaint_to(capsys, files, source, output)
    assert code == 0, err
    notes = _warnings(err)
    assert len(notes) == 1 and needle in notes[0], err
    code, err = _inpaint_to(capsys, files, source, output, "--quiet")
    assert code == 0 and err == []


def test_a_lossless_write_says_nothing(files: Path, stand_in_inpaint: list,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _inpaint_to(capsys, files, files / "photo.png", "r.tif")
    assert code == 0 and _warnings(err) == [] and len(err) == 1 and err[0].startswith("dip: wrote")


def test_multi_frame_input_warns_that_only_the_first_frame_is_used(files: Path, stand_in_inpaint: list,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    frames = [Image.new("RGB", (16, 16), c) for c in ("red", "green")]
    frames[0].save(files / "anim.gif", save_all=True, append_images=frames[1:])
    code, err = _inpaint_to(capsys, files, files / "anim.gif", "r.png")
    assert code == 0 and _warnings(err) == ["the input has 2 frames or pages; only the first is used"], err


def test_batch_warnings_name_the_file(files: Path, stand_in_inpaint: list,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    (files / "in").mkdir()
    (files / "masks").mkdir()
    save_image(files / "in" / "a.png", np.full((16, 16, 4), 100, np.uint8))
    (files / "masks" / "a.png").write_bytes((files / "mask.png").read_bytes())
    out = files / "out" / "jpgs"
    code, err = run(capsys, "inpaint", "--batch", files / "in", "--masks", files / "masks", "-o", out)
    assert code == 0, err
    assert _warnings(err) == []  # a batch writes each result in its own format (a.png stays PNG)
    assert (out / "a.png").exists()


def test_colour_key_transparency_is_kept_and_fills_with_mask_from_alpha(
    tmp_path: Path, stand_in_inpaint: list, capsys: pytest.CaptureFixture[str]
) -> None:
    rgb = np.full((16, 16, 3), 90, np.uint8)
    rgb[4:6, 4:6] = (255, 0, 255)
    Image.fromarray(rgb).save(tmp_path / "keyed.png", transparency=(255, 0, 255))
    code, err = run(capsys, "inpaint", tmp_path / "keyed.png", "--mask-from-alpha", "-o", tmp_path / "r.png")
    assert code == 0, err
    result = load_image(tmp_path / "r.png").pixels
    assert result.shape == (16, 16, 4) and (result[..., 3] == 255).all()  # the filled holes became opaque
    assert (result[4:6, 4:6, :3] == 90).all()


# ----------------------------------------------------------------------------------- through the real command


def test_no_traceback_from_the_real_command(files: Path) -> None:
    """One subprocess for the whole path: a name too long, and a file in a folder that is a file."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).parents[2])}
    for output in (files / "out" / f"{LONG}.png", files / "photo.png" / "r.png"):
        result = subprocess.run([sys.executable, "-m", "dip_plugin", "inpaint", str(files / "photo.png"), "--mask",
                                 str(files / "mask.png"), "-o", str(output)], capture_output=True, text=True,
                                env=env, timeout=120)
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("dip: error: "), result.stderr
