"""The restoration panel: Run with live preview, Stop, Run more, Accept, errors, keys and settings."""

from __future__ import annotations

import time

import numpy as np
from PyQt6.QtCore import QPoint, QPointF, Qt
from PyQt6.QtGui import QWheelEvent
from PyQt6.QtWidgets import QApplication, QMessageBox

from dip_plugin.app import tasks
from dip_plugin.app.settings import app_settings


def wait_idle(qtbot, panel, timeout=30000) -> None:
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=timeout)


def test_run_shows_progress_then_the_result(qtbot, make_panel, image, mask) -> None:
    panel = make_panel(image, mask)
    steps = []
    panel.runner.progress.connect(lambda p: steps.append(p.step))
    with qtbot.waitSignals([panel.running_changed, panel.runner.progress, panel.run_finished],
                           order="simple", timeout=60000):
        assert panel.run()
    wait_idle(qtbot, panel)
    assert steps[0] == 0 and steps[-1] == 20
    result = panel.result()
    assert result is not None and result.shape == image.shape and result.dtype == image.dtype
    assert np.array_equal(result[~mask], image[~mask])
    assert not np.array_equal(result[mask], image[mask])
    assert panel.canvas.has_result()
    assert panel.controls.progress_bar.value() == 20
    assert panel.controls.progress_bar.text().startswith("Done: 20 iterations")
    assert len(panel.controls.loss_plot.points) >= 1
    assert panel.is_modified()
    assert panel.accept_action.isEnabled() and panel.run_more_action.isEnabled()
    assert not panel.stop_action.isEnabled()


def test_buttons_follow_the_running_state(qtbot, make_panel, image, mask) -> None:
    panel = make_panel(image, mask)
    k = panel.controls
    assert k.run_button.isEnabled() and not k.stop_button.isEnabled() and not k.run_more_button.isEnabled()
    with qtbot.waitSignal(panel.running_changed, timeout=10000) as blocker:
        qtbot.mouseClick(k.run_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [True]
    assert not k.run_button.isEnabled() and k.stop_button.isEnabled() and not k.accept_button.isEnabled()
    wait_idle(qtbot, panel)
    assert k.run_button.isEnabled() and not k.stop_button.isEnabled() and k.accept_button.isEnabled()


def test_empty_mask_does_not_start_a_run(qtbot, make_panel, image) -> None:
    panel = make_panel(image)
    messages = []
    panel.message.connect(messages.append)
    assert not panel.run()
    assert not panel.is_running()
    assert "mask is empty" in messages[-1]


def test_stop_ends_promptly_and_keeps_a_result(qtbot, make_panel, image, mask) -> None:
    panel = make_panel(image, mask, iterations=20)
    stop_time = []

    def stop_once(record) -> None:
        if not stop_time:
            stop_time.append(time.perf_counter())
            panel.stop_action.trigger()

    panel.runner.progress.connect(stop_once)
    with qtbot.waitSignal(panel.run_finished, timeout=60000) as blocker:
        panel.run()
    wait_idle(qtbot, panel)
    assert time.perf_counter() - stop_time[0] < 5.0
    outcome = blocker.args[0]
    assert outcome.stopped
    assert panel.result() is outcome.result
    assert np.array_equal(panel.result()[~mask], image[~mask])
    assert panel.controls.progress_bar.text().startswith("Stopped at iteration")


def test_run_more_continues_the_same_fit(qtbot, make_panel, image, mask) -> None:
    panel = make_panel(image, mask, iterations=5)
    with qtbot.waitSignal(panel.run_finished, timeout=60000) as first:
        panel.run()
    wait_idle(qtbot, panel)
    session = first.args[0].session
    done = session.steps_done
    with qtbot.waitSignal(panel.run_finished, timeout=60000) as second:
        assert panel.run_more()
    wait_idle(qtbot, panel)
    assert second.args[0].session is session
    assert session.steps_done > done
    assert panel.result() is second.args[0].result


def test_run_more_after_the_mask_changed_starts_a_new_fit(qtbot, make_panel, image, mask) -> None:
    panel = make_panel(image, mask, iterations=5)
    with qtbot.waitSignal(panel.run_finished, timeout=60000) as first:
        panel.run()
    wait_idle(qtbot, panel)
    bigger = mask.copy()
    bigger[2:6, 2:6] = True
    panel.set_mask(bigger)
    with qtbot.waitSignal(panel.run_finished, timeout=60000) as second:
        panel.run_more()
    wait_idle(qtbot, panel)
    assert second.args[0].session is not first.args[0].session
    assert not np.array_equal(second.args[0].result[2:6, 2:6], image[2:6, 2:6])


def test_run_more_without_sessions_refines_the_result(qtbot, make_panel, image, mask, monkeypatch) -> None:
    inputs = []

    def brighten(img, msk, **kwargs):
        inputs.append(img)
        out = img.copy()
        out[msk] = np.minimum(out[msk].astype(int) + 10, 255)
        return out

    monkeypatch.setitem(tasks.TASKS, "brighten", tasks.Task("brighten", "Brighten", True, brighten))
    panel = make_panel(image, mask)
    panel.controls.set_task("brighten")
    with qtbot.waitSignal(panel.run_finished, timeout=10000):
        panel.run()
    wait_idle(qtbot, panel)
    first = panel.result()
    with qtbot.waitSignal(panel.run_finished, timeout=10000):
        panel.run_more()
    wait_idle(qtbot, panel)
    assert inputs[1] is first
    assert int(panel.result()[mask].astype(int).sum()) > int(first[mask].astype(int).sum())


def test_accept_makes_the_result_the_image_and_is_undoable(qtbot, make_panel, image, mask) -> None:
    panel = make_panel(image, mask, iterations=5)
    with qtbot.waitSignal(panel.run_finished, timeout=60000):
        panel.run()
    wait_idle(qtbot, panel)
    result = panel.result()
    assert panel.accept_result()
    assert panel.image() is result and panel.result() is None
    assert not panel.mask().any()
    assert not panel.accept_action.isEnabled()
    panel.undo_stack.undo()
    assert panel.image() is image and panel.result() is result
    assert np.array_equal(panel.mask(), mask)
    panel.undo_stack.redo()
    assert panel.image() is result


def test_the_canvas_zooms_while_a_run_is_going_on(qtbot, make_panel, image, mask) -> None:
    panel = make_panel(image, mask)
    release = []

    def hold(record) -> None:  # keeps the worker busy (in its thread) until the test has zoomed
        deadline = time.perf_counter() + 10
        while not release and time.perf_counter() < deadline:
            time.sleep(0.005)

    with qtbot.waitSignal(panel.runner.started):
        worker = panel.run() and panel.runner.worker
    worker.progress.connect(hold, Qt.ConnectionType.DirectConnection)
    try:
        zoom = panel.canvas.zoom
        pos = QPointF(100, 100)
        QApplication.sendEvent(panel.canvas, QWheelEvent(
            pos, panel.canvas.mapToGlobal(pos), QPoint(), QPoint(0, 120), Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False))
        qtbot.wait(20)
        assert panel.is_running()
        assert panel.canvas.zoom > zoom
        panel.canvas.fit_to_window()
    finally:
        release.append(True)
        panel.stop()
        wait_idle(qtbot, panel)


def _failing(exc: BaseException):
    def function(image, mask, **kwargs):
        raise exc

    return tasks.Task("boom", "Boom", True, function)


def test_a_failure_is_shown_in_a_dialog(qtbot, make_panel, image, mask, monkeypatch) -> None:
    monkeypatch.setitem(tasks.TASKS, "boom", _failing(RuntimeError("CUDA out of memory. Tried to allocate 8 GiB")))
    panel = make_panel(image, mask)
    panel.controls.set_task("boom")
    with qtbot.waitSignal(panel.run_failed, timeout=10000) as blocker:
        panel.run()
    wait_idle(qtbot, panel)
    assert blocker.args[0].startswith("Out of memory")
    boxes = [w for w in panel.findChildren(QMessageBox) if w.isVisible()]
    assert len(boxes) == 1 and "Out of memory" in boxes[0].text()
    assert panel.result() is None and not panel.canvas.has_result()
    boxes[0].accept()
    assert panel.run_action.isEnabled()  # the panel stays usable


def test_brush_keys_and_compare_key(qtbot, make_panel, image) -> None:
    panel = make_panel(image)
    with qtbot.waitActive(panel):
        panel.activateWindow()
    panel.canvas.setFocus()
    size = panel.canvas.brush_size
    qtbot.keyClick(panel.canvas, Qt.Key.Key_BracketRight)
    assert panel.canvas.brush_size > size
    assert panel.brush_size_box.value() == panel.canvas.brush_size
    qtbot.keyClick(panel.canvas, Qt.Key.Key_BracketLeft)
    qtbot.keyClick(panel.canvas, Qt.Key.Key_BracketLeft)
    assert panel.canvas.brush_size < size
    qtbot.keyClick(panel.canvas, Qt.Key.Key_E)
    assert panel.canvas.tool == "eraser"
    qtbot.keyClick(panel.canvas, Qt.Key.Key_B)
    assert panel.canvas.tool == "brush"
    qtbot.keyPress(panel.canvas, Qt.Key.Key_C)
    assert panel.canvas.showing_before
    qtbot.keyRelease(panel.canvas, Qt.Key.Key_C)
    assert not panel.canvas.showing_before
    qtbot.keyClick(panel.canvas, Qt.Key.Key_S)
    assert panel.canvas.split and panel.controls.split_box.isChecked()


def test_undo_redo_shortcuts(qtbot, make_panel, image, mask) -> None:
    panel = make_panel(image)
    with qtbot.waitActive(panel):
        panel.activateWindow()
    panel.set_mask(mask)
    qtbot.keyClick(panel.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not panel.mask().any()
    qtbot.keyClick(panel.canvas, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert np.array_equal(panel.mask(), mask)


def test_preset_and_brush_size_persist(qtbot, make_panel, image) -> None:
    panel = make_panel(image)
    panel.controls.set_preset("quality")
    panel.canvas.set_brush_size(57)
    settings = app_settings()
    assert settings.value("panel/preset") == "quality"
    assert int(settings.value("panel/brush_size")) == 57
    again = make_panel(image)
    assert again.canvas.brush_size == 57
    assert again.brush_size_box.value() == 57


def test_device_is_described(qtbot, make_panel) -> None:
    panel = make_panel()
    qtbot.waitUntil(lambda: bool(panel.device_text), timeout=10000)
    assert panel.device_text.startswith("CPU")
    assert "CPU" in panel.controls.device_label.text()


def test_a_result_of_another_size_can_be_shown_accepted_and_undone(qtbot, make_panel, image, monkeypatch) -> None:
    def upscale(img, scale=2, **kwargs):
        return np.repeat(np.repeat(img, scale, axis=0), scale, axis=1)

    monkeypatch.setitem(tasks.TASKS, "up", tasks.Task("up", "Upscale", False, upscale,
                                                      options=(tasks.Option("scale", "Factor", 2, choices=(2, 3)),)))
    panel = make_panel(image)
    panel.controls.set_task("up")
    with qtbot.waitSignal(panel.run_finished, timeout=10000):
        assert panel.run()  # no mask needed
    wait_idle(qtbot, panel)
    assert panel.result().shape == (64, 64, 3)
    panel.canvas.set_split(True)
    panel.canvas.grab()  # draws the larger result over the image's area
    assert panel.accept_result()
    assert panel.image().shape == (64, 64, 3) and panel.mask().shape == (64, 64)
    panel.undo_stack.undo()
    assert panel.image() is image and panel.mask().shape == (32, 32)
