"""The image view: zoom and pan, the mask painted over the image, and before/after comparison.

Mouse and keys:

* left drag paints the mask (the brush), or erases it with the eraser tool; right drag always erases;
* with the region tool, left drag draws a rectangle (:meth:`Canvas.region`, for a Quick look); Escape
  clears it and the Quick look shown;
* wheel zooms around the pointer; middle drag, or Space + left drag, pans;
* in split view, dragging the divider moves it;
* strokes go on the shared ``QUndoStack``, so Ctrl+Z / Ctrl+Shift+Z undo and redo them.

Example (needs a QApplication)::

    canvas = Canvas(QUndoStack())
    canvas.set_image(np.zeros((64, 64, 3), np.uint8))
    canvas.mask().shape  # (64, 64), all False until the user paints

A Quick look (:meth:`Canvas.set_quick_look`) shows a restored region in place over the image, outlined,
with the rest of the image dimmed; hold-to-compare and the split view work inside the region.
"""

from __future__ import annotations

import math

import numpy as np
from PyQt6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, Qt, pyqtSignal
from PyQt6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
    QUndoCommand,
    QUndoStack,
    QWheelEvent,
)
from PyQt6.QtWidgets import QSizePolicy, QWidget

from ._qimage import MASK_COLOR, checker_brush, mask_from_qimage, mask_to_qimage, to_qimage

__all__ = ["BRUSH", "ERASER", "REGION", "Canvas", "MaskCommand"]

BRUSH = "brush"
ERASER = "eraser"
REGION = "region"
MIN_ZOOM, MAX_ZOOM = 0.02, 64.0
MIN_BRUSH, MAX_BRUSH = 1, 1000
_BACKGROUND = QColor(42, 42, 46)
_DIM = QColor(0, 0, 0, 130)  # over the image outside a Quick look's region
_QUICK_LOOK_EDGE = QColor(255, 200, 40)


class MaskCommand(QUndoCommand):
    """A change of the mask inside ``rect``: ``before`` and ``after`` are crops of the mask image."""

    def __init__(self, canvas: Canvas, rect: QRect, before: QImage, after: QImage, text: str) -> None:
        super().__init__(text)
        self._canvas = canvas
        self._rect = QRect(rect)
        self._before = before
        self._after = after

    def undo(self) -> None:
        self._canvas._put_mask_patch(self._rect, self._before)

    def redo(self) -> None:  # also runs when pushed: the mask already holds `after`, painting it again is harmless
        self._canvas._put_mask_patch(self._rect, self._after)


class Canvas(QWidget):
    """Shows the image (or a result over it), the translucent mask, and lets the user paint the mask."""

    mask_changed = pyqtSignal()
    brush_size_changed = pyqtSignal(int)
    tool_changed = pyqtSignal(str)
    zoom_changed = pyqtSignal(float)
    split_changed = pyqtSignal(bool)
    mask_visible_changed = pyqtSignal(bool)
    pointer_moved = pyqtSignal(int, int)  # image pixel under the pointer
    region_changed = pyqtSignal()  # the rectangle of the region tool was drawn or cleared

    def __init__(self, undo_stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = undo_stack
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._image_pix: QPixmap | None = None
        self._image_alpha = False
        self._result_pix: QPixmap | None = None
        self._mask: QImage | None = None
        self._zoom = 1.0
        self._offset = QPointF(0, 0)
        self._fit_mode = True
        self._brush_size = 24
        self._tool = BRUSH
        self._mask_visible = True
        self._show_before = False
        self._split = False
        self._split_pos = 0.5
        self._pointer: QPointF | None = None
        self._space_down = False
        self._drag: str | None = None  # "paint", "erase", "pan", "split"
        self._last_widget_pos = QPointF()
        self._last_image_pos = QPointF()
        self._stroke_before: QImage | None = None
        self._stroke_rect = QRect()
        self._last_stroke_erase = False
        self._checker = checker_brush()
        self._region: QRect | None = None
        self._region_anchor = QPointF()
        self._quick_pix: QPixmap | None = None
        self._quick_pixels: np.ndarray | None = None
        self._quick_rect: QRect | None = None
        self.painting_enabled = True

    # ----------------------------------------------------------------------------------- content

    def has_image(self) -> bool:
        return self._image_pix is not None

    def image_size(self) -> QSize:
        """The image size in pixels (empty without an image)."""
        return QSize() if self._image_pix is None else self._image_pix.size()

    def set_image(self, pixels: np.ndarray, *, mask: np.ndarray | QImage | None = None, fit: bool = True) -> None:
        """Show ``pixels`` with ``mask`` (default: empty); clears the result and the Quick look and, with ``fit``
        (or a new size), fits the view and clears the region."""
        old_size = self.image_size()
        self._image_pix = QPixmap.fromImage(to_qimage(pixels))
        self._image_alpha = pixels.ndim == 3 and pixels.shape[-1] in (2, 4)
        self._result_pix = None
        h, w = pixels.shape[:2]
        if isinstance(mask, QImage):
            self._mask = mask.copy()
        else:
            self._mask = mask_to_qimage(np.zeros((h, w), bool) if mask is None else mask)
        if fit or old_size != self.image_size():
            self.fit_to_window()
            self.set_region(None)  # another image (the same one after an accepted result keeps its region)
        self.set_quick_look(None)
        self.mask_changed.emit()
        self.update()

    def update_image(self, pixels: np.ndarray) -> None:
        """Replace the image's pixels (same size), keeping the mask and the view."""
        self._image_pix = QPixmap.fromImage(to_qimage(pixels))
        self._image_alpha = pixels.ndim == 3 and pixels.shape[-1] in (2, 4)
        self.update()

    def set_result(self, pixels: np.ndarray | None) -> None:
        """Show ``pixels`` (a result or a live preview) over the image; None shows the image again."""
        self._result_pix = None if pixels is None else QPixmap.fromImage(to_qimage(pixels))
        self.update()

    def has_result(self) -> bool:
        return self._result_pix is not None

    def set_quick_look(self, pixels: np.ndarray | None, rect: QRect | None = None) -> None:
        """Show ``pixels`` (a Quick look's result) in ``rect`` (image pixels) over the image, the rest dimmed.

        ``pixels`` may be larger than ``rect`` (an upscaling): it is drawn into the rect's area.  None (or an
        empty rect) removes the Quick look.
        """
        if pixels is None or rect is None or rect.isEmpty():
            self._quick_pix = self._quick_pixels = self._quick_rect = None
        else:
            self._quick_pix = QPixmap.fromImage(to_qimage(pixels))
            self._quick_pixels = pixels
            self._quick_rect = QRect(rect)
        self.update()

    def quick_look(self) -> tuple[np.ndarray, QRect] | None:
        """The Quick look shown: its pixels and its rectangle in the image (None when none is shown)."""
        if self._quick_pixels is None or self._quick_rect is None:
            return None
        return self._quick_pixels, QRect(self._quick_rect)

    def has_quick_look(self) -> bool:
        return self._quick_pix is not None

    def mask(self) -> np.ndarray:
        """The painted mask: bool (H, W), True = hole."""
        if self._mask is None:
            return np.zeros((0, 0), bool)
        return mask_from_qimage(self._mask)

    def mask_image(self) -> QImage | None:
        """A copy of the mask as painted (for undo commands that swap images)."""
        return None if self._mask is None else self._mask.copy()

    def set_mask(self, mask: np.ndarray, text: str = "Set mask") -> None:
        """Replace the mask (undoable)."""
        if self._mask is None:
            return
        if mask.shape != (self._mask.height(), self._mask.width()):
            raise ValueError(f"mask shape {mask.shape} does not match the image ({self._mask.height()}, "
                             f"{self._mask.width()})")
        before = self._mask.copy()
        after = mask_to_qimage(mask)
        self.undo_stack.push(MaskCommand(self, self._mask.rect(), before, after, text))

    def clear_mask(self) -> None:
        """Erase the whole mask (undoable)."""
        if self._mask is not None and self.mask().any():
            self.set_mask(np.zeros((self._mask.height(), self._mask.width()), bool), "Clear mask")

    def _put_mask_patch(self, rect: QRect, patch: QImage) -> None:
        if self._mask is None:
            return
        p = QPainter(self._mask)
        p.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
        p.drawImage(rect.topLeft(), patch)
        p.end()
        self.mask_changed.emit()
        self.update()

    # ----------------------------------------------------------------------------------- tools

    @property
    def brush_size(self) -> int:
        return self._brush_size

    def set_brush_size(self, size: int) -> None:
        size = int(min(MAX_BRUSH, max(MIN_BRUSH, size)))
        if size != self._brush_size:
            self._brush_size = size
            self.brush_size_changed.emit(size)
            self.update()

    def grow_brush(self) -> None:
        self.set_brush_size(max(self._brush_size + 1, round(self._brush_size * 1.25)))

    def shrink_brush(self) -> None:
        self.set_brush_size(min(self._brush_size - 1, round(self._brush_size / 1.25)))

    @property
    def tool(self) -> str:
        return self._tool

    def set_tool(self, tool: str) -> None:
        if tool not in (BRUSH, ERASER, REGION):
            raise ValueError(f"unknown tool {tool!r}")
        if tool != self._tool:
            self._tool = tool
            self.tool_changed.emit(tool)

    @property
    def mask_visible(self) -> bool:
        return self._mask_visible

    def set_mask_visible(self, visible: bool) -> None:
        if visible != self._mask_visible:
            self._mask_visible = bool(visible)
            self.mask_visible_changed.emit(self._mask_visible)
            self.update()

    # ----------------------------------------------------------------------------------- region

    def region(self) -> QRect | None:
        """The rectangle drawn with the region tool, in image pixels (None when there is none)."""
        return None if self._region is None else QRect(self._region)

    def set_region(self, rect: QRect | QRectF | None) -> None:
        """Set the region tool's rectangle (clamped to the image; a fractional one covers the pixels it touches).

        None, or a rectangle outside the image, clears it.
        """
        region = None
        if rect is not None and self._image_pix is not None:
            if isinstance(rect, QRectF):
                r = rect.normalized()
                rect = QRect(QPoint(math.floor(r.left()), math.floor(r.top())),
                             QPoint(math.ceil(r.right()) - 1, math.ceil(r.bottom()) - 1))
            region = rect.normalized() & QRect(QPoint(0, 0), self.image_size())
            if region.isEmpty():
                region = None
        if region != self._region:
            self._region = region
            self.region_changed.emit()
            self.update()

    def visible_image_rect(self) -> QRectF:
        """The part of the image plane the widget shows, in image coordinates (may reach beyond the image)."""
        return QRectF(self.to_image(QPointF(0, 0)), self.to_image(QPointF(self.width(), self.height())))

    # ----------------------------------------------------------------------------------- compare

    def set_show_before(self, before: bool) -> None:
        """While True the image is shown instead of the result (hold-to-compare)."""
        if before != self._show_before:
            self._show_before = bool(before)
            self.update()

    @property
    def showing_before(self) -> bool:
        return self._show_before

    @property
    def split(self) -> bool:
        return self._split

    def set_split(self, split: bool) -> None:
        """Split view: the image left of the divider, the result right of it."""
        if split != self._split:
            self._split = bool(split)
            self.split_changed.emit(self._split)
            self.update()

    @property
    def split_position(self) -> float:
        return self._split_pos

    def set_split_position(self, fraction: float) -> None:
        self._split_pos = float(min(1.0, max(0.0, fraction)))
        self.update()

    # ----------------------------------------------------------------------------------- view

    @property
    def zoom(self) -> float:
        return self._zoom

    def fit_to_window(self) -> None:
        """Show the whole image, centred."""
        self._fit_mode = True
        size = self.image_size()
        if size.isEmpty():
            return
        margin = 8
        avail_w, avail_h = max(1, self.width() - 2 * margin), max(1, self.height() - 2 * margin)
        zoom = min(avail_w / size.width(), avail_h / size.height())
        self._set_zoom_centered(min(MAX_ZOOM, max(MIN_ZOOM, zoom)))

    def zoom_100(self) -> None:
        """One image pixel per screen pixel, centred on the view's centre."""
        self.set_zoom(1.0)

    def zoom_in(self) -> None:
        self.set_zoom(self._zoom * 1.25)

    def zoom_out(self) -> None:
        self.set_zoom(self._zoom / 1.25)

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom to ``zoom`` keeping the image point under ``anchor`` (default: the view's centre) in place."""
        zoom = min(MAX_ZOOM, max(MIN_ZOOM, zoom))
        anchor = QPointF(self.width() / 2, self.height() / 2) if anchor is None else anchor
        fixed = self.to_image(anchor)
        self._zoom = zoom
        self._offset = anchor - fixed * zoom
        self._fit_mode = False
        self.zoom_changed.emit(zoom)
        self.update()

    def pan(self, dx: float, dy: float) -> None:
        self._offset += QPointF(dx, dy)
        self._fit_mode = False
        self.update()

    def _set_zoom_centered(self, zoom: float) -> None:
        size = self.image_size()
        self._zoom = zoom
        self._offset = QPointF((self.width() - size.width() * zoom) / 2, (self.height() - size.height() * zoom) / 2)
        self.zoom_changed.emit(zoom)
        self.update()

    def to_image(self, pos: QPointF) -> QPointF:
        """Widget coordinates → image coordinates (pixels; pixel (i, j) covers [i, i+1) × [j, j+1))."""
        return (QPointF(pos) - self._offset) / self._zoom

    def to_widget(self, pos: QPointF) -> QPointF:
        return QPointF(pos) * self._zoom + self._offset

    def image_rect_in_widget(self) -> QRectF:
        size = self.image_size()
        return QRectF(self._offset, QPointF(size.width(), size.height()) * self._zoom + self._offset)

    def _split_x(self) -> float:
        r = self.image_rect_in_widget()
        return r.left() + self._split_pos * r.width()

    # ----------------------------------------------------------------------------------- painting the mask

    def _begin_stroke(self, image_pos: QPointF, erase: bool) -> None:
        self._stroke_before = self._mask.copy()
        self._stroke_rect = QRect()
        self._drag = "erase" if erase else "paint"
        self._last_image_pos = image_pos
        self._paint_segment(image_pos, image_pos)

    def _paint_segment(self, a: QPointF, b: QPointF) -> None:
        p = QPainter(self._mask)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if self._drag == "erase":
            p.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
        pen = QPen(MASK_COLOR, self._brush_size, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                   Qt.PenJoinStyle.RoundJoin)
        p.setPen(pen)
        if a == b:
            if self._brush_size <= 1:
                p.drawPoint(QPoint(math.floor(a.x()), math.floor(a.y())))
            else:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(MASK_COLOR)
                r = self._brush_size / 2
                p.drawEllipse(a, r, r)
        else:
            p.drawLine(a, b)
        p.end()
        r = self._brush_size / 2 + 2
        seg = QRectF(a, b).normalized().adjusted(-r, -r, r, r).toAlignedRect() & self._mask.rect()
        self._stroke_rect = self._stroke_rect.united(seg)
        self.update(self._widget_rect(QRectF(seg)).adjusted(-2, -2, 2, 2))

    def _end_stroke(self) -> None:
        rect = self._stroke_rect & self._mask.rect()
        before = self._stroke_before
        self._stroke_before = None
        self._drag = None
        if before is None or rect.isEmpty():
            return
        text = "Erase" if self._last_stroke_erase else "Paint"
        after_patch = self._mask.copy(rect)
        before_patch = before.copy(rect)
        if after_patch == before_patch:
            return
        self.undo_stack.push(MaskCommand(self, rect, before_patch, after_patch, text))  # emits mask_changed

    def _widget_rect(self, image_rect: QRectF) -> QRect:
        return QRectF(self.to_widget(image_rect.topLeft()), self.to_widget(image_rect.bottomRight())).toAlignedRect()

    # ----------------------------------------------------------------------------------- events

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(event.rect(), _BACKGROUND)
        if self._image_pix is None:
            p.setPen(QColor(170, 170, 175))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                       "Open an image (File ▸ Open) or drop one here")
            return
        target = self.image_rect_in_widget()
        if self._image_alpha:
            p.fillRect(target, self._checker)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._zoom < 2)
        size = self.image_size()
        image_rect = QRectF(0, 0, size.width(), size.height())
        p.save()
        p.translate(self._offset)
        p.scale(self._zoom, self._zoom)
        after = self._result_pix
        quick = self._quick_pix is not None
        compare = after is not None or quick  # something to compare with the image
        if after is None or self._show_before:
            p.drawPixmap(image_rect, self._image_pix, QRectF(self._image_pix.rect()))
        elif self._split:
            cut = self._split_pos * size.width()
            left = QRectF(0, 0, cut, size.height())
            p.setClipRect(left)
            p.drawPixmap(image_rect, self._image_pix, QRectF(self._image_pix.rect()))
            p.setClipRect(QRectF(cut, 0, size.width() - cut, size.height()))
            p.drawPixmap(image_rect, after, QRectF(after.rect()))
            p.setClipping(False)
        else:
            p.drawPixmap(image_rect, after, QRectF(after.rect()))
        if quick:
            self._paint_quick_look(p, image_rect)
        if self._mask_visible and self._mask is not None:
            if compare and self._split and not self._show_before:  # the mask goes with "before"
                p.setClipRect(QRectF(0, 0, self._split_pos * size.width(), size.height()))
            p.setOpacity(0.5)
            p.drawImage(image_rect, self._mask)
            p.setOpacity(1.0)
            p.setClipping(False)
        p.restore()
        if quick:
            self._paint_outline(p, self._quick_rect, _QUICK_LOOK_EDGE, "Quick look")
        if self._region is not None and self._region != self._quick_rect:
            w, h = self._region.width(), self._region.height()
            self._paint_outline(p, self._region, QColor(255, 255, 255), f"{w}×{h}", dashed=True)
        if compare and self._split and not self._show_before:
            self._paint_divider(p, target)
        if compare and (self._show_before or self._split):
            self._paint_labels(p, target)
        if (self._pointer is not None and self.painting_enabled and self._tool != REGION
                and self._drag not in ("pan", "split", "region")):
            self._paint_brush_cursor(p)
        p.end()

    def _paint_quick_look(self, p: QPainter, image_rect: QRectF) -> None:
        """In image coordinates: dim the image outside the region, draw the Quick look inside it."""
        region = QRectF(self._quick_rect)
        outside = QPainterPath()
        outside.setFillRule(Qt.FillRule.OddEvenFill)
        outside.addRect(image_rect)
        outside.addRect(region)
        p.fillPath(outside, _DIM)
        if self._show_before:
            return  # the image is already drawn there
        if self._split:
            cut = self._split_pos * image_rect.width()
            region = region.intersected(QRectF(cut, 0, image_rect.width() - cut, image_rect.height()))
            if region.isEmpty():
                return
        p.save()
        p.setClipRect(region)
        if self._image_alpha:  # what is under the region must not show through its transparent pixels
            checker = QBrush(self._checker)
            checker.setTransform(checker.transform().scale(1 / self._zoom, 1 / self._zoom))
            p.fillRect(region, checker)
        p.drawPixmap(QRectF(self._quick_rect), self._quick_pix, QRectF(self._quick_pix.rect()))
        p.restore()

    def _paint_outline(self, p: QPainter, rect: QRect, color: QColor, text: str, dashed: bool = False) -> None:
        """In widget coordinates: a frame around the image rectangle ``rect`` with ``text`` above it."""
        box = QRectF(self.to_widget(QPointF(rect.topLeft())),
                     self.to_widget(QPointF(rect.right() + 1, rect.bottom() + 1)))
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor(0, 0, 0, 200), 3))
        p.drawRect(box)
        p.setPen(QPen(color, 1, Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine))
        p.drawRect(box)
        metrics = p.fontMetrics()
        w, h = metrics.horizontalAdvance(text) + 10, metrics.height() + 4
        y = box.top() - h - 2 if box.top() - h - 2 >= 0 else box.top() + 2
        label = QRectF(box.left(), y, w, h)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 170))
        p.drawRect(label)
        p.setPen(color)
        p.drawText(label, Qt.AlignmentFlag.AlignCenter, text)
        p.restore()

    def _paint_divider(self, p: QPainter, target: QRectF) -> None:
        x = self._split_x()
        p.setPen(QPen(QColor(255, 255, 255, 230), 2))
        p.drawLine(QPointF(x, target.top()), QPointF(x, target.bottom()))
        p.setBrush(QColor(255, 255, 255, 230))
        p.setPen(QPen(QColor(0, 0, 0, 160), 1))
        y = (max(target.top(), 0) + min(target.bottom(), self.height())) / 2
        p.drawEllipse(QPointF(x, y), 7, 7)

    def _paint_labels(self, p: QPainter, target: QRectF) -> None:
        def label(text: str, x: float, align_right: bool) -> None:
            metrics = p.fontMetrics()
            w, h = metrics.horizontalAdvance(text) + 12, metrics.height() + 6
            y = max(target.top(), 0) + 8
            box = QRectF(x - w - 8 if align_right else x + 8, y, w, h)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(0, 0, 0, 150))
            p.drawRoundedRect(box, 4, 4)
            p.setPen(QColor(255, 255, 255))
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

        if self._show_before:
            label("Before", max(target.left(), 0), False)
        else:
            x = self._split_x()
            label("Before", x, True)
            label("After", x, False)

    def _paint_brush_cursor(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        r = max(1.5, self._brush_size * self._zoom / 2)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor(0, 0, 0, 180), 3))
        p.drawEllipse(self._pointer, r, r)
        p.setPen(QPen(QColor(255, 255, 255, 230), 1.2))
        p.drawEllipse(self._pointer, r, r)

    def _near_divider(self, pos: QPointF) -> bool:
        return (self._split and (self._result_pix is not None or self._quick_pix is not None) and not self._show_before
                and abs(pos.x() - self._split_x()) <= 6)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        pos = event.position()
        self._last_widget_pos = pos
        button = event.button()
        if self._image_pix is None or self._drag is not None:
            return
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and self._space_down):
            self._drag = "pan"
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        elif button == Qt.MouseButton.LeftButton and self._near_divider(pos):
            self._drag = "split"
        elif button == Qt.MouseButton.LeftButton and self._tool == REGION:
            self._drag = "region"
            self._region_anchor = self.to_image(pos)
            self.set_region(None)
        elif button in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton) and self.painting_enabled:
            erase = button == Qt.MouseButton.RightButton or self._tool == ERASER
            self._last_stroke_erase = erase
            if not self._mask_visible:
                self.set_mask_visible(True)
            self._begin_stroke(self.to_image(pos), erase)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        old_pointer = self._pointer
        self._pointer = pos
        if self._drag == "pan":
            d = pos - self._last_widget_pos
            self.pan(d.x(), d.y())
        elif self._drag == "split":
            r = self.image_rect_in_widget()
            if r.width() > 0:
                self.set_split_position((pos.x() - r.left()) / r.width())
        elif self._drag in ("paint", "erase"):
            ip = self.to_image(pos)
            self._paint_segment(self._last_image_pos, ip)
            self._last_image_pos = ip
        elif self._drag == "region":
            self.set_region(QRectF(self._region_anchor, self.to_image(pos)))
        else:
            self.setCursor(Qt.CursorShape.SplitHCursor if self._near_divider(pos) else
                           Qt.CursorShape.OpenHandCursor if self._space_down else Qt.CursorShape.CrossCursor)
        self._last_widget_pos = pos
        self._update_cursor_area(old_pointer)
        self._update_cursor_area(pos)
        if self._image_pix is not None:
            ip = self.to_image(pos)
            self.pointer_moved.emit(math.floor(ip.x()), math.floor(ip.y()))

    def _update_cursor_area(self, pos: QPointF | None) -> None:
        if pos is None:
            return
        r = self._brush_size * self._zoom / 2 + 4
        self.update(QRectF(pos.x() - r, pos.y() - r, 2 * r, 2 * r).toAlignedRect())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag in ("paint", "erase"):
            self._end_stroke()
        elif self._drag == "region":
            self.set_region(QRectF(self._region_anchor, self.to_image(event.position())))
            self._drag = None
        elif self._drag in ("pan", "split"):
            self._drag = None
            self.setCursor(Qt.CursorShape.OpenHandCursor if self._space_down else Qt.CursorShape.CrossCursor)
        self.update()

    def leaveEvent(self, event) -> None:
        old = self._pointer
        self._pointer = None
        self._update_cursor_area(old)
        super().leaveEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self._image_pix is None:
            return
        delta = event.angleDelta().y() or event.angleDelta().x()
        if delta:
            self.set_zoom(self._zoom * 1.2 ** (delta / 120), event.position())
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and (self._region is not None or self._quick_pix is not None):
            self.set_region(None)
            self.set_quick_look(None)
            event.accept()
            return
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = True
            if self._drag is None:
                self.setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = False
            if self._drag is None:
                self.setCursor(Qt.CursorShape.CrossCursor)
            event.accept()
            return
        super().keyReleaseEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        if self._fit_mode:
            self.fit_to_window()
        super().resizeEvent(event)

    def sizeHint(self) -> QSize:
        return QSize(640, 480)
