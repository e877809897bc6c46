"""dip_plugin.imageio: round trips per format and layout, awkward files, errors, atomic writes."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from dip_plugin import imageio
from dip_plugin.imageio import (
    ImageIOError,
    LoadedImage,
    apply_orientation,
    atomic_write,
    load_image,
    load_mask,
    mask_from_alpha,
    output_format,
    save_image,
)
from dip_plugin.synthetic import scene

RNG = np.random.default_rng(7)


def _random(shape: tuple[int, ...], dtype=np.uint8) -> np.ndarray:
    top = np.iinfo(dtype).max
    return RNG.integers(0, top + 1, shape, dtype=np.int64).astype(dtype)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or p.suffix == ".part")


# ----------------------------------------------------------------------------------- round trips

LOSSLESS = [
    # (layout shape, extension)
    ((9, 13), ".png"), ((9, 13, 2), ".png"), ((9, 13, 3), ".png"), ((9, 13, 4), ".png"),
    ((9, 13), ".tif"), ((9, 13, 2), ".tif"), ((9, 13, 3), ".tif"), ((9, 13, 4), ".tif"),
    ((9, 13), ".bmp"), ((9, 13, 3), ".bmp"), ((9, 13, 4), ".bmp"),
    ((9, 13, 3), ".webp"), ((9, 13, 4), ".webp"),
]


@pytest.mark.parametrize(("shape", "ext"), LOSSLESS, ids=[f"{s[2] if len(s) == 3 else 1}ch{e}" for s, e in LOSSLESS])
def test_8bit_round_trip_is_exact(tmp_path: Path, shape: tuple[int, ...], ext: str) -> None:
    a = _random(shape)
    save_image(tmp_path / f"x{ext}", a)
    back = load_image(tmp_path / f"x{ext}")
    assert back.pixels.dtype == np.uint8
    assert back.pixels.shape == a.shape
    np.testing.assert_array_equal(back.pixels, a)


@pytest.mark.parametrize("ext", [".png", ".tif"])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_16bit_round_trip_is_exact(tmp_path: Path, ext: str, channels: int) -> None:
    shape = (11, 7) if channels == 1 else (11, 7, channels)
    a = _random(shape, np.uint16)
    save_image(tmp_path / f"x{ext}", a)
    back = load_image(tmp_path / f"x{ext}").pixels
    assert back.dtype == np.uint16
    if ext == ".tif" and channels == 2:  # documented: 16-bit gray+alpha TIFF is written as RGBA
        assert back.shape == (11, 7, 4)
        np.testing.assert_array_equal(back[..., 0], a[..., 0])
        np.testing.assert_array_equal(back[..., 2], a[..., 0])
        np.testing.assert_array_equal(back[..., 3], a[..., 1])
    else:
        np.testing.assert_array_equal(back, a)


@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_our_16bit_color_files_are_valid_for_other_readers(tmp_path: Path, ext: str) -> None:
    a = _random((6, 5, 4), np.uint16)
    save_image(tmp_path / f"x{ext}", a)
    with Image.open(tmp_path / f"x{ext}") as im:  # Pillow reads them at 8 bits: the high bytes
        assert im.mode == "RGBA"
        np.testing.assert_array_equal(np.asarray(im), (a >> 8).astype(np.uint8))


def _png16_with_all_filters(a: np.ndarray) -> bytes:
    """A 16-bit RGB PNG whose rows use filters None, Sub, Up, Average, Paeth in turn (as libpng does)."""
    h, w, c = a.shape
    x = a.astype(">u2").reshape(h, w * c).view(np.uint8).astype(np.int16)
    bpp = 2 * c
    rows = []
    for y in range(h):
        kind = y % 5
        cur = x[y]
        up = x[y - 1] if y else np.zeros_like(cur)
        left = np.concatenate([np.zeros(bpp, np.int16), cur[:-bpp]])
        upleft = np.concatenate([np.zeros(bpp, np.int16), up[:-bpp]])
        p = left + up - upleft
        pa, pb, pc = np.abs(p - left), np.abs(p - up), np.abs(p - upleft)
        paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, upleft))
        pred = [np.zeros_like(cur), left, up, (left + up) // 2, paeth][kind]
        rows.append(bytes([kind]) + ((cur - pred) & 0xFF).astype(np.uint8).tobytes())

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"".join(rows)))
            + chunk(b"IEND", b""))


def test_16bit_rgb_png_from_another_encoder_keeps_all_16_bits(tmp_path: Path) -> None:
    a = _random((10, 9, 3), np.uint16)
    (tmp_path / "x.png").write_bytes(_png16_with_all_filters(a))
    img = load_image(tmp_path / "x.png")
    assert img.pixels.dtype == np.uint16
    np.testing.assert_array_equal(img.pixels, a)


def _raw_tiff16(a: np.ndarray, endian: str) -> bytes:
    """An uncompressed 16-bit RGB TIFF in the given byte order ("<" or ">")."""
    h, w, _ = a.shape
    pixels = a.astype(f"{endian}u2").tobytes()
    bits_at = 8 + len(pixels)
    entries = [(256, 3, 1, w), (257, 3, 1, h), (258, 3, 3, bits_at), (259, 3, 1, 1), (262, 3, 1, 2),
               (273, 4, 1, 8), (277, 3, 1, 3), (278, 3, 1, h), (279, 4, 1, len(pixels))]
    out = (b"II*\x00" if endian == "<" else b"MM\x00*") + struct.pack(f"{endian}I", bits_at + 6)
    out += pixels + struct.pack(f"{endian}3H", 16, 16, 16) + struct.pack(f"{endian}H", len(entries))
    for tag, kind, count, value in entries:
        if kind == 3 and count == 1:
            out += struct.pack(f"{endian}HHIHH", tag, kind, count, value, 0)
        else:
            out += struct.pack(f"{endian}HHII", tag, kind, count, value)
    return out + struct.pack(f"{endian}I", 0)


@pytest.mark.parametrize("endian", ["<", ">"])
def test_uncompressed_16bit_rgb_tiff_in_either_byte_order(tmp_path: Path, endian: str) -> None:
    a = _random((5, 7, 3), np.uint16)
    (tmp_path / "x.tif").write_bytes(_raw_tiff16(a, endian))
    img = load_image(tmp_path / "x.tif")
    assert (img.format, img.mode, img.pixels.dtype) == ("TIFF", "RGB", np.uint16)
    np.testing.assert_array_equal(img.pixels, a)


def test_truncated_16bit_color_png_is_reported(tmp_path: Path) -> None:
    data = _png16_with_all_filters(_random((40, 30, 3), np.uint16))
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    _one_line_error(lambda: load_image(tmp_path / "cut.png"), "truncated or corrupt")
    assert imageio._has_unpacker("RGB", "RGB;16L") and not imageio._has_unpacker("RGB", "RGB;99")


def test_16bit_gray_big_endian_tiff(tmp_path: Path) -> None:
    a = _random((5, 8), np.uint16)
    Image.frombytes("I;16B", (8, 5), a.astype(">u2").tobytes()).save(tmp_path / "x.tif")
    img = load_image(tmp_path / "x.tif")
    assert img.mode == "I;16B"
    assert img.pixels.dtype == np.uint16
    np.testing.assert_array_equal(img.pixels, a)


def test_32bit_int_image_becomes_uint16_or_float(tmp_path: Path) -> None:
    small = RNG.integers(0, 65536, (4, 5)).astype(np.int32)
    Image.fromarray(small, mode="I").save(tmp_path / "small.tif")
    img = load_image(tmp_path / "small.tif")
    assert img.mode == "I"
    assert img.pixels.dtype == np.uint16
    np.testing.assert_array_equal(img.pixels, small)
    large = small * 100 - 5
    Image.fromarray(large, mode="I").save(tmp_path / "large.tif")
    back = load_image(tmp_path / "large.tif").pixels
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, large.astype(np.float32))


def test_float_gray_tiff_keeps_floats_and_float_png_becomes_16bit(tmp_path: Path) -> None:
    a = RNG.random((6, 7)).astype(np.float32)
    save_image(tmp_path / "f.tif", a)
    img = load_image(tmp_path / "f.tif")
    assert (img.mode, img.pixels.dtype) == ("F", np.float32)
    np.testing.assert_array_equal(img.pixels, a)
    rgb = RNG.random((6, 7, 3)).astype(np.float32) * 1.2 - 0.1  # out of range is clipped
    save_image(tmp_path / "f.png", rgb)
    back = load_image(tmp_path / "f.png").pixels
    assert back.dtype == np.uint16
    np.testing.assert_array_equal(back, np.rint(np.clip(rgb, 0, 1) * 65535).astype(np.uint16))


def test_jpeg_flattens_alpha_onto_white_and_writes_8_bits(tmp_path: Path) -> None:
    a = np.zeros((16, 16, 4), np.uint16)
    a[..., 0] = 65535  # red
    a[..., 3] = 65535
    a[:8, :, 3] = 0  # top half transparent
    save_image(tmp_path / "x.jpg", a)
    img = load_image(tmp_path / "x.jpg")
    assert (img.mode, img.pixels.shape, img.pixels.dtype) == ("RGB", (16, 16, 3), np.uint8)
    top, bottom = img.pixels[:6].astype(int), img.pixels[10:].astype(int)
    assert np.abs(top - 255).max() <= 3  # white
    assert np.abs(bottom - [255, 0, 0]).max() <= 3  # red


def test_webp_and_bmp_conversions(tmp_path: Path) -> None:
    gray = _random((5, 6))
    save_image(tmp_path / "g.webp", gray)  # WebP has no gray: RGB with equal channels
    back = load_image(tmp_path / "g.webp").pixels
    assert back.shape == (5, 6, 3)
    np.testing.assert_array_equal(back, np.repeat(gray[..., None], 3, axis=-1))
    la = _random((5, 6, 2))
    save_image(tmp_path / "la.bmp", la)  # BMP has no gray+alpha: RGBA
    back = load_image(tmp_path / "la.bmp").pixels
    assert back.shape == (5, 6, 4)
    np.testing.assert_array_equal(back[..., 1], la[..., 0])
    np.testing.assert_array_equal(back[..., 3], la[..., 1])


def test_tiny_and_very_wide_images(tmp_path: Path) -> None:
    for shape in [(1, 1, 3), (23, 17, 4), (20, 600, 3), (600, 20)]:
        a = _random(shape)
        save_image(tmp_path / "x.png", a)
        np.testing.assert_array_equal(load_image(tmp_path / "x.png").pixels, a)


def test_saving_never_modifies_the_array(tmp_path: Path) -> None:
    a = _random((8, 8, 4))
    a.setflags(write=False)
    before = a.copy()
    for ext in (".png", ".jpg", ".webp", ".bmp", ".tif"):
        save_image(tmp_path / f"x{ext}", a)
    np.testing.assert_array_equal(a, before)


# ----------------------------------------------------------------------------------- modes and metadata


def test_palette_images_become_rgb_or_rgba(tmp_path: Path) -> None:
    rgb = (scene("street", 24, seed=2) * 255).astype(np.uint8)
    pal = Image.fromarray(rgb).quantize(8)
    pal.save(tmp_path / "p.png")
    img = load_image(tmp_path / "p.png")
    assert (img.mode, img.pixels.shape) == ("P", (24, 24, 3))
    np.testing.assert_array_equal(img.pixels, np.asarray(pal.convert("RGB")))

    pal.save(tmp_path / "pt.png", transparency=0)
    img = load_image(tmp_path / "pt.png")
    assert (img.mode, img.pixels.shape) == ("P", (24, 24, 4))
    index = np.asarray(pal)
    np.testing.assert_array_equal(img.pixels[..., 3] == 0, index == 0)
    save_image(tmp_path / "out.png", img.pixels, like=img)  # written as true colour
    assert Image.open(tmp_path / "out.png").mode == "RGBA"


def test_bilevel_and_cmyk(tmp_path: Path) -> None:
    bits = _random((7, 9)) > 127
    Image.fromarray(bits).save(tmp_path / "b.png")
    img = load_image(tmp_path / "b.png")
    assert (img.mode, img.pixels.dtype, img.pixels.ndim) == ("1", np.uint8, 2)
    np.testing.assert_array_equal(img.pixels, bits.astype(np.uint8) * 255)
    Image.new("CMYK", (5, 4), (0, 255, 255, 0)).save(tmp_path / "c.jpg")
    img = load_image(tmp_path / "c.jpg")
    assert (img.mode, img.pixels.shape) == ("CMYK", (4, 5, 3))
    assert img.pixels[..., 0].min() > 200 and img.pixels[..., 1:].max() < 60  # red


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pillow(tmp_path: Path, orientation: int) -> None:
    a = _random((6, 10, 3))
    im = Image.fromarray(a)
    exif = im.getexif()
    exif[0x0112] = orientation
    exif[0x010F] = "DIP test camera"  # Make: kept
    im.save(tmp_path / "r.png", exif=exif)
    img = load_image(tmp_path / "r.png")
    with Image.open(tmp_path / "r.png") as ref:
        expected = np.asarray(ImageOps.exif_transpose(ref))
    np.testing.assert_array_equal(img.pixels, expected)
    np.testing.assert_array_equal(apply_orientation(a, orientation), expected)
    # Writing back: upright pixels, no orientation tag (it would turn the picture twice), other tags kept.
    save_image(tmp_path / "w.jpg", img.pixels, like=img)
    with Image.open(tmp_path / "w.jpg") as out:
        assert out.size == (expected.shape[1], expected.shape[0])
        assert out.getexif().get(0x0112) is None
        assert out.getexif().get(0x010F) == "DIP test camera"


def test_mask_gets_its_own_exif_orientation(tmp_path: Path) -> None:
    stored = np.zeros((4, 6), np.uint8)
    stored[0, 0] = 255
    im = Image.fromarray(stored)
    exif = im.getexif()
    exif[0x0112] = 6  # displayed turned 90° clockwise: 4 wide, 6 high
    im.save(tmp_path / "m.jpg", exif=exif, quality=100)
    mask = load_mask(tmp_path / "m.jpg", (6, 4))
    assert mask.shape == (6, 4)
    assert mask[0, 3] and mask.sum() == 1


def test_icc_profile_and_dpi_are_carried_over(tmp_path: Path) -> None:
    profile = b"\x00\x00\x02\x0cfake-profile" + bytes(range(200))
    a = _random((5, 5, 3))
    Image.fromarray(a).save(tmp_path / "in.png", icc_profile=profile, dpi=(300, 300))
    img = load_image(tmp_path / "in.png")
    assert img.info["icc_profile"] == profile
    assert img.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    for ext in (".png", ".jpg", ".tif"):
        save_image(tmp_path / f"out{ext}", img.pixels, like=img)
        with Image.open(tmp_path / f"out{ext}") as out:
            assert out.info.get("icc_profile") == profile, ext
            assert out.info.get("dpi") == pytest.approx((300, 300), abs=0.01), ext
    wide = LoadedImage(_random((5, 5, 3), np.uint16), "RGB", "PNG", dict(img.info))
    save_image(tmp_path / "wide.png", wide.pixels, like=wide)
    assert load_image(tmp_path / "wide.png").info["icc_profile"] == profile
    gray = LoadedImage(_random((5, 5)), "L", "PNG", {"icc_profile": profile})
    save_image(tmp_path / "gray.webp", gray.pixels, like=gray)  # written as RGB: a gray profile would lie
    assert "icc_profile" not in load_image(tmp_path / "gray.webp").info


# ----------------------------------------------------------------------------------- masks


def test_mask_threshold_any_channel_and_transparency(tmp_path: Path) -> None:
    rgba = np.zeros((2, 4, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[0, 0, 0] = 128  # red > 127: hole
    rgba[0, 1, 2] = 127  # not above half: no hole
    rgba[0, 2] = (255, 255, 255, 0)  # white but transparent: no hole
    rgba[1, 3, 1] = 200  # green: hole
    save_image(tmp_path / "m.png", rgba)
    mask = load_mask(tmp_path / "m.png", (2, 4))
    assert mask.dtype == bool
    assert mask.tolist() == [[True, False, False, False], [False, False, False, True]]
    g16 = np.array([[32767, 32768]], np.uint16)
    save_image(tmp_path / "m16.png", g16)
    assert load_mask(tmp_path / "m16.png", (1, 2)).tolist() == [[False, True]]


def test_mask_of_wrong_size_says_both_sizes(tmp_path: Path) -> None:
    save_image(tmp_path / "m.png", np.zeros((4, 6), np.uint8))
    with pytest.raises(ImageIOError, match=r"6×4 pixels but the image is 5×4") as err:
        load_mask(tmp_path / "m.png", (4, 5))
    assert "\n" not in str(err.value)
    with pytest.raises(ImageIOError, match="turned by 90°"):
        load_mask(tmp_path / "m.png", (6, 4))


def test_mask_from_alpha() -> None:
    a = np.full((2, 3, 2), 65535, np.uint16)
    a[1, 2, 1] = 0
    a[0, 0, 1] = 1  # almost transparent is not a hole
    assert mask_from_alpha(a).tolist() == [[False, False, False], [False, False, True]]
    with pytest.raises(ImageIOError, match="no alpha channel"):
        mask_from_alpha(np.zeros((2, 3, 3), np.uint8))


# ----------------------------------------------------------------------------------- errors


def _one_line_error(call, match: str) -> str:
    with pytest.raises(ImageIOError, match=match) as err:
        call()
    text = str(err.value)
    assert "\n" not in text and text
    return text


def test_reading_errors_are_one_line(tmp_path: Path) -> None:
    _one_line_error(lambda: load_image(tmp_path / "missing.png"), "no such file")
    _one_line_error(lambda: load_image(tmp_path), "is a folder")
    (tmp_path / "empty.png").write_bytes(b"")
    _one_line_error(lambda: load_image(tmp_path / "empty.png"), r"empty \(0 bytes\)")
    (tmp_path / "notes.png").write_text("not a picture")
    _one_line_error(lambda: load_image(tmp_path / "notes.png"), "not an image file")
    a = _random((40, 40, 3))
    for ext in (".png", ".jpg", ".tif"):
        buf = io.BytesIO()
        Image.fromarray(a).save(buf, format=output_format(f"x{ext}"))
        data = buf.getvalue()
        (tmp_path / f"cut{ext}").write_bytes(data[: len(data) // 2])
        _one_line_error(lambda ext=ext: load_image(tmp_path / f"cut{ext}"), "truncated or corrupt")


def test_permission_denied_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_image(tmp_path / "x.png", _random((3, 3)))

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(imageio.Image, "open", refuse)
    _one_line_error(lambda: load_image(tmp_path / "x.png"), "permission denied")


def test_pixel_limit_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_image(tmp_path / "x.png", _random((10, 12)))
    monkeypatch.setenv("DIP_MAX_PIXELS", "100")
    text = _one_line_error(lambda: load_image(tmp_path / "x.png"), "more than the limit of 100")
    assert "DIP_MAX_PIXELS=120" in text
    monkeypatch.setenv("DIP_MAX_PIXELS", "120")
    assert load_image(tmp_path / "x.png").pixels.shape == (10, 12)
    monkeypatch.setenv("DIP_MAX_PIXELS", "0")  # no limit
    assert imageio.max_pixels() is None
    for unlimited in ("inf", "1e400", "-inf"):  # once an OverflowError
        monkeypatch.setenv("DIP_MAX_PIXELS", unlimited)
        assert imageio.max_pixels() is None
        assert load_image(tmp_path / "x.png").pixels.shape == (10, 12)
    for bad in ("lots", "nan"):
        monkeypatch.setenv("DIP_MAX_PIXELS", bad)
        _one_line_error(lambda: load_image(tmp_path / "x.png"), "not a number")
    monkeypatch.delenv("DIP_MAX_PIXELS")
    assert imageio.max_pixels() == imageio.DEFAULT_MAX_PIXELS
    assert Image.MAX_IMAGE_PIXELS is not None  # Pillow's own guard is left in place


def test_pillow_decompression_bomb_guard_is_replaced_by_ours(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_image(tmp_path / "x.png", _random((30, 30)))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # Pillow alone would refuse 900 pixels
    assert load_image(tmp_path / "x.png").pixels.shape == (30, 30)
    assert Image.MAX_IMAGE_PIXELS == 100


def test_reading_leaves_files_unchanged(tmp_path: Path) -> None:
    a = _random((9, 9, 4))
    save_image(tmp_path / "x.png", a)
    before = _digest(tmp_path / "x.png")
    load_image(tmp_path / "x.png")
    load_mask(tmp_path / "x.png", (9, 9))
    assert _digest(tmp_path / "x.png") == before


# ----------------------------------------------------------------------------------- writing


def test_output_format_from_extension() -> None:
    assert [output_format(f"a.{e}") for e in ("PNG", "jpeg", "tif", "TIFF", "webp", "bmp")] == [
        "PNG", "JPEG", "TIFF", "TIFF", "WEBP", "BMP"]
    with pytest.raises(ImageIOError, match=r"'\.xcf' is not an image format; use one of \.png"):
        output_format("a.xcf")
    with pytest.raises(ImageIOError, match="no extension"):
        output_format("result")


def test_write_errors(tmp_path: Path) -> None:
    a = _random((3, 3))
    _one_line_error(lambda: save_image(tmp_path / "nope" / "x.png", a), "folder .* does not exist")
    _one_line_error(lambda: save_image(tmp_path / "x.gif", a), "not an image format")
    (tmp_path / "d.png").mkdir()
    _one_line_error(lambda: save_image(tmp_path / "d.png", a), "is a folder")
    _one_line_error(lambda: save_image(tmp_path / "x.png", a.astype(np.int32)), "dtype int32")
    _one_line_error(lambda: save_image(tmp_path / "x.png", np.zeros((3, 3, 5), np.uint8)), "shape")
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("error", [KeyboardInterrupt, OSError])
def test_interrupted_write_leaves_nothing_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: type[BaseException]
) -> None:
    target = tmp_path / "x.png"
    save_image(target, _random((4, 4)))
    before = _digest(target)
    real_save = Image.Image.save

    def half_then_fail(self, fp, *args, **kwargs):
        real_save(self, fp, *args, **kwargs)  # the temporary file is complete...
        raise error("stopped")  # ...but the write does not finish

    monkeypatch.setattr(Image.Image, "save", half_then_fail)
    with pytest.raises(ImageIOError if error is OSError else KeyboardInterrupt):
        save_image(target, _random((4, 4)))
    assert _digest(target) == before
    assert _leftovers(tmp_path) == []
    with pytest.raises(ImageIOError if error is OSError else KeyboardInterrupt):
        save_image(tmp_path / "new.png", _random((4, 4)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.png"]


def test_atomic_write_permissions_follow_umask_or_existing_file(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        save_image(tmp_path / "x.png", _random((2, 2)))
    finally:
        os.umask(old)
    assert (tmp_path / "x.png").stat().st_mode & 0o777 == 0o640
    os.chmod(tmp_path / "x.png", 0o604)
    with atomic_write(tmp_path / "x.png") as fp:
        fp.write(b"replaced")
    assert (tmp_path / "x.png").stat().st_mode & 0o777 == 0o604
    assert (tmp_path / "x.png").read_bytes() == b"replaced"


@pytest.mark.parametrize("name", ["b" * 251 + ".png", "é" * 123 + ".png"])  # 255 and 250 bytes: legal names
def test_atomic_write_takes_a_name_of_the_longest_legal_length(tmp_path: Path, name: str) -> None:
    save_image(tmp_path / name, _random((4, 5)))
    assert load_image(tmp_path / name).pixels.shape == (4, 5)
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left
