"""Reading and writing images and masks, shared by the ``dip`` command, the desktop app and the GIMP bridge.

Pillow does the decoding; this module decides what an image becomes as a numpy array and what an array
becomes in a file, so that every front end keeps the form of what came in:

* RGB stays RGB, RGBA keeps its alpha exactly, gray (``L``) stays gray, gray+alpha (``LA``) stays so.
* 16-bit stays 16-bit: gray 16-bit PNG/TIFF (Pillow modes ``I;16``, ``I;16B``, ``I``) and 16-bit RGB, RGBA
  and gray+alpha PNG and TIFF come back as ``uint16`` and are written back at 16 bits.
* A PNG's transparent colour (``tRNS`` on gray or RGB) becomes an alpha channel: gray+alpha or RGBA.
* Palette images (``P``, ``PA``) become RGB, or RGBA when the palette has transparency.  They are saved as
  true-colour RGB/RGBA: the filled pixels use colours the palette does not have.
* Bilevel (``1``) images become gray ``uint8`` (0 or 255) and are saved as gray.  CMYK, YCbCr, LAB and HSV
  become RGB.  32-bit float (``F``) images stay ``float32``.
* The EXIF orientation is applied on reading (to images and masks alike), so arrays are upright as a viewer
  shows them; the orientation tag is then dropped from the metadata that is written back.
* Multi-frame files (animated GIF/WebP, multi-page TIFF): the first frame is read (``frames`` says how many
  there are).

Writing picks the format from the output file's extension (``.png``, ``.jpg``/``.jpeg``, ``.tif``/``.tiff``,
``.webp``, ``.bmp``) and is atomic: the file is written to a temporary file in the target folder and renamed
over the target, so no half-written file is ever left, whatever happens (also on Ctrl-C).

What each format can hold, and what happens otherwise:

======  ==========================  ====================================================================
format  holds                       otherwise
======  ==========================  ====================================================================
PNG     8/16-bit gray, gray+alpha,  float is written as 16-bit (clipped to [0, 1])
        RGB, RGBA
TIFF    8/16-bit gray, RGB, RGBA;   16-bit gray+alpha becomes RGBA; float colour is written as 16-bit
        8-bit gray+alpha; 32-bit    (clipped to [0, 1]); float gray stays 32-bit float
        float gray
JPEG    8-bit gray, RGB             alpha is flattened onto white; 16-bit/float become 8-bit
WebP    8-bit RGB, RGBA (lossless)  gray becomes RGB; 16-bit/float become 8-bit
BMP     8-bit gray, RGB, RGBA       gray+alpha becomes RGBA (32-bit BMP with an alpha mask); 16-bit/float
                                    become 8-bit
======  ==========================  ====================================================================

WebP holds at most 16383×16383 pixels and JPEG 65500×65500; metadata a format cannot store (EXIF over
JPEG's 65,533 bytes, a resolution past the format's field) is left out.  :func:`check_writable` says all
this before a long computation: it raises for a size the format cannot hold and names each loss (see
:mod:`dip_plugin.imageio_limits`).

Images larger than :data:`DEFAULT_MAX_PIXELS` (150 megapixels) are refused with a clear message, which
guards against decompression bombs; set the environment variable ``DIP_MAX_PIXELS`` to another pixel
count (or ``0`` for no limit) to change it.

Example
-------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> rgba = np.zeros((4, 6, 4), np.uint8); rgba[..., 3] = 255; rgba[0, 0, 3] = 0
>>> save_image(folder / "a.png", rgba)
>>> img = load_image(folder / "a.png")
>>> img.pixels.shape, img.pixels.dtype, img.mode, img.format
((4, 6, 4), dtype('uint8'), 'RGBA', 'PNG')
>>> int(mask_from_alpha(img.pixels).sum())
1
"""

from __future__ import annotations

import contextlib
import os
import stat
import struct
import sys
import tempfile
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError, features

from .imageio_limits import conversion_notes, fit_metadata, os_error_text, size_problem

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "MAX_PIXELS_ENV",
    "OUTPUT_EXTENSIONS",
    "ImageIOError",
    "LoadedImage",
    "apply_orientation",
    "atomic_write",
    "check_writable",
    "load_image",
    "load_mask",
    "mask_from_alpha",
    "max_pixels",
    "output_format",
    "save_image",
]

MAX_PIXELS_ENV = "DIP_MAX_PIXELS"
DEFAULT_MAX_PIXELS = 150_000_000

#: Output extensions (lower case) and the format each one writes.
OUTPUT_EXTENSIONS: dict[str, str] = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jpe": "JPEG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".webp": "WEBP",
    ".bmp": "BMP",
}

_ORIENTATION = 0x0112
# Errors Pillow raises (directly or from its C decoders) for files it cannot decode.
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError, struct.error, zlib.error)
# Pillow's decompression-bomb guard is a module global; we switch it off only around our own
# ``Image.open`` (and apply our own limit right after), under this lock.
_PIL_GUARD_LOCK = threading.Lock()


class ImageIOError(ValueError):
    """A file cannot be read or written; the message is one line that says what to do."""


@dataclass
class LoadedImage:
    """An image read by :func:`load_image`.

    pixels : (H, W) gray or (H, W, C) with C = 2 (gray + alpha), 3 (RGB) or 4 (RGBA); uint8, uint16 or
        float32; EXIF orientation already applied.
    mode : the Pillow mode of the file as read, e.g. ``"RGB"``, ``"RGBA"``, ``"L"``, ``"I;16"``, ``"P"``.
    format : the file format as Pillow names it, e.g. ``"PNG"``, ``"JPEG"`` (None if unknown).
    info : metadata to carry over when saving: ``icc_profile``, ``dpi``, and ``exif`` (without the
        orientation; from JPEG, PNG and WebP files).
    frames : how many frames or pages the file has (only the first is read).
    """

    pixels: np.ndarray
    mode: str
    format: str | None
    info: dict[str, Any] = field(default_factory=dict)
    frames: int = 1


# --------------------------------------------------------------------------------------------- limits


def max_pixels() -> int | None:
    """The largest image (width × height) :func:`load_image` accepts; None means no limit.

    Set by the environment variable ``DIP_MAX_PIXELS`` (a pixel count, ``0`` = no limit), default
    :data:`DEFAULT_MAX_PIXELS`.
    """
    raw = os.environ.get(MAX_PIXELS_ENV, "").strip().replace("_", "")
    if not raw:
        return DEFAULT_MAX_PIXELS
    try:
        value = float(raw)
        if value != value:  # NaN
            raise ValueError(raw)
    except ValueError:
        raise ImageIOError(
            f"{MAX_PIXELS_ENV}={os.environ[MAX_PIXELS_ENV]!r} is not a number; set it to a pixel count (0 = no limit)"
        ) from None
    # "inf" (or a number too large for a float, like 1e400) sets no limit, as 0 does.
    return None if value <= 0 or value == float("inf") else int(value)


def _too_big(path: Path, size: tuple[int, int], limit: int | None) -> ImageIOError | None:
    w, h = size
    if limit is None or w * h <= limit:
        return None
    return ImageIOError(
        f"{path} is {w}×{h} = {w * h:,} pixels, more than the limit of {limit:,}; downscale it, or raise the "
        f"limit with the environment variable {MAX_PIXELS_ENV}={w * h} (0 = no limit; big images need much memory)"
    )


# --------------------------------------------------------------------------------------------- reading


def _open(path: Path, limit: int | None) -> Image.Image:
    """``Image.open`` with one-line errors for every way a file can fail to be an image."""
    try:
        status = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise ImageIOError(f"{path}: no such file; check the path") from None
    except OSError as exc:
        raise ImageIOError(f"cannot read {path}: {os_error_text(exc)}") from None
    if stat.S_ISDIR(status.st_mode):
        raise ImageIOError(f"{path} is a folder, not an image file")
    if status.st_size == 0:
        raise ImageIOError(f"{path} is empty (0 bytes); export or copy the image again")
    try:
        with _PIL_GUARD_LOCK:
            saved = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = None
            try:
                im = Image.open(path)
            finally:
                Image.MAX_IMAGE_PIXELS = saved
    except PermissionError:
        raise ImageIOError(f"cannot read {path}: permission denied; check the file's permissions") from None
    except UnidentifiedImageError:
        raise ImageIOError(
            f"{path} is not an image file that can be read (use PNG, JPEG, TIFF, WebP or BMP)"
        ) from None
    except _DECODE_ERRORS as exc:
        raise _corrupt(path, exc) from None
    error = _too_big(path, im.size, limit)
    if error is not None:
        im.close()
        raise error
    return im


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def _load_pixels(im: Image.Image, path: Path) -> None:
    """``im.load()`` with one-line errors for truncated and corrupt files."""
    try:
        im.load()
    except Image.DecompressionBombError as exc:
        raise ImageIOError(
            f"{path} is too large to decode safely ({_reason(exc)}); downscale it"
        ) from None
    except _DECODE_ERRORS as exc:
        raise _corrupt(path, exc) from None


def _corrupt(path: Path, exc: BaseException) -> ImageIOError:
    return ImageIOError(f"{path} is truncated or corrupt ({_reason(exc)}); export or copy the image again")


def _orientation(im: Image.Image) -> int:
    try:
        value = int(im.getexif().get(_ORIENTATION, 1))
    except Exception:  # a broken EXIF block must not make the picture unreadable
        return 1
    return value if 1 <= value <= 8 else 1


def apply_orientation(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Turn an array stored with EXIF ``orientation`` (1–8) upright, as ``ImageOps.exif_transpose`` does.

    Example
    -------
    >>> a = np.arange(6).reshape(2, 3)
    >>> apply_orientation(a, 6).tolist()  # stored rotated 90° counter-clockwise
    [[3, 0], [4, 1], [5, 2]]
    """
    ops = {
        1: lambda a: a,
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: np.swapaxes(a, 0, 1),
        6: lambda a: np.rot90(a, -1),
        7: lambda a: np.swapaxes(a[::-1, ::-1], 0, 1),
        8: lambda a: np.rot90(a, 1),
    }
    return np.ascontiguousarray(ops.get(orientation, ops[1])(pixels))


def _metadata(im: Image.Image, mode: str) -> dict[str, Any]:
    info: dict[str, Any] = {}
    icc = im.info.get("icc_profile")
    if icc and mode not in ("CMYK", "LAB", "YCbCr", "HSV"):  # a CMYK profile does not describe RGB pixels
        info["icc_profile"] = icc
    dpi = im.info.get("dpi")
    if isinstance(dpi, tuple) and len(dpi) == 2:
        with contextlib.suppress(TypeError, ValueError):
            x, y = float(dpi[0]), float(dpi[1])
            if x > 0 and y > 0:
                info["dpi"] = (x, y)
    if im.format not in ("JPEG", "MPO", "PNG", "WEBP"):  # a TIFF's "EXIF" is its own file structure
        return info
    with contextlib.suppress(Exception):
        exif = im.getexif()
        if len(exif):
            exif.pop(_ORIENTATION, None)
            if len(exif):
                info["exif"] = exif.tobytes()
    return info


def _to_array(im: Image.Image) -> np.ndarray:
    """The pixels of a loaded Pillow image, in the layout described in the module docstring."""
    mode = im.mode
    if mode in ("L", "LA", "RGB", "RGBA"):
        return np.asarray(im).copy()
    if mode == "1":
        return np.asarray(im.convert("L")).copy()
    if mode.startswith("I;16"):
        return np.asarray(im).astype(np.uint16)
    if mode == "I":
        a = np.asarray(im)
        if a.size and a.min() >= 0 and a.max() <= 65535:
            return a.astype(np.uint16)
        return a.astype(np.float32)
    if mode == "F":
        return np.asarray(im).astype(np.float32)
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in im.info or (im.palette is not None and im.palette.mode == "RGBA")
        return np.asarray(im.convert("RGBA" if has_alpha else "RGB")).copy()
    if mode == "La":
        return np.asarray(im.convert("LA")).copy()
    if mode == "RGBa":
        return np.asarray(im.convert("RGBA")).copy()
    return np.asarray(im.convert("RGB")).copy()  # RGBX, CMYK, YCbCr, LAB, HSV


# 16-bit colour: Pillow decodes these to 8 bits per channel.  Its decoders undo the file's
# compression and filtering on the raw bytes, and the unpacker then keeps one byte of each
# 16-bit sample; decoding once with the big-endian and once with the little-endian unpacker
# gives both bytes.  Maps Pillow's raw mode → (raw mode giving the high byte, the low byte).
_NATIVE = "L" if sys.byteorder == "little" else "B"
_WIDE_PAIRS = {
    f"{kind};16{order}": (f"{kind};16{order if order != 'N' else _NATIVE}", f"{kind};16{low}")
    for kind in ("RGB", "RGBA")
    for order, low in (("B", "L"), ("L", "B"), ("N", "B" if _NATIVE == "L" else "L"))
}


def _tile_rawmode(tile: ImageFile._Tile) -> str | None:
    args = tile.args
    if isinstance(args, str):
        return args
    if isinstance(args, tuple) and args and isinstance(args[0], str):
        return args[0]
    return None


def _with_rawmode(tile: ImageFile._Tile, rawmode: str) -> ImageFile._Tile:
    args = tile.args
    return tile._replace(args=rawmode if isinstance(args, str) else (rawmode, *args[1:]))


def _decode_as(im: Image.Image, rawmode: str, path: Path) -> np.ndarray:
    """Decode the opened (not yet loaded) ``im`` with another raw mode."""
    im.tile = [_with_rawmode(t, rawmode) for t in im.tile]
    _load_pixels(im, path)
    return np.asarray(im)


def _has_unpacker(mode: str, rawmode: str) -> bool:
    try:
        Image.frombytes(mode, (1, 1), bytes(16), "raw", rawmode)
    except (ValueError, OSError):
        return False
    return True


def _read_wide(im: Image.Image, path: Path, limit: int | None) -> np.ndarray | None:
    """16-bit RGB / RGBA / gray+alpha PNG and TIFF pixels as uint16, or None for any other image.

    Decodes ``im`` itself (with the raw mode giving the high bytes) and, for RGB/RGBA, a second
    opening of the file (the low bytes).
    """
    if im.format not in ("PNG", "TIFF") or not im.tile:
        return None
    raws = {_tile_rawmode(t) for t in im.tile}
    if len(raws) != 1:
        return None
    raw = raws.pop()
    if im.format == "PNG" and raw == "LA;16B" and im.mode == "RGBA":  # "RGBA" keeps all 4 bytes
        b = _decode_as(im, "RGBA", path).astype(np.uint16)
        return np.stack([b[..., 0] << 8 | b[..., 1], b[..., 2] << 8 | b[..., 3]], axis=-1)
    if raw not in _WIDE_PAIRS:
        return None
    high, low = _WIDE_PAIRS[raw]
    if not (_has_unpacker(im.mode, high) and _has_unpacker(im.mode, low)):
        return None  # this Pillow cannot: keep its 8-bit reading
    second = _open(path, limit)
    try:
        lo = _decode_as(second, low, path).astype(np.uint16)
    finally:
        second.close()
    hi = _decode_as(im, high, path).astype(np.uint16)
    return hi << 8 | lo


def _colour_key(pixels: np.ndarray, im: Image.Image) -> np.ndarray:
    """Gray or RGB ``pixels`` with an alpha channel from the file's transparent colour (PNG ``tRNS``)."""
    key = im.info.get("transparency")
    if im.mode in ("P", "PA") or key is None or isinstance(key, bytes) or pixels.dtype.kind != "u":
        return pixels
    if pixels.ndim == 2 and isinstance(key, int):
        clear = pixels == key
    elif pixels.ndim == 3 and pixels.shape[-1] == 3 and isinstance(key, tuple) and len(key) == 3:
        clear = (pixels[..., 0] == key[0]) & (pixels[..., 1] == key[1]) & (pixels[..., 2] == key[2])
    else:
        return pixels
    alpha = np.where(clear, 0, np.iinfo(pixels.dtype).max).astype(pixels.dtype)
    return np.concatenate([pixels.reshape(*pixels.shape[:2], -1), alpha[..., None]], axis=-1)


def _frames(im: Image.Image) -> int:
    try:
        return max(1, int(getattr(im, "n_frames", 1)))
    except Exception:  # a broken later frame must not make the first unreadable
        return 2


def _read(path: str | os.PathLike[str], limit: int | None) -> tuple[np.ndarray, Image.Image, int]:
    path = Path(path)
    im = _open(path, limit)
    try:
        wide = _read_wide(im, path, limit)
        _load_pixels(im, path)
        pixels = _colour_key(wide if wide is not None else _to_array(im), im)
        return apply_orientation(pixels, _orientation(im)), im, _frames(im)
    finally:
        im.close()


def load_image(path: str | os.PathLike[str]) -> LoadedImage:
    """Read an image file into an array, in the form it came in (see the module docstring).

    Raises :class:`ImageIOError` with a one-line message for missing, unreadable, empty, truncated or
    corrupt files, non-images, and images above the :func:`max_pixels` limit (``DIP_MAX_PIXELS``).

    Example
    -------
    >>> load_image("no/such/file.png")
    Traceback (most recent call last):
    ...
    dip_plugin.imageio.ImageIOError: no/such/file.png: no such file; check the path
    """
    pixels, im, frames = _read(path, max_pixels())
    mode = im.mode
    return LoadedImage(pixels=pixels, mode=mode, format=im.format, info=_metadata(im, mode), frames=frames)


def load_mask(path: str | os.PathLike[str], shape: tuple[int, int]) -> np.ndarray:
    """Read a mask file: bool (H, W), True = hole.

    A pixel is a hole where any colour channel is above half scale (> 127 for 8-bit files) and the pixel
    is not transparent (alpha ≤ 127 counts as no hole), so white-on-black masks and strokes painted on a
    transparent layer both work.  The mask's own EXIF orientation is applied, as for images.  ``shape`` is
    the image's (height, width); a mask of another size raises :class:`ImageIOError`.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.png"
    >>> m = np.zeros((3, 5), np.uint8); m[1, 2] = 255
    >>> save_image(p, m)
    >>> load_mask(p, (3, 5)).nonzero()
    (array([1]), array([2]))
    """
    path = Path(path)
    pixels, _, _ = _read(path, max_pixels())
    if pixels.shape[:2] != tuple(shape):
        h, w = pixels.shape[:2]
        want_h, want_w = shape
        hint = "; it matches the image turned by 90°, rotate one of them" if (w, h) == (want_h, want_w) else ""
        raise ImageIOError(
            f"mask {path} is {w}×{h} pixels but the image is {want_w}×{want_h}; the mask must have the image's "
            f"size (after its EXIF rotation){hint}"
        )
    a = pixels if pixels.ndim == 3 else pixels[..., None]
    if a.dtype == np.uint8:
        half = 127
    elif a.dtype == np.uint16:
        half = 32767
    else:
        half = 0.5
    channels = a.shape[-1]
    color = a[..., : channels - 1] if channels in (2, 4) else a
    hole = (color > half).any(axis=-1)
    if channels in (2, 4):
        hole &= a[..., -1] > half
    return hole


def mask_from_alpha(pixels: np.ndarray) -> np.ndarray:
    """Holes from transparency: bool (H, W), True where the image is fully transparent (alpha = 0).

    ``pixels`` must have an alpha channel ((H, W, 2) or (H, W, 4)); otherwise :class:`ImageIOError`.

    Example
    -------
    >>> a = np.full((2, 2, 4), 255, np.uint8); a[0, 1, 3] = 0
    >>> mask_from_alpha(a).tolist()
    [[False, True], [False, False]]
    """
    if pixels.ndim != 3 or pixels.shape[-1] not in (2, 4):
        raise ImageIOError("the image has no alpha channel, so it has no transparent pixels to fill; give a mask")
    return pixels[..., -1] == 0


# --------------------------------------------------------------------------------------------- writing


def output_format(path: str | os.PathLike[str]) -> str:
    """The format written for ``path``, from its extension: ``"PNG"``, ``"JPEG"``, ``"TIFF"``, ``"WEBP"``, ``"BMP"``.

    Example
    -------
    >>> output_format("out/photo.JPG")
    'JPEG'
    """
    ext = Path(path).suffix.lower()
    if ext not in OUTPUT_EXTENSIONS:
        known = ", ".join(OUTPUT_EXTENSIONS)
        what = f"extension {ext!r}" if ext else "no extension"
        raise ImageIOError(f"cannot write {path}: {what} is not an image format; use one of {known}")
    return OUTPUT_EXTENSIONS[ext]


def _normalise(pixels: np.ndarray) -> np.ndarray:
    if not isinstance(pixels, np.ndarray):
        raise ImageIOError(f"pixels must be a numpy array, got {type(pixels).__name__}")
    a = pixels
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[-1] not in (2, 3, 4)) or min(a.shape[:2]) < 1:
        raise ImageIOError(f"cannot save an array of shape {pixels.shape}; expected H×W or H×W×C with C in 2..4")
    if a.dtype == np.float64:
        a = a.astype(np.float32)
    if a.dtype not in (np.uint8, np.uint16, np.float32):
        raise ImageIOError(f"cannot save pixels of dtype {pixels.dtype}; use uint8, uint16 or float32")
    return a


def _to_uint8(a: np.ndarray) -> np.ndarray:
    if a.dtype == np.uint8:
        return a
    if a.dtype == np.uint16:
        return ((a.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    return np.rint(np.clip(a, 0.0, 1.0) * 255).astype(np.uint8)


def _to_uint16(a: np.ndarray) -> np.ndarray:
    if a.dtype == np.uint16:
        return a
    if a.dtype == np.uint8:
        return a.astype(np.uint16) * 257
    return np.rint(np.clip(a, 0.0, 1.0) * 65535).astype(np.uint16)


def _flatten_on_white(a: np.ndarray) -> np.ndarray:
    """Drop alpha by compositing onto white (uint8 in, uint8 out)."""
    color = a[..., :-1].astype(np.float32)
    alpha = a[..., -1:].astype(np.float32) / 255
    out = np.rint(color * alpha + 255 * (1 - alpha)).astype(np.uint8)
    return out[..., 0] if out.shape[-1] == 1 else out


def _params(fmt: str, info: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if info.get("icc_profile"):
        params["icc_profile"] = info["icc_profile"]
    if info.get("dpi"):
        params["dpi"] = tuple(info["dpi"])
    if info.get("exif") and fmt in ("JPEG", "PNG", "WEBP"):
        params["exif"] = info["exif"]
    if fmt == "JPEG":
        params.update(quality=95, subsampling=0)
    elif fmt == "WEBP":
        params.update(lossless=True, exact=True)
    elif fmt == "TIFF" and features.check("libtiff"):
        params["compression"] = "tiff_adobe_deflate"
    elif fmt == "BMP":
        params.pop("icc_profile", None)
    return params


def _writer(fmt: str, pixels: np.ndarray, info: dict[str, Any]):
    """A function writing ``pixels`` as ``fmt`` to a binary file object, converting as the format needs."""
    a = _normalise(pixels)
    channels = 1 if a.ndim == 2 else a.shape[-1]
    gray_to_rgb = (fmt == "WEBP" and channels <= 2) or (channels == 2 and (
        fmt == "BMP" or (fmt == "TIFF" and a.dtype != np.uint8)))
    if gray_to_rgb:  # a gray ICC profile would not describe the RGB pixels written
        info = {k: v for k, v in info.items() if k != "icc_profile"}
    if fmt in ("PNG", "TIFF") and a.dtype != np.uint8:
        if fmt == "TIFF" and a.dtype == np.float32 and channels == 1:
            return _pillow_writer(Image.fromarray(a), fmt, info)
        wide = _to_uint16(a)
        if channels == 1:
            return _pillow_writer(Image.fromarray(wide), fmt, info)
        if fmt == "PNG":
            return lambda fp: _write_png16(fp, wide, info)
        if channels == 2:  # 16-bit gray+alpha TIFF is rarely readable (Pillow cannot): write RGBA
            wide = np.concatenate([np.repeat(wide[..., :1], 3, axis=-1), wide[..., 1:]], axis=-1)
        return lambda fp: _write_tiff16(fp, wide, info)
    a8 = _to_uint8(a)
    if fmt == "JPEG" and channels in (2, 4):
        a8 = _flatten_on_white(a8)
    elif fmt == "WEBP" and channels in (1, 2):
        gray = a8 if channels == 1 else a8[..., 0]
        rgb = np.repeat(gray[..., None], 3, axis=-1)
        a8 = rgb if channels == 1 else np.concatenate([rgb, a8[..., 1:]], axis=-1)
    elif fmt == "BMP" and channels in (2, 4):
        rgba = a8 if channels == 4 else np.concatenate([np.repeat(a8[..., :1], 3, axis=-1), a8[..., 1:]], axis=-1)
        return lambda fp: _write_bmp_rgba(fp, rgba, info)
    return _pillow_writer(Image.fromarray(a8), fmt, info)


def _pillow_writer(im: Image.Image, fmt: str, info: dict[str, Any]):
    params = _params(fmt, info)

    def write(fp: BinaryIO) -> None:
        im.save(fp, format=fmt, **params)

    return write


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _paeth_rows(rows: np.ndarray, previous: np.ndarray, bpp: int) -> np.ndarray:
    """PNG Paeth filter of ``rows`` ((n, stride) uint8) given the row before them."""
    x = rows.astype(np.int16)
    b = np.concatenate([previous[None].astype(np.int16), x[:-1]], axis=0)
    a = np.zeros_like(x)
    a[:, bpp:] = x[:, :-bpp]
    c = np.zeros_like(x)
    c[:, bpp:] = b[:, :-bpp]
    p = a + b - c
    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
    pred = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
    return ((x - pred) & 0xFF).astype(np.uint8)


def _write_png16(fp: BinaryIO, a: np.ndarray, info: dict[str, Any]) -> None:
    """Write a 16-bit gray+alpha, RGB or RGBA PNG (Pillow cannot)."""
    h, w, c = a.shape
    color_type = {2: 4, 3: 2, 4: 6}[c]
    data = a.astype(">u2").reshape(h, w * c).view(np.uint8)
    bpp = 2 * c
    fp.write(b"\x89PNG\r\n\x1a\n")
    fp.write(_png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0)))
    if info.get("icc_profile"):
        fp.write(_png_chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(info["icc_profile"])))
    if info.get("dpi"):
        ppm = [round(float(d) / 0.0254) for d in info["dpi"]]
        fp.write(_png_chunk(b"pHYs", struct.pack(">IIB", ppm[0], ppm[1], 1)))
    if info.get("exif"):
        exif = bytes(info["exif"])
        fp.write(_png_chunk(b"eXIf", exif[6:] if exif.startswith(b"Exif\x00\x00") else exif))
    compressor = zlib.compressobj(6)
    previous = np.zeros(w * bpp, np.uint8)
    step = max(1, (4 << 20) // max(1, w * bpp))
    for y in range(0, h, step):
        rows = data[y : y + step]
        filtered = _paeth_rows(rows, previous, bpp)
        previous = rows[-1]
        block = np.concatenate([np.full((len(rows), 1), 4, np.uint8), filtered], axis=1)
        out = compressor.compress(block.tobytes())
        if out:
            fp.write(_png_chunk(b"IDAT", out))
    fp.write(_png_chunk(b"IDAT", compressor.flush()))
    fp.write(_png_chunk(b"IEND", b""))


def _write_tiff16(fp: BinaryIO, a: np.ndarray, info: dict[str, Any]) -> None:
    """Write a 16-bit RGB or RGBA TIFF (little-endian, deflate with horizontal predictor); Pillow cannot."""
    h, w, c = a.shape
    diff = a.astype(np.uint16)
    diff = np.concatenate([diff[:, :1], diff[:, 1:] - diff[:, :-1]], axis=1)  # wraps modulo 2**16
    rows_per_strip = max(1, (256 << 10) // (w * c * 2))
    strips = [
        zlib.compress(diff[y : y + rows_per_strip].astype("<u2").tobytes(), 6) for y in range(0, h, rows_per_strip)
    ]
    SHORT, LONG, RATIONAL, UNDEFINED = 3, 4, 5, 7
    entries: list[tuple[int, int, int, bytes]] = []  # tag, type, count, packed values

    def add(tag: int, kind: int, values: list[int] | bytes) -> None:
        if kind == UNDEFINED:
            entries.append((tag, kind, len(values), bytes(values)))
        elif kind == RATIONAL:
            entries.append((tag, kind, len(values) // 2, struct.pack(f"<{len(values)}I", *values)))
        else:
            code = "H" if kind == SHORT else "I"
            entries.append((tag, kind, len(values), struct.pack(f"<{len(values)}{code}", *values)))

    add(256, LONG, [w])
    add(257, LONG, [h])
    add(258, SHORT, [16] * c)
    add(259, SHORT, [8])  # Adobe deflate
    add(262, SHORT, [2])  # RGB
    add(273, LONG, [0] * len(strips))  # strip offsets: filled in below
    add(277, SHORT, [c])
    add(278, LONG, [rows_per_strip])
    add(279, LONG, [len(s) for s in strips])
    if info.get("dpi"):
        for tag, value in zip((282, 283), info["dpi"], strict=True):
            scale = 1000 if float(value) * 1000 < 2**32 else 1
            add(tag, RATIONAL, [min(round(float(value) * scale), 2**32 - 1), scale])
    add(284, SHORT, [1])  # chunky
    if info.get("dpi"):
        add(296, SHORT, [2])  # inch
    add(317, SHORT, [2])  # horizontal differencing
    if c == 4:
        add(338, SHORT, [2])  # unassociated alpha
    add(339, SHORT, [1] * c)  # unsigned integers
    if info.get("icc_profile"):
        add(34675, UNDEFINED, bytes(info["icc_profile"]))
    entries.sort()

    # Layout: header, strips, out-of-line values, IFD.
    offset = 8
    strip_offsets = []
    for s in strips:
        strip_offsets.append(offset)
        offset += len(s) + (len(s) & 1)
    entries = [(t, k, n, struct.pack(f"<{n}I", *strip_offsets)) if t == 273 else (t, k, n, v) for t, k, n, v in entries]
    extra = bytearray()
    ifd_entries = []
    for tag, kind, count, value in entries:
        if len(value) <= 4:
            ifd_entries.append(struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\x00"))
        else:
            ifd_entries.append(struct.pack("<HHII", tag, kind, count, offset + len(extra)))
            extra += value + (b"\x00" if len(value) & 1 else b"")
    ifd_offset = offset + len(extra)
    if ifd_offset >= 2**32:
        raise ImageIOError("the image is too large for a TIFF file (over 4 GB); save it as PNG")
    fp.write(b"II*\x00" + struct.pack("<I", ifd_offset))
    for s in strips:
        fp.write(s + (b"\x00" if len(s) & 1 else b""))
    fp.write(bytes(extra))
    fp.write(struct.pack("<H", len(ifd_entries)) + b"".join(ifd_entries) + struct.pack("<I", 0))


def _write_bmp_rgba(fp: BinaryIO, a: np.ndarray, info: dict[str, Any]) -> None:
    """Write a 32-bit BMP with an alpha channel (BITMAPV4HEADER); Pillow writes one without alpha."""
    h, w, _ = a.shape
    pixels = np.ascontiguousarray(a[::-1][..., [2, 1, 0, 3]]).tobytes()  # bottom-up rows of BGRA
    ppm = [round(float(d) / 0.0254) for d in info.get("dpi", (96, 96))]
    header = struct.pack(
        "<IiiHHIIiiII4I4s36s3I",
        108, w, h, 1, 32, 3, len(pixels), ppm[0], ppm[1], 0, 0,  # size, planes, bits, BI_BITFIELDS
        0x00FF0000, 0x0000FF00, 0x000000FF, 0xFF000000, b"BGRs", b"", 0, 0, 0,  # masks, LCS_sRGB
    )
    offset = 14 + len(header)
    fp.write(b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset) + header)
    fp.write(pixels)


def _umask() -> int:
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status") as f:
        for line in f:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022


def save_image(path: str | os.PathLike[str], pixels: np.ndarray, *, like: LoadedImage | None = None) -> None:
    """Write ``pixels`` to ``path`` atomically, in the format of the path's extension.

    The array decides the layout (gray, gray+alpha, RGB, RGBA; 8/16-bit or float); a format that
    cannot hold it gets the conversion in the module docstring's table (e.g. JPEG flattens alpha onto
    white and writes 8 bits; palette inputs are written as true-colour RGB/RGBA).  ``like`` (the
    :class:`LoadedImage` the pixels came from) carries its metadata over: ICC profile, resolution,
    EXIF.  JPEG is written at quality 95 without chroma subsampling; WebP lossless.

    The file appears complete or not at all: it is written to a temporary file in the same folder,
    which is renamed over ``path`` at the end and removed on any failure (Ctrl-C included).
    Raises :class:`ImageIOError` for an unknown extension, a missing folder, or a write error.

    Example
    -------
    >>> save_image("out.xyz", np.zeros((2, 2), np.uint8))
    Traceback (most recent call last):
    ...
    dip_plugin.imageio.ImageIOError: cannot write out.xyz: extension '.xyz' is not an image format; use one of \
.png, .jpg, .jpeg, .jpe, .tif, .tiff, .webp, .bmp
    """
    path = Path(path)
    fmt = output_format(path)
    _check_size(path, fmt, _normalise(pixels).shape)
    info, _ = fit_metadata(fmt, like.info if like is not None else {})
    write = _writer(fmt, pixels, info)
    with atomic_write(path) as fp:
        write(fp)


def _check_size(path: Path, fmt: str, shape: tuple[int, ...]) -> None:
    problem = size_problem(fmt, shape[1], shape[0], shape[2] if len(shape) == 3 else 1)
    if problem is not None:
        raise ImageIOError(f"cannot write {path}: {problem}")


def check_writable(path: str | os.PathLike[str], pixels: np.ndarray, *, like: LoadedImage | None = None,
                   size: tuple[int, int] | None = None) -> list[str]:
    """Check, before a long computation, that a result like ``pixels`` can be saved to ``path``.

    ``pixels`` has the result's layout and dtype (and, for floats, about its range); ``size`` is the
    result's (width, height) when it differs from ``pixels``' (e.g. after upscaling).  Raises
    :class:`ImageIOError` when the format cannot hold an image that large; returns one sentence for
    each loss that :func:`save_image` will make: a lossy conversion (alpha flattened, fewer bits,
    values clipped), metadata the format cannot store, frames after the first of ``like``'s file.

    Example
    -------
    >>> check_writable("out.jpg", np.zeros((2, 2, 2), np.uint16))  # doctest: +NORMALIZE_WHITESPACE
    ['JPEG has no transparency: the transparent parts are flattened onto white',
     'JPEG holds 8 bits per channel: the 16-bit pixels are written with 8 bits']
    """
    path = Path(path)
    fmt = output_format(path)
    a = _normalise(pixels)
    shape = (size[1], size[0], *a.shape[2:]) if size is not None else a.shape
    _check_size(path, fmt, shape)
    notes = conversion_notes(fmt, a)
    if like is not None:
        notes += fit_metadata(fmt, like.info)[1]
        if like.frames > 1:
            notes.append(f"the input has {like.frames} frames or pages; only the first is used")
    return notes


def _short(name: str, limit: int = 200) -> str:
    """``name`` cut to at most ``limit`` bytes (UTF-8, whole characters): a temporary name built on it
    (15 bytes more) stays within the 255 bytes a file name may have."""
    return name.encode("utf-8", "surrogateescape")[:limit].decode("utf-8", "ignore")


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open ``path`` for writing so that it appears complete or not at all.

    Yields a binary file object on a temporary file in the same folder; on leaving the block the
    temporary file is renamed over ``path``; on any exception (Ctrl-C included) it is removed and
    ``path`` is left as it was.  ``OSError`` becomes :class:`ImageIOError`.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
    >>> with atomic_write(p) as fp:
    ...     _ = fp.write(b"done")
    >>> p.read_bytes()
    b'done'
    """
    path = Path(path)
    folder = path.parent
    try:
        if not folder.is_dir():
            raise ImageIOError(f"cannot write {path}: the folder {folder} does not exist; create it first")
        if path.is_dir():
            raise ImageIOError(f"cannot write {path}: it is a folder")
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask()
        fd, tmp = tempfile.mkstemp(prefix=f".{_short(path.name)}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise ImageIOError(f"cannot write {path}: {os_error_text(exc)}") from None
    try:
        with os.fdopen(fd, "wb") as fp:
            yield fp
            fp.flush()
            os.fsync(fp.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise ImageIOError(f"cannot write {path}: {exc.strerror or _reason(exc)}") from None
        raise
