"""Conversions between numpy arrays and QImages for display and for the painted mask."""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QBrush, QColor, QImage, QPainter, QPixmap

__all__ = ["MASK_COLOR", "checker_brush", "display_array", "mask_from_qimage", "mask_to_qimage", "to_qimage"]

#: Colour of painted holes in the overlay (drawn translucent).
MASK_COLOR = QColor(255, 40, 90)
_MASK_FORMAT = QImage.Format.Format_RGBA8888_Premultiplied


def display_array(pixels: np.ndarray) -> np.ndarray:
    """``pixels`` (gray, gray+alpha, RGB, RGBA; uint8, uint16 or float) as contiguous uint8 for the screen.

    Example
    -------
    >>> display_array(np.array([[0, 65535]], np.uint16)).tolist()
    [[0, 255]]
    """
    a = np.asarray(pixels)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.dtype == np.uint8:
        out = a
    elif a.dtype == np.uint16:
        out = (a >> 8).astype(np.uint8)
    elif a.dtype.kind == "f":
        out = np.rint(np.clip(np.nan_to_num(a), 0.0, 1.0) * 255).astype(np.uint8)
    else:
        raise TypeError(f"cannot display pixels of dtype {a.dtype}")
    if out.ndim == 3 and out.shape[-1] == 2:  # gray + alpha -> RGBA
        out = np.concatenate([np.repeat(out[..., :1], 3, axis=-1), out[..., 1:]], axis=-1)
    return np.ascontiguousarray(out)


def to_qimage(pixels: np.ndarray) -> QImage:
    """A QImage (owning its memory) showing ``pixels``; alpha is kept (not premultiplied)."""
    a = display_array(pixels)
    h, w = a.shape[:2]
    if a.ndim == 2:
        fmt = QImage.Format.Format_Grayscale8
    elif a.shape[-1] == 3:
        fmt = QImage.Format.Format_RGB888
    elif a.shape[-1] == 4:
        fmt = QImage.Format.Format_RGBA8888
    else:
        raise ValueError(f"cannot display an array of shape {pixels.shape}")
    image = QImage(a.data, w, h, a.strides[0], fmt)
    return image.copy()  # detach from the numpy buffer


def mask_to_qimage(mask: np.ndarray, color: QColor = MASK_COLOR) -> QImage:
    """The mask as an opaque-where-True, transparent-elsewhere image that the brush paints on."""
    m = np.asarray(mask, bool)
    h, w = m.shape
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[m] = (color.red(), color.green(), color.blue(), 255)
    image = QImage(rgba.data, w, h, 4 * w, _MASK_FORMAT)
    return image.copy()


def mask_from_qimage(image: QImage) -> np.ndarray:
    """Bool (H, W): True where the painted mask image is more than half opaque."""
    if image.format() != _MASK_FORMAT:
        image = image.convertToFormat(_MASK_FORMAT)
    h, w = image.height(), image.width()
    ptr = image.constBits()
    ptr.setsize(image.sizeInBytes())
    rows = np.frombuffer(ptr, np.uint8).reshape(h, image.bytesPerLine())
    return rows[:, : 4 * w].reshape(h, w, 4)[..., 3] > 127


def checker_brush(cell: int = 8) -> QBrush:
    """A light gray checkerboard, drawn behind transparent pixels."""
    tile = QPixmap(2 * cell, 2 * cell)
    tile.fill(QColor(204, 204, 204))
    p = QPainter(tile)
    p.fillRect(0, 0, cell, cell, QColor(153, 153, 153))
    p.fillRect(cell, cell, cell, cell, QColor(153, 153, 153))
    p.end()
    brush = QBrush(tile)
    brush.setStyle(Qt.BrushStyle.TexturePattern)
    return brush
