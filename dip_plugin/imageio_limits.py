"""What an output format can hold, and what a path can be: the checks :mod:`dip_plugin.imageio` makes
before it writes, so that a long fit never ends in a file that cannot be saved.

* :func:`size_problem`: a width or height past what the format stores (WebP 16383, JPEG 65500), or a
  BMP past 4 GB.
* :func:`fit_metadata`: metadata the format cannot store is left out, with a note: EXIF over JPEG's
  65,533 bytes, a resolution (dpi) past the format's field.
* :func:`conversion_notes`: the lossy conversions of :mod:`~dip_plugin.imageio`'s table that writing
  ``pixels`` in a format makes (alpha flattened, fewer bits, values clipped), one sentence each.
* :func:`os_error_text`: what an ``OSError`` on a path means, in words that say what to change.

Nothing here prints; the callers decide what to do with the notes (the ``dip`` command prints them as
``dip: warning: ...`` lines).

Example
-------
>>> size_problem("WEBP", 17000, 2)
'WebP holds at most 16383×16383 pixels, the image is 17000×2; save it as PNG or TIFF'
>>> conversion_notes("JPEG", np.zeros((2, 2, 4), np.uint8))
['JPEG has no transparency: the transparent parts are flattened onto white']
"""

from __future__ import annotations

import errno
from typing import Any

import numpy as np

__all__ = ["JPEG_MAX_EXIF", "MAX_DPI", "MAX_SIDE", "conversion_notes", "fit_metadata", "os_error_text",
           "size_problem"]

_NAMES = {"PNG": "PNG", "JPEG": "JPEG", "TIFF": "TIFF", "WEBP": "WebP", "BMP": "BMP"}

#: The largest width and height each format stores (JPEG: the libjpeg that Pillow uses).
MAX_SIDE: dict[str, int] = {"WEBP": 16383, "JPEG": 65500, "PNG": 2**31 - 1, "BMP": 2**31 - 1, "TIFF": 2**32 - 1}
#: JPEG stores EXIF in one APP1 segment: 65,535 bytes less the length field.
JPEG_MAX_EXIF = 65533
#: The largest resolution (dots per inch) each format's fields store: JPEG a 16-bit count, PNG and BMP
#: pixels per metre as unsigned / signed 32-bit numbers, TIFF a 32-bit rational.
MAX_DPI: dict[str, float] = {"JPEG": 65535.0, "PNG": (2**32 - 1) * 0.0254, "BMP": (2**31 - 1) * 0.0254,
                             "TIFF": 2**32 - 1.0}


def size_problem(fmt: str, width: int, height: int, channels: int = 3) -> str | None:
    """Why an image of ``width``×``height`` cannot be written as ``fmt``, or None if it can."""
    side = MAX_SIDE.get(fmt)
    name = _NAMES.get(fmt, fmt)
    if side is not None and max(width, height) > side:
        return f"{name} holds at most {side}×{side} pixels, the image is {width}×{height}; save it as PNG or TIFF"
    if fmt == "BMP":
        bits = 32 if channels in (2, 4) else 8 * min(channels, 3)
        size = ((width * bits + 31) // 32) * 4 * height + 1024 + 138
        if size >= 2**32:
            return f"a BMP file holds at most 4 GB, the image needs {size / 2**30:.1f} GB; save it as PNG or TIFF"
    return None


def fit_metadata(fmt: str, info: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``info`` without what ``fmt`` cannot store, and a note for each thing left out.

    Example
    -------
    >>> fit_metadata("JPEG", {"dpi": (300.0, 5e6)})
    ({}, ['the resolution of 5,000,000 dpi does not fit in a JPEG file (at most 65,535 dpi); \
the result is written without it'])
    """
    kept = dict(info)
    notes: list[str] = []
    name = _NAMES.get(fmt, fmt)
    exif = kept.get("exif")
    if exif and fmt == "JPEG" and len(exif) > JPEG_MAX_EXIF:
        del kept["exif"]
        notes.append(f"the EXIF data ({len(exif):,} bytes) does not fit in a JPEG file (at most "
                     f"{JPEG_MAX_EXIF:,} bytes); the result is written without it")
    dpi = kept.get("dpi")
    top = MAX_DPI.get(fmt)
    if dpi and top is not None and max(float(d) for d in dpi) > top:
        del kept["dpi"]
        notes.append(f"the resolution of {max(float(d) for d in dpi):,.0f} dpi does not fit in a {name} file "
                     f"(at most {top:,.0f} dpi); the result is written without it")
    return kept, notes


def conversion_notes(fmt: str, pixels: np.ndarray) -> list[str]:
    """The lossy conversions writing ``pixels`` (H×W or H×W×C) as ``fmt`` makes, one sentence each."""
    channels = 1 if pixels.ndim == 2 else pixels.shape[-1]
    name = _NAMES.get(fmt, fmt)
    notes = []
    if fmt == "JPEG" and channels in (2, 4):
        notes.append("JPEG has no transparency: the transparent parts are flattened onto white")
    floats = pixels.dtype.kind == "f"
    if fmt in ("JPEG", "WEBP", "BMP") and (floats or pixels.dtype.itemsize > 1):
        depth = "32-bit float" if floats else "16-bit"
        clip = "; values outside [0, 1] are clipped" if floats and _outside_unit(pixels) else ""
        notes.append(f"{name} holds 8 bits per channel: the {depth} pixels are written with 8 bits{clip}")
    elif floats and (fmt == "PNG" or (fmt == "TIFF" and channels > 1)):
        clip = "; values outside [0, 1] are clipped" if _outside_unit(pixels) else ""
        what = "PNG" if fmt == "PNG" else "a colour TIFF"
        notes.append(f"{what} holds no floats here: the 32-bit float pixels are written with 16 bits{clip}")
    return notes


def _outside_unit(pixels: np.ndarray) -> bool:
    return bool(pixels.size) and (float(np.min(pixels)) < 0.0 or float(np.max(pixels)) > 1.0)


def os_error_text(exc: OSError) -> str:
    """What ``exc`` (raised for a path) means, and what to do about it, without the path.

    Example
    -------
    >>> os_error_text(PermissionError(13, "Permission denied"))
    'permission denied (the file, or a folder on its path, may not be read or searched); check the permissions'
    """
    if exc.errno in (errno.EACCES, errno.EPERM):
        return ("permission denied (the file, or a folder on its path, may not be read or searched); "
                "check the permissions")
    if exc.errno == errno.ENAMETOOLONG:
        return "a name in the path is too long (at most 255 bytes a name); shorten it"
    if exc.errno == errno.ELOOP:
        return "too many levels of symbolic links (a link that points to itself?)"
    text = exc.strerror or " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]
