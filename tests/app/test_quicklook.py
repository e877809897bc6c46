"""Quick look: restoring only the region in view (or a drawn Region) to judge the settings in seconds."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, QPointF, QRect, Qt

from dip_plugin.app import tasks
from dip_plugin.app.canvas import REGION
from dip_plugin.app.quicklook import QUICK_LOOK_SIZE, Region, quick_look_region
from dip_plugin.engine.progress import Progress
from dip_plugin.synthetic import scene


def wait_idle(qtbot, panel, timeout=30000) -> None:
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=timeout)


@pytest.fixture
def photo() -> np.ndarray:
    """A 96×96 RGB uint8 street scene."""
    return np.rint(scene("street", 96, seed=3) * 255).astype(np.uint8)


@pytest.fixture
def inputs() -> list:
    """What the stub tasks were called with: (image, mask) pairs."""
    return []


@pytest.fixture
def stubs(monkeypatch, inputs):
    """Instant stand-ins for the engine: "white" (no mask), "fill" (needs a mask), "up" (×scale), "slow"."""

    def white(image, *, on_progress=None, **kwargs):
        inputs.append((image.copy(), None))
        out = np.full_like(image, 255)
        on_progress(Progress(1, 1, 0.1, 0.01, out))
        return out

    def fill(image, mask, *, on_progress=None, **kwargs):
        inputs.append((image.copy(), mask.copy()))
        out = image.copy()
        out[mask] = 255
        return out

    def up(image, *, scale=2, **kwargs):
        inputs.append((image.copy(), None))
        return np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)

    def slow(image, *, on_progress=None, should_stop=None, **kwargs):
        inputs.append((image.copy(), None))
        out = np.full_like(image, 255)
        step = 0
        deadline = time.perf_counter() + 20
        while not should_stop() and time.perf_counter() < deadline:
            step += 1
            on_progress(Progress(step, 100000, 0.1, 0.01 * step, out))
            time.sleep(0.01)
        return out

    monkeypatch.setitem(tasks.TASKS, "white", tasks.Task("white", "White", False, white))
    monkeypatch.setitem(tasks.TASKS, "fill", tasks.Task("fill", "Fill", True, fill))
    monkeypatch.setitem(tasks.TASKS, "up", tasks.Task("up", "Up", False, up, resizes=True,
                                                      options=(tasks.Option("scale", "Factor", 2, choices=(2, 4)),)))
    monkeypatch.setitem(tasks.TASKS, "slow", tasks.Task("slow", "Slow", False, slow))


def view_region(canvas, image_shape) -> Region:
    """The part of the image the canvas shows, computed here independently of quick_look_region."""
    top_left = canvas.to_image(QPointF(0, 0))
    bottom_right = canvas.to_image(QPointF(canvas.width(), canvas.height()))
    left, top = max(0, math.floor(top_left.x())), max(0, math.floor(top_left.y()))
    right = min(image_shape[1], math.ceil(bottom_right.x()))
    bottom = min(image_shape[0], math.ceil(bottom_right.y()))
    return Region(left, top, right - left, bottom - top)


def quick_look(qtbot, panel):
    """Start a Quick look, wait for it, and return (the job it ran, its outcome)."""
    assert panel.quick_look()
    job = panel.runner.worker.job
    with qtbot.waitSignal(panel.quick_look_finished, timeout=60000) as blocker:
        pass
    wait_idle(qtbot, panel)
    return job, blocker.args[0]


def drag(qtbot, canvas, start, end) -> tuple[QPoint, QPoint]:
    a = canvas.to_widget(QPointF(*start)).toPoint()
    b = canvas.to_widget(QPointF(*end)).toPoint()
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(canvas, (a + b) / 2)
    qtbot.mouseMove(canvas, b)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=b)
    return a, b


# ------------------------------------------------------------------------------------------- the region rule


def test_a_large_image_in_view_gives_the_256_pixels_around_the_centre() -> None:
    assert QUICK_LOOK_SIZE == 256
    assert quick_look_region((0, 0, 1000, 800), (800, 1000)) == Region(372, 272, 256, 256)
    # an upscaling: the output (input × factor) stays within 256×256
    assert quick_look_region((0, 0, 1000, 800), (800, 1000), scale=2) == Region(436, 336, 128, 128)
    assert quick_look_region((0, 0, 1000, 800), (800, 1000), scale=4) == Region(468, 368, 64, 64)
    # half the view is beside the image: the centre of the part inside it
    assert quick_look_region((500, -300, 1500, 1100), (800, 1000)) == Region(622, 272, 256, 256)


def test_a_small_view_gives_its_own_pixels_inside_the_image() -> None:
    assert quick_look_region((10.5, 20.25, 60.5, 70), (96, 96)) == Region(10, 20, 51, 50)
    assert quick_look_region((-30, -10, 40, 50), (96, 96)) == Region(0, 0, 40, 50)
    assert quick_look_region((60, 70, 300, 200), (96, 96)) == Region(60, 64, 36, 32)  # grown to 32 rows
    assert quick_look_region((100, 0, 200, 96), (96, 96)) is None
    assert quick_look_region((0, 96, 96, 120), (96, 96)) is None


def test_a_view_zoomed_far_in_grows_to_the_minimum_within_the_image() -> None:
    assert quick_look_region((50, 50, 52, 53), (96, 96)) == Region(35, 35, 32, 32)
    assert quick_look_region((0, 94, 3, 96), (96, 96)) == Region(0, 64, 32, 32)
    assert quick_look_region((0, 0, 5, 5), (20, 24)) == Region(0, 0, 24, 20)  # the image is smaller
    with pytest.raises(ValueError, match="scale"):
        quick_look_region((0, 0, 5, 5), (20, 24), scale=0)


def test_the_panel_limits_a_large_image_without_running(qtbot, make_panel) -> None:
    big = np.zeros((800, 1000, 3), np.uint8)
    panel = make_panel(big)
    panel.controls.set_task("denoise")
    assert panel.canvas.visible_image_rect().contains(QPointF(999.5, 799.5))  # all of it is in view
    assert panel.quick_look_region() == Region(372, 272, 256, 256)
    panel.controls.set_task("super_resolve")
    assert panel.quick_look_region() == Region(436, 336, 128, 128)
    panel.controls.set_option("scale", 4)
    assert panel.quick_look_region() == Region(468, 368, 64, 64)
    panel.controls.set_task("denoise")
    panel.canvas.set_region(QRect(-50, 100, 2000, 300))  # a drawn Region, clamped, then limited
    assert panel.canvas.region() == QRect(0, 100, 1000, 300)
    assert panel.quick_look_region() == Region(372, 122, 256, 256)
    panel.canvas.set_region(None)
    panel.canvas.zoom_100()  # the view shows part of the image: 256×256 around its centre
    visible = view_region(panel.canvas, big.shape)
    assert visible.width < 1000 and visible.height < 800
    region = panel.quick_look_region()
    assert (region.width, region.height) == (min(256, visible.width), min(256, visible.height))
    assert abs((region.left + region.right) - (visible.left + visible.right)) <= 1
    assert abs((region.top + region.bottom) - (visible.top + visible.bottom)) <= 1
    panel.canvas.set_zoom(4.0)  # less than 256 pixels in view: all of them
    visible = view_region(panel.canvas, big.shape)
    assert visible.width < 256 and visible.height < 256
    assert panel.quick_look_region() == visible
    assert not panel.is_running()


# ------------------------------------------------------------------------------------------- running


def test_quick_look_restores_only_the_region_in_view(qtbot, make_panel, photo) -> None:
    original = photo.copy()
    panel = make_panel(photo, iterations=3)
    panel.controls.set_task("denoise")
    panel.canvas.set_zoom(8.0)
    expected = view_region(panel.canvas, photo.shape)
    assert 32 <= expected.width < 96 and 32 <= expected.height < 96
    messages = []
    panel.message.connect(messages.append)
    job, outcome = quick_look(qtbot, panel)
    rows, columns = expected.slices()
    assert job.image.shape == (expected.height, expected.width, 3) and job.mask is None
    assert np.array_equal(job.image, original[rows, columns])
    assert job.iterations == 3 and job.task is tasks.get_task("denoise")
    # the document is untouched: no result to accept or save
    assert panel.image() is photo and np.array_equal(photo, original)
    assert panel.result() is None and panel.output() is photo and not panel.is_modified()
    assert not panel.accept_action.isEnabled() and not panel.run_more_action.isEnabled()
    assert not panel.canvas.has_result()
    # the region's result is shown over it
    pixels, rect = panel.canvas.quick_look()
    assert pixels is outcome.result and pixels.shape == job.image.shape
    assert rect == QRect(expected.left, expected.top, expected.width, expected.height)
    assert messages[-1].startswith(f"Quick look: {expected.width}×{expected.height} region, ")
    assert messages[-1].endswith("— Run to restore the whole image")
    assert panel.controls.eta_label.text() == messages[-1]
    assert panel.quick_look_action.isEnabled() and panel.run_action.isEnabled()


def test_the_result_is_drawn_in_place_with_the_rest_dimmed(qtbot, make_panel, stubs) -> None:
    gray = np.full((96, 96, 3), 128, np.uint8)
    panel = make_panel(gray)
    panel.controls.set_task("white")
    canvas = panel.canvas
    canvas.set_region(QRect(20, 30, 40, 36))
    _, outcome = quick_look(qtbot, panel)
    assert np.all(outcome.result == 255)

    def shown(x: float, y: float) -> int:
        return canvas.grab().toImage().pixelColor(canvas.to_widget(QPointF(x, y)).toPoint()).red()

    assert shown(40, 48) == 255  # inside the region: the Quick look
    assert shown(8, 8) < 100  # outside: the image, dimmed
    canvas.set_show_before(True)
    assert shown(40, 48) == 128  # compare: the image inside the region
    canvas.set_show_before(False)
    canvas.set_split(True)  # the divider at the middle (x = 48) cuts the region
    assert shown(30, 48) == 128 and shown(55, 48) == 255
    assert panel.image() is gray and np.all(gray == 128)


def test_a_drawn_region_is_clamped_to_the_image_and_restored(qtbot, make_panel, photo, stubs, inputs) -> None:
    panel = make_panel(photo)
    panel.controls.set_task("white")
    canvas = panel.canvas
    panel.region_action.trigger()
    assert canvas.tool == REGION
    start, end = drag(qtbot, canvas, (-10, -12), (45.5, 40.5))  # from beside the image into it
    a, b = canvas.to_image(QPointF(start)), canvas.to_image(QPointF(end))
    assert a.x() < 0 and a.y() < 0
    region = canvas.region()
    assert region == QRect(0, 0, math.ceil(b.x()), math.ceil(b.y()))
    _, outcome = quick_look(qtbot, panel)
    assert canvas.region() == region  # kept for another Quick look with other settings
    (image, _mask), = inputs
    assert image.shape == (region.height(), region.width(), 3)
    assert np.array_equal(image, photo[: region.height(), : region.width()])
    assert canvas.quick_look()[1] == region and canvas.quick_look()[0] is outcome.result
    # a drag past the bottom right corner is clamped too
    drag(qtbot, canvas, (50, 60), (130, 140))
    assert canvas.region().bottomRight() == QPoint(95, 95) and canvas.region().left() in (49, 50)
    # Esc clears the Region and the Quick look
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert canvas.region() is None and not canvas.has_quick_look()


def test_the_q_key_runs_a_quick_look_and_esc_in_the_panel_dismisses_it(qtbot, make_panel, photo, stubs) -> None:
    panel = make_panel(photo)
    with qtbot.waitActive(panel):
        panel.activateWindow()
    panel.controls.set_task("white")
    panel.canvas.setFocus()
    with qtbot.waitSignal(panel.quick_look_finished, timeout=10000):
        qtbot.keyClick(panel.canvas, Qt.Key.Key_Q)
    wait_idle(qtbot, panel)
    assert panel.canvas.has_quick_look()
    panel.controls.run_button.setFocus()
    qtbot.keyClick(panel.controls.run_button, Qt.Key.Key_Escape)
    assert not panel.canvas.has_quick_look()


def test_stop_leaves_everything_unchanged(qtbot, make_panel, photo, stubs, inputs) -> None:
    original = photo.copy()
    panel = make_panel(photo)
    panel.controls.set_task("up")
    with qtbot.waitSignal(panel.run_finished, timeout=10000):
        assert panel.run()  # a pending result, which the Quick look must not touch
    wait_idle(qtbot, panel)
    result = panel.result()
    panel.canvas.set_mask_visible(True)
    panel.controls.set_task("slow")
    finished = []
    panel.quick_look_finished.connect(finished.append)
    assert panel.quick_look()
    qtbot.waitUntil(lambda: not panel.canvas.mask_visible, timeout=10000)  # the first preview came
    assert np.all(panel.canvas.quick_look()[0] == 255)  # the live preview is in the region
    panel.stop_action.trigger()
    wait_idle(qtbot, panel)
    assert not finished
    assert panel.image() is photo and np.array_equal(photo, original)
    assert panel.result() is result and panel.canvas.has_result()
    assert not panel.canvas.has_quick_look() and panel.canvas.mask_visible
    assert panel.controls.progress_bar.text() == "Quick look stopped"
    assert panel.accept_action.isEnabled()


def test_run_after_a_quick_look_restores_the_whole_image(qtbot, make_panel, photo, stubs, inputs) -> None:
    panel = make_panel(photo)
    panel.controls.set_task("white")
    panel.canvas.set_region(QRect(10, 10, 40, 40))
    quick_look(qtbot, panel)
    with qtbot.waitSignal(panel.run_finished, timeout=10000):
        assert panel.run()
    wait_idle(qtbot, panel)
    assert inputs[-1][0].shape == photo.shape
    assert not panel.canvas.has_quick_look() and panel.canvas.has_result()
    assert panel.result().shape == photo.shape and panel.accept_action.isEnabled()


def test_inpainting_restores_the_holes_inside_the_region(qtbot, make_panel, photo, stubs, inputs) -> None:
    mask = np.zeros((96, 96), bool)
    mask[40:50, 44:52] = True
    mask[80:90, 5:9] = True  # outside the region
    panel = make_panel(photo, mask)
    panel.controls.set_task("fill")
    panel.canvas.set_region(QRect(30, 32, 40, 36))
    job, outcome = quick_look(qtbot, panel)
    (image, crop_mask), = inputs
    assert np.array_equal(image, photo[32:68, 30:70]) and np.array_equal(crop_mask, mask[32:68, 30:70])
    assert job.mask is not None and job.mask.shape == (36, 40)
    assert np.all(outcome.result[crop_mask] == 255)
    assert np.array_equal(panel.mask(), mask) and panel.result() is None


def test_inpainting_without_a_hole_in_the_region_does_nothing(qtbot, make_panel, photo) -> None:
    mask = np.zeros((96, 96), bool)
    mask[80:90, 80:90] = True
    panel = make_panel(photo, mask)
    panel.controls.set_task("inpaint")
    panel.canvas.set_region(QRect(0, 0, 40, 40))
    messages = []
    panel.message.connect(messages.append)
    assert not panel.quick_look()
    assert not panel.is_running()
    assert "no painted hole in the 40×40 region" in messages[-1]
    assert not panel.canvas.has_quick_look()


def test_an_upscaling_quick_look_takes_a_smaller_input(qtbot, make_panel, stubs, inputs) -> None:
    big = np.rint(scene("street", 300, seed=1) * 255).astype(np.uint8)
    panel = make_panel(big)
    panel.controls.set_task("up")
    messages = []
    panel.message.connect(messages.append)
    job, outcome = quick_look(qtbot, panel)
    assert job.image.shape == (128, 128, 3) and np.array_equal(job.image, big[86:214, 86:214])
    pixels, rect = panel.canvas.quick_look()
    assert pixels is outcome.result and pixels.shape == (256, 256, 3) and rect == QRect(86, 86, 128, 128)
    assert messages[-1].startswith("Quick look: 128×128 region (×2: 256×256), ")
    assert panel.image() is big and panel.result() is None
    panel.canvas.grab()  # draws the larger result into the region's area


def test_quick_look_is_not_offered_for_flash_no_flash(qtbot, make_panel, photo) -> None:
    panel = make_panel(photo)
    panel.controls.set_task("denoise")
    assert panel.quick_look_action.isEnabled() and panel.controls.quick_look_button.isEnabled()
    panel.controls.set_task("flash_no_flash")
    assert not panel.quick_look_action.isEnabled() and not panel.controls.quick_look_button.isEnabled()
    assert not panel.quick_look() and not panel.is_running()
