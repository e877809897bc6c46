"""The canvas: painting and erasing the mask, undo/redo, brush size, zoom and pan, before/after display."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, QPointF, Qt
from PyQt6.QtGui import QUndoStack, QWheelEvent
from PyQt6.QtWidgets import QApplication

from dip_plugin.app.canvas import ERASER, Canvas


@pytest.fixture
def canvas(qtbot) -> Canvas:
    c = Canvas(QUndoStack())
    qtbot.addWidget(c)
    c.resize(400, 400)
    with qtbot.waitExposed(c):
        c.show()
    c.set_image(np.full((40, 40, 3), 128, np.uint8))
    c.set_brush_size(4)
    return c


def widget_point(c: Canvas, x: float, y: float) -> QPoint:
    return c.to_widget(QPointF(x, y)).toPoint()


def drag(qtbot, c: Canvas, points, button=Qt.MouseButton.LeftButton) -> None:
    qtbot.mousePress(c, button, pos=widget_point(c, *points[0]))
    for p in points[1:]:
        qtbot.mouseMove(c, widget_point(c, *p))
    qtbot.mouseRelease(c, button, pos=widget_point(c, *points[-1]))


def test_view_fits_the_image(canvas) -> None:
    assert canvas.zoom == pytest.approx((400 - 16) / 40)
    r = canvas.image_rect_in_widget()
    assert r.center().x() == pytest.approx(200) and r.center().y() == pytest.approx(200)


def test_painting_a_stroke_changes_the_mask(qtbot, canvas) -> None:
    assert not canvas.mask().any()
    with qtbot.waitSignal(canvas.mask_changed):
        drag(qtbot, canvas, [(5, 20), (15, 20), (30, 20.5)])
    m = canvas.mask()
    assert m[20, 5] and m[20, 15] and m[20, 30]  # along the stroke
    assert not m[5, 5] and not m[35, 20]  # not elsewhere
    assert 3 * 25 <= m.sum() <= 6 * 30  # a band about the brush's width
    assert canvas.undo_stack.count() == 1


def test_undo_and_redo_strokes(qtbot, canvas) -> None:
    drag(qtbot, canvas, [(5, 5), (10, 5)])
    first = canvas.mask()
    drag(qtbot, canvas, [(5, 30), (30, 30)])
    both = canvas.mask()
    assert both.sum() > first.sum()
    canvas.undo_stack.undo()
    assert np.array_equal(canvas.mask(), first)
    canvas.undo_stack.undo()
    assert not canvas.mask().any()
    canvas.undo_stack.redo()
    canvas.undo_stack.redo()
    assert np.array_equal(canvas.mask(), both)


def test_eraser_and_right_drag_erase(qtbot, canvas) -> None:
    full = np.zeros((40, 40), bool)
    full[10:30, :] = True
    canvas.set_mask(full)
    drag(qtbot, canvas, [(2, 20), (38, 20)], button=Qt.MouseButton.RightButton)
    m = canvas.mask()
    assert not m[20, 20] and m[12, 20]
    canvas.set_tool(ERASER)
    drag(qtbot, canvas, [(20, 11), (20, 28)])
    assert not canvas.mask()[12, 20]
    canvas.undo_stack.undo()
    canvas.undo_stack.undo()
    assert np.array_equal(canvas.mask(), full)


def test_clear_mask_is_undoable(canvas) -> None:
    m = np.zeros((40, 40), bool)
    m[3:9, 4:7] = True
    canvas.set_mask(m)
    canvas.clear_mask()
    assert not canvas.mask().any()
    canvas.undo_stack.undo()
    assert np.array_equal(canvas.mask(), m)


def test_brush_size_steps_and_limits(canvas) -> None:
    canvas.set_brush_size(10)
    canvas.grow_brush()
    assert canvas.brush_size == 12
    canvas.shrink_brush()
    canvas.shrink_brush()
    assert canvas.brush_size == 8
    canvas.set_brush_size(1)
    canvas.shrink_brush()
    assert canvas.brush_size == 1
    canvas.set_brush_size(10**6)
    assert canvas.brush_size == 1000


def test_brush_size_sets_the_stroke_width(qtbot, canvas) -> None:
    canvas.set_brush_size(2)
    drag(qtbot, canvas, [(5, 10), (35, 10)])
    thin = canvas.mask().sum()
    canvas.clear_mask()
    canvas.set_brush_size(10)
    drag(qtbot, canvas, [(5, 10), (35, 10)])
    assert canvas.mask().sum() > 3 * thin


def test_wheel_zooms_around_the_pointer(canvas) -> None:
    anchor = QPointF(widget_point(canvas, 10, 30))
    before = canvas.to_image(anchor)
    zoom = canvas.zoom
    event = QWheelEvent(anchor, canvas.mapToGlobal(anchor), QPoint(), QPoint(0, 240), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(canvas, event)
    assert canvas.zoom == pytest.approx(zoom * 1.44)
    after = canvas.to_image(anchor)
    assert after.x() == pytest.approx(before.x()) and after.y() == pytest.approx(before.y())


def test_middle_drag_pans_without_painting(qtbot, canvas) -> None:
    start = canvas.to_image(QPointF(200, 200))
    qtbot.mousePress(canvas, Qt.MouseButton.MiddleButton, pos=QPoint(200, 200))
    qtbot.mouseMove(canvas, QPoint(250, 220))
    qtbot.mouseRelease(canvas, Qt.MouseButton.MiddleButton, pos=QPoint(250, 220))
    moved = canvas.to_image(QPointF(250, 220))
    assert moved.x() == pytest.approx(start.x()) and moved.y() == pytest.approx(start.y())
    assert not canvas.mask().any()


def test_fit_and_100_percent(canvas) -> None:
    canvas.zoom_100()
    assert canvas.zoom == 1.0
    canvas.fit_to_window()
    assert canvas.zoom == pytest.approx(9.6)


def _center_color(c: Canvas, x: float) -> tuple[int, int, int]:
    img = c.grab().toImage()
    p = widget_point(c, x, 20)
    color = img.pixelColor(p)
    return color.red(), color.green(), color.blue()


def test_result_compare_and_split_view(canvas) -> None:
    canvas.set_image(np.zeros((40, 40, 3), np.uint8))
    canvas.set_mask_visible(False)
    assert _center_color(canvas, 20) == (0, 0, 0)
    canvas.set_result(np.full((40, 40, 3), 255, np.uint8))
    assert _center_color(canvas, 20) == (255, 255, 255)
    canvas.set_show_before(True)  # hold-to-compare
    assert _center_color(canvas, 20) == (0, 0, 0)
    canvas.set_show_before(False)
    canvas.set_split(True)
    assert _center_color(canvas, 5) == (0, 0, 0)  # before, left of the divider
    assert _center_color(canvas, 35) == (255, 255, 255)  # after, right of it


def test_dragging_the_divider_moves_it(qtbot, canvas) -> None:
    canvas.set_result(np.zeros((40, 40, 3), np.uint8))
    canvas.set_split(True)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=widget_point(canvas, 20, 20))
    qtbot.mouseMove(canvas, widget_point(canvas, 30, 20))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=widget_point(canvas, 30, 20))
    assert canvas.split_position == pytest.approx(0.75, abs=0.03)
    assert not canvas.mask().any()


def test_mask_overlay_is_drawn_translucent(canvas) -> None:
    canvas.set_image(np.zeros((40, 40, 3), np.uint8))
    m = np.zeros((40, 40), bool)
    m[:, 20:] = True
    canvas.set_mask(m)
    r, g, _ = _center_color(canvas, 30)
    assert 100 < r < 160 and g < 40  # half of the red overlay over black
    assert _center_color(canvas, 10) == (0, 0, 0)
    canvas.set_mask_visible(False)
    assert _center_color(canvas, 30) == (0, 0, 0)


@pytest.mark.parametrize(("pixels", "expected"), [
    (np.full((8, 8), 65535, np.uint16), (255, 255, 255)),
    (np.full((8, 8, 3), 0.5, np.float32), (128, 128, 128)),
    (np.dstack([np.full((8, 8), 200, np.uint8), np.full((8, 8), 255, np.uint8)]), (200, 200, 200)),
    (np.dstack([np.zeros((8, 8, 3), np.uint16), np.full((8, 8), 65535, np.uint16)]), (0, 0, 0)),
])
def test_every_pixel_layout_is_displayed(canvas, pixels, expected) -> None:
    canvas.set_image(pixels)
    img = canvas.grab().toImage()
    color = img.pixelColor(canvas.to_widget(QPointF(4, 4)).toPoint())
    assert (color.red(), color.green(), color.blue()) == expected
