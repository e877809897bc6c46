"""dip_plugin.imageio_limits and the checks imageio makes with it: format limits, metadata that does not
fit, lossy conversions said in advance, hostile paths, colour-key transparency, multi-frame files."""

from __future__ import annotations

import errno
import os
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dip_plugin.imageio import (
    ImageIOError,
    LoadedImage,
    atomic_write,
    check_writable,
    load_image,
    mask_from_alpha,
    save_image,
)
from dip_plugin.imageio_limits import conversion_notes, fit_metadata, os_error_text, size_problem

LONG_NAME = "b" * 300


@pytest.fixture
def locked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder whose contents cannot be looked at, as without search permission, also for root (as in
    tests/cli/conftest.py)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    real_stat = os.stat

    def stat(path, *args, **kwargs):
        if isinstance(path, (str, os.PathLike)) and os.fspath(path).startswith(str(folder) + os.sep):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    return folder


def _big_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010E] = "x" * 100_000  # ImageDescription
    return exif.tobytes()


# ----------------------------------------------------------------------------------- format limits


def test_size_limits_per_format() -> None:
    assert "WebP holds at most 16383×16383" in size_problem("WEBP", 17000, 2)
    assert size_problem("WEBP", 16383, 16383) is None
    assert "JPEG holds at most 65500" in size_problem("JPEG", 2, 65501)
    assert size_problem("PNG", 70000, 1) is None
    assert "4 GB" in size_problem("BMP", 40000, 40000, 4)


@pytest.mark.parametrize(("ext", "width"), [(".webp", 17000), (".jpg", 65501)])
def test_too_wide_for_the_format_is_known_before_writing(tmp_path: Path, ext: str, width: int) -> None:
    a = np.zeros((2, width, 3), np.uint8)
    with pytest.raises(ImageIOError, match=r"holds at most .* save it as PNG or TIFF"):
        check_writable(tmp_path / f"x{ext}", a)
    with pytest.raises(ImageIOError, match="holds at most"):
        save_image(tmp_path / f"x{ext}", a)
    with pytest.raises(ImageIOError, match="holds at most"):  # an upscaled result is checked at its size
        check_writable(tmp_path / f"x{ext}", a[:, :8], size=(width, 2))
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------------- metadata


def test_exif_too_long_for_jpeg_is_left_out_with_a_note(tmp_path: Path) -> None:
    like = LoadedImage(np.zeros((4, 4, 3), np.uint8), "RGB", "PNG", {"exif": _big_exif()})
    notes = check_writable(tmp_path / "x.jpg", like.pixels, like=like)
    assert len(notes) == 1 and "EXIF data (100,0" in notes[0] and "written without it" in notes[0]
    assert check_writable(tmp_path / "x.png", like.pixels, like=like) == []  # PNG holds it
    save_image(tmp_path / "x.jpg", like.pixels, like=like)
    assert "exif" not in load_image(tmp_path / "x.jpg").info
    save_image(tmp_path / "x.png", like.pixels, like=like)
    assert len(load_image(tmp_path / "x.png").info["exif"]) > 65533


@pytest.mark.parametrize(("shape", "dtype", "ext"), [
    ((4, 4, 3), np.uint16, ".tif"), ((4, 4, 4), np.uint8, ".bmp"), ((4, 4, 3), np.uint8, ".bmp"),
    ((4, 4, 3), np.uint8, ".png"), ((4, 4, 3), np.uint16, ".png"), ((4, 4, 3), np.uint8, ".jpg"),
    ((4, 4, 3), np.uint8, ".tif"),
])
@pytest.mark.parametrize("dpi", [5e6, 1e10])
def test_a_huge_resolution_is_written_or_left_out_never_a_crash(
    tmp_path: Path, shape: tuple[int, ...], dtype: type, ext: str, dpi: float
) -> None:
    like = LoadedImage(np.zeros(shape, dtype), "RGB", "PNG", {"dpi": (dpi, dpi)})
    notes = check_writable(tmp_path / f"x{ext}", like.pixels, like=like)
    save_image(tmp_path / f"x{ext}", like.pixels, like=like)
    written = load_image(tmp_path / f"x{ext}").info.get("dpi")
    if notes:
        assert notes == [fit_metadata(output_ext(ext), like.info)[1][0]] and "dpi" in notes[0]
        assert written is None or written[0] < 1e5  # JPEG's default density
    else:
        assert written is not None and written[0] == pytest.approx(dpi, rel=1e-6)


def output_ext(ext: str) -> str:
    return {".tif": "TIFF", ".bmp": "BMP", ".png": "PNG", ".jpg": "JPEG"}[ext]


# ----------------------------------------------------------------------------------- lossy conversions


def test_lossy_conversions_are_named() -> None:
    rgba, gray16 = np.zeros((2, 2, 4), np.uint8), np.zeros((2, 2), np.uint16)
    unit, wide = np.full((2, 2, 3), 0.5, np.float32), np.full((2, 2, 3), 3.0, np.float32)
    assert conversion_notes("JPEG", rgba) == ["JPEG has no transparency: the transparent parts are flattened onto "
                                              "white"]
    assert conversion_notes("JPEG", gray16) == ["JPEG holds 8 bits per channel: the 16-bit pixels are written with "
                                                "8 bits"]
    assert "values outside [0, 1] are clipped" in conversion_notes("PNG", wide)[0]
    assert "clipped" not in conversion_notes("PNG", unit)[0]
    assert "clipped" in conversion_notes("WEBP", wide)[0]
    for fmt, a in [("PNG", rgba), ("PNG", gray16), ("TIFF", gray16), ("TIFF", unit[..., 0]), ("WEBP", rgba),
                   ("BMP", rgba), ("TIFF", np.zeros((2, 2, 2), np.uint16))]:
        assert conversion_notes(fmt, a) == [], (fmt, a.shape, a.dtype)


def test_multi_frame_input_is_noted(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (4, 4), c) for c in ("red", "green", "blue")]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    frames[0].save(tmp_path / "pages.tif", save_all=True, append_images=frames[1:])
    for name in ("anim.gif", "pages.tif"):
        image = load_image(tmp_path / name)
        assert image.frames == 3
        assert check_writable(tmp_path / "x.png", image.pixels, like=image) == [
            "the input has 3 frames or pages; only the first is used"]
    frames[0].save(tmp_path / "one.gif")
    assert load_image(tmp_path / "one.gif").frames == 1


# ----------------------------------------------------------------------------------- colour-key transparency


def test_png_colour_key_transparency_becomes_alpha(tmp_path: Path) -> None:
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    Image.fromarray(gray).save(tmp_path / "l.png", transparency=40)
    rgb = np.zeros((3, 4, 3), np.uint8)
    rgb[..., 0] = gray
    Image.fromarray(rgb).save(tmp_path / "rgb.png", transparency=(40, 0, 0))
    gray16 = gray.astype(np.uint16) * 257
    Image.fromarray(gray16).save(tmp_path / "l16.png", transparency=40 * 257)
    for name, layout, dtype in (("l.png", 2, np.uint8), ("rgb.png", 4, np.uint8), ("l16.png", 2, np.uint16)):
        image = load_image(tmp_path / name)
        assert image.pixels.shape == (3, 4, layout) and image.pixels.dtype == dtype, name
        hole = mask_from_alpha(image.pixels)
        assert hole.sum() == 1 and hole[0, 2], name
        save_image(tmp_path / f"out_{name}", image.pixels, like=image)  # kept on output, as alpha
        np.testing.assert_array_equal(load_image(tmp_path / f"out_{name}").pixels, image.pixels)


def test_16bit_rgb_png_colour_key_becomes_alpha(tmp_path: Path) -> None:
    from dip_plugin.imageio import _png_chunk

    a = (np.arange(4 * 5 * 3).reshape(4, 5, 3) * 1000).astype(np.uint16)
    save_image(tmp_path / "plain.png", a)
    data = (tmp_path / "plain.png").read_bytes()
    at = data.index(b"IDAT") - 4
    key = _png_chunk(b"tRNS", struct.pack(">HHH", *(int(v) for v in a[1, 2])))
    (tmp_path / "keyed.png").write_bytes(data[:at] + key + data[at:])
    pixels = load_image(tmp_path / "keyed.png").pixels
    assert pixels.shape == (4, 5, 4) and pixels.dtype == np.uint16
    np.testing.assert_array_equal(pixels[..., :3], a)
    assert mask_from_alpha(pixels).nonzero() == (np.array([1]), np.array([2]))


# ----------------------------------------------------------------------------------- hostile paths


def test_os_error_text() -> None:
    assert "permission denied" in os_error_text(PermissionError(errno.EACCES, "Permission denied"))
    assert "255 bytes" in os_error_text(OSError(errno.ENAMETOOLONG, "File name too long"))
    assert os_error_text(OSError(errno.EIO, "Input/output error")) == "Input/output error"


def test_a_file_in_a_folder_that_cannot_be_searched(locked: Path) -> None:
    with pytest.raises(ImageIOError, match=r"cannot read .*locked/a\.png: permission denied") as info:
        load_image(locked / "a.png")
    assert "\n" not in str(info.value)
    with pytest.raises(ImageIOError, match=r"cannot write .*: permission denied"), atomic_write(locked / "a.png"):
        pass


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may search any folder")
def test_a_file_in_a_folder_without_search_permission(tmp_path: Path) -> None:
    folder = tmp_path / "dir"
    folder.mkdir()
    save_image(folder / "a.png", np.zeros((2, 2), np.uint8))
    folder.chmod(0o644)
    try:
        with pytest.raises(ImageIOError, match="permission denied"):
            load_image(folder / "a.png")
        with pytest.raises(ImageIOError, match="permission denied"):
            save_image(folder / "b.png", np.zeros((2, 2), np.uint8))
    finally:
        folder.chmod(0o755)


def test_a_name_longer_than_255_bytes(tmp_path: Path) -> None:
    with pytest.raises(ImageIOError, match="a name in the path is too long"):
        load_image(tmp_path / f"{LONG_NAME}.png")
    with pytest.raises(ImageIOError, match="a name in the path is too long"):
        save_image(tmp_path / f"{LONG_NAME}.png", np.zeros((2, 2), np.uint8))
    with pytest.raises(ImageIOError, match="a name in the path is too long"):
        save_image(tmp_path / LONG_NAME / "x.png", np.zeros((2, 2), np.uint8))
    assert list(tmp_path.iterdir()) == []
