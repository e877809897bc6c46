"""The main window: open, save (format, bit depth and alpha kept), masks, drag and drop, closing, settings."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PyQt6.QtCore import QMimeData, QPointF, Qt, QUrl
from PyQt6.QtGui import QDropEvent
from PyQt6.QtWidgets import QApplication, QMessageBox

from dip_plugin.app.settings import app_settings
from dip_plugin.app.window import MainWindow
from dip_plugin.imageio import load_image, save_image


@pytest.fixture
def window(qtbot) -> MainWindow:
    w = MainWindow(device="cpu")
    w.ask_unsaved_changes = lambda: QMessageBox.StandardButton.Discard  # tests that care set their own answer
    qtbot.addWidget(w)
    with qtbot.waitExposed(w):
        w.show()
    w.panel.controls.set_preset("fast")
    w.panel.controls.set_iterations(5)
    return w


@pytest.fixture
def png(tmp_path, image) -> str:
    path = tmp_path / "street.png"
    save_image(path, image)
    return str(path)


def run_to_end(qtbot, w: MainWindow) -> None:
    with qtbot.waitSignal(w.panel.run_finished, timeout=60000):
        assert w.panel.run()
    qtbot.waitUntil(lambda: not w.panel.is_running(), timeout=30000)


def visible_boxes(w: MainWindow) -> list[QMessageBox]:
    return [b for b in w.findChildren(QMessageBox) if b.isVisible()]


def test_open_shows_the_image_and_remembers_it(window, png, image) -> None:
    assert window.open_path(png)
    assert np.array_equal(window.panel.image(), image)
    assert window.windowTitle().startswith("street.png")
    assert window.recent_files() == [png]
    assert window.last_folder() == str(window.path.parent)
    assert window.save_action.isEnabled()


def test_an_unreadable_file_is_an_error_dialog(window, tmp_path) -> None:
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"this is not a picture")
    assert not window.open_path(bad)
    boxes = visible_boxes(window)
    assert len(boxes) == 1 and "broken.png" in boxes[0].text()
    assert window.panel.image() is None and window.isVisible()
    boxes[0].accept()


def _layouts():
    rng = np.random.default_rng(0)
    alpha16 = np.linspace(20000, 65535, 32 * 32).reshape(32, 32).astype(np.uint16)
    alpha8 = np.linspace(40, 255, 32 * 32).reshape(32, 32).astype(np.uint8)
    return [
        pytest.param("rgba16.png", lambda img: np.dstack([img.astype(np.uint16) * 257, alpha16]), id="png-rgba-16"),
        pytest.param("rgb16.tif", lambda img: img.astype(np.uint16) * 257 + rng.integers(0, 200, img.shape,
                                                                                         dtype=np.uint16),
                     id="tiff-rgb-16"),
        pytest.param("gray16.png", lambda img: img[..., 1].astype(np.uint16) * 257, id="png-gray-16"),
        pytest.param("rgba8.png", lambda img: np.dstack([img, alpha8]), id="png-rgba-8"),
        pytest.param("la8.png", lambda img: np.dstack([img[..., 0], alpha8]), id="png-gray-alpha-8"),
    ]


@pytest.mark.parametrize(("name", "make"), _layouts())
def test_save_round_trips_bit_depth_and_alpha(qtbot, window, tmp_path, image, mask, name, make) -> None:
    pixels = make(image)
    src = tmp_path / name
    save_image(src, pixels)
    assert window.open_path(src)
    assert window.panel.image().dtype == pixels.dtype
    window.panel.set_mask(mask)
    run_to_end(qtbot, window)
    out = tmp_path / ("out" + src.suffix)
    assert window.save_to(out)
    back = load_image(out).pixels
    assert back.shape == pixels.shape and back.dtype == pixels.dtype
    assert np.array_equal(back[~mask], pixels[~mask])  # untouched outside the mask, bit for bit
    assert not np.array_equal(back[mask], pixels[mask])  # and restored inside it
    if pixels.ndim == 3 and pixels.shape[-1] in (2, 4):
        assert np.array_equal(back[..., -1], pixels[..., -1])  # alpha passed through
    assert not window.panel.is_modified()
    assert window.windowTitle().startswith(out.name)


def test_save_overwrites_the_opened_file(qtbot, window, png, mask) -> None:
    window.open_path(png)
    window.panel.set_mask(mask)
    run_to_end(qtbot, window)
    result = window.panel.result()
    assert window.windowTitle().startswith("street.png*")
    assert window.save()
    assert np.array_equal(load_image(png).pixels, result)
    assert window.panel.image() is result  # saving accepted the result
    assert not window.windowTitle().startswith("street.png*")


def test_load_mask_from_a_file_is_undoable(window, png, tmp_path, mask) -> None:
    window.open_path(png)
    mask_path = tmp_path / "mask.png"
    save_image(mask_path, mask.astype(np.uint8) * 255)
    assert window.load_mask_path(mask_path)
    assert np.array_equal(window.panel.mask(), mask)
    window.panel.undo_stack.undo()
    assert not window.panel.mask().any()


def test_a_mask_of_the_wrong_size_is_an_error_dialog(window, png, tmp_path) -> None:
    window.open_path(png)
    mask_path = tmp_path / "small.png"
    save_image(mask_path, np.zeros((5, 5), np.uint8))
    assert not window.load_mask_path(mask_path)
    boxes = visible_boxes(window)
    assert len(boxes) == 1 and "size" in boxes[0].text()
    boxes[0].accept()


def test_dropping_a_file_opens_it(window, png, image) -> None:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(png)])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert np.array_equal(window.panel.image(), image)


@pytest.mark.parametrize(("answer", "closes"), [
    pytest.param(QMessageBox.StandardButton.Cancel, False, id="cancel"),
    pytest.param(QMessageBox.StandardButton.Discard, True, id="discard"),
])
def test_closing_with_an_unsaved_result_asks_first(qtbot, window, png, mask, monkeypatch, answer, closes) -> None:
    window.open_path(png)
    window.panel.set_mask(mask)
    run_to_end(qtbot, window)
    asked = []
    monkeypatch.setattr(window, "ask_unsaved_changes", lambda: asked.append(1) or answer)
    window.close()
    assert asked == [1]
    assert window.isVisible() != closes


def test_save_from_the_prompt_writes_the_file(qtbot, window, png, mask, monkeypatch) -> None:
    window.open_path(png)
    window.panel.set_mask(mask)
    run_to_end(qtbot, window)
    result = window.panel.result()
    monkeypatch.setattr(window, "ask_unsaved_changes", lambda: QMessageBox.StandardButton.Save)
    window.close()
    assert not window.isVisible()
    assert np.array_equal(load_image(png).pixels, result)


def test_opening_another_file_over_unsaved_changes_can_be_cancelled(qtbot, window, png, mask, tmp_path,
                                                                     monkeypatch) -> None:
    window.open_path(png)
    window.panel.set_mask(mask)
    run_to_end(qtbot, window)
    monkeypatch.setattr(window, "ask_unsaved_changes", lambda: QMessageBox.StandardButton.Cancel)
    other = tmp_path / "other.png"
    save_image(other, np.zeros((8, 8, 3), np.uint8))
    assert not window.open_path(other)
    assert window.panel.image().shape == (32, 32, 3)


def test_closing_during_a_run_stops_the_worker_cleanly(qtbot, window, png, mask, monkeypatch) -> None:
    window.open_path(png)
    window.panel.set_mask(mask)
    window.panel.controls.set_iterations(20)
    monkeypatch.setattr(window, "ask_unsaved_changes", lambda: pytest.fail("nothing to save"))
    busy = []

    def keep_running(record) -> None:  # in the worker thread: the fit stays busy until asked to stop
        busy.append(1)
        deadline = time.perf_counter() + 10
        while not worker.stop_requested() and time.perf_counter() < deadline:
            time.sleep(0.005)

    with qtbot.waitSignal(window.panel.runner.started):
        window.panel.run()
    worker = window.panel.runner.worker
    worker.progress.connect(keep_running, Qt.ConnectionType.DirectConnection)
    qtbot.waitUntil(lambda: bool(busy), timeout=30000)
    assert window.panel.is_running()
    start = time.perf_counter()
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10000)
    assert time.perf_counter() - start < 5
    assert not window.panel.is_running()
    assert window.panel.result() is None  # a cancelled run leaves nothing behind


def test_window_geometry_and_splitter_persist(qtbot, window) -> None:
    window.resize(700, 560)
    size = window.size()
    assert size.width() == 700
    sizes = window.panel.splitter.sizes()
    window.panel.splitter.setSizes([sizes[0] - 40, sizes[1] + 40])
    sizes = window.panel.splitter.sizes()
    window.close()
    assert not app_settings().value("window/geometry").isEmpty()
    again = MainWindow(device="cpu")
    qtbot.addWidget(again)
    assert again.size() == size
    with qtbot.waitExposed(again):
        again.show()
    assert again.panel.splitter.sizes() == sizes


def test_status_bar_shows_the_device(qtbot, window) -> None:
    qtbot.waitUntil(lambda: "CPU" in window.device_label.text(), timeout=10000)


def test_open_and_save_are_disabled_while_running(qtbot, window, png, mask) -> None:
    window.open_path(png)
    window.panel.set_mask(mask)
    with qtbot.waitSignal(window.panel.running_changed):
        window.panel.run()
    assert not window.open_action.isEnabled() and not window.save_action.isEnabled()
    assert not window.open_path(png)
    qtbot.waitUntil(lambda: not window.panel.is_running(), timeout=30000)
    assert window.open_action.isEnabled() and window.save_action.isEnabled()


def test_main_opens_the_image_given_on_the_command_line(qtbot, png, image) -> None:
    from PyQt6.QtCore import QTimer

    from dip_plugin.app import main

    seen = {}

    def check() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if not windows or windows[0].panel.image() is None:
            QTimer.singleShot(20, check)
            return
        seen["image"] = windows[0].panel.image()
        seen["title"] = windows[0].windowTitle()
        windows[0].close()
        QTimer.singleShot(0, QApplication.quit)

    QTimer.singleShot(0, check)
    assert main([png, "--device", "cpu"]) == 0
    assert np.array_equal(seen["image"], image)
    assert seen["title"].startswith("street.png")
