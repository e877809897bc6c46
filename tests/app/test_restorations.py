"""The restorations beyond holes in the app: denoise, upscale, JPEG, flash/no-flash, and the suggested mask."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtWidgets import QMessageBox

import dip_plugin.engine as engine
from dip_plugin.app.dialog import RestoreDialog
from dip_plugin.app.tasks import TASKS, get_task
from dip_plugin.imageio import save_image
from dip_plugin.synthetic import old_photo

NEW_TASKS = {
    "denoise": ("denoise", "DENOISE_PRESETS"),
    "super_resolve": ("super_resolve", "SR_PRESETS"),
    "jpeg": ("remove_jpeg_artifacts", "JPEG_PRESETS"),
    "flash_no_flash": ("flash_no_flash", "FLASH_PRESETS"),
}


def wait_idle(qtbot, panel, timeout=30000) -> None:
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=timeout)


def run_task(qtbot, panel, name: str, **options) -> np.ndarray:
    panel.controls.set_task(name)
    panel.controls.set_preset("fast")
    panel.controls.set_iterations(4)
    for key, value in options.items():
        panel.controls.set_option(key, value)
    with qtbot.waitSignal(panel.run_finished, timeout=60000):
        assert panel.run()  # no mask needed
    wait_idle(qtbot, panel)
    return panel.result()


# ------------------------------------------------------------------------------------------- registry


@pytest.mark.parametrize("name", list(NEW_TASKS))
def test_each_new_task_is_registered_with_its_preset_table(name) -> None:
    function, table = NEW_TASKS[name]
    task = get_task(name)
    assert not task.needs_mask and task.session is None
    assert task.presets == table
    assert list(task.preset_iterations()) == list(getattr(engine, table))
    if name != "flash_no_flash":  # that one reads its flash photo from a file first
        assert task.function.__name__ == function
    assert task.resizes == (name == "super_resolve")


def test_upscale_offers_the_factors_two_four_and_eight() -> None:
    (scale,) = get_task("super_resolve").options
    assert scale.name == "scale" and scale.choices == (2, 4, 8) and scale.default == 2


def test_the_panel_lists_the_tasks_and_their_presets(qtbot, make_panel) -> None:
    panel = make_panel()
    k = panel.controls
    assert [k.task_box.itemData(i) for i in range(k.task_box.count())] == list(TASKS)
    k.set_task("jpeg")
    assert [k.preset_box.itemData(i) for i in range(k.preset_box.count())] == list(engine.JPEG_PRESETS)
    assert k.preset_box.currentData() == "fast"  # kept from the previous task
    k.set_task("super_resolve")
    assert k.options() == {"scale": 2}
    k.set_option("scale", 4)
    k.set_task("denoise")
    assert k.options() == {}
    k.set_task("super_resolve")
    assert k.options() == {"scale": 4}  # remembered while the panel lives


# ------------------------------------------------------------------------------------------- running


@pytest.mark.parametrize("name", ["denoise", "jpeg"])
def test_a_whole_image_task_runs_through_the_panel(qtbot, make_panel, image, name) -> None:
    panel = make_panel(image)
    result = run_task(qtbot, panel, name)
    assert result is not None and result.shape == image.shape and result.dtype == image.dtype
    assert not np.array_equal(result, image)
    assert panel.run_more_action.isEnabled()
    assert panel.accept_result()
    assert panel.image() is result


@pytest.mark.parametrize("scale", [2, 4])
def test_upscale_gives_a_larger_image(qtbot, make_panel, image, scale) -> None:
    small = image[:16, :16].copy()
    panel = make_panel(small)
    result = run_task(qtbot, panel, "super_resolve", scale=scale)
    assert result.shape == (16 * scale, 16 * scale, 3) and result.dtype == small.dtype
    assert not panel.run_more_action.isEnabled()  # it would enlarge the result again
    assert not panel.run_more()
    assert panel.accept_result()
    assert panel.image().shape == result.shape and panel.mask().shape == result.shape[:2]
    panel.undo_stack.undo()
    assert panel.image() is small


def test_flash_no_flash_reads_the_flash_photo_from_its_field(qtbot, make_panel, image, tmp_path) -> None:
    flash = tmp_path / "flash.png"
    save_image(flash, image)
    dark = (image // 4).astype(np.uint8)
    panel = make_panel(dark)
    result = run_task(qtbot, panel, "flash_no_flash", flash=str(flash))
    assert result.shape == dark.shape and result.dtype == dark.dtype


@pytest.mark.parametrize("flash, expected", [("", "Choose the photo taken with flash"), ("small", "same size")])
def test_flash_no_flash_without_a_usable_flash_photo_says_why(qtbot, make_panel, image, tmp_path,
                                                               flash, expected) -> None:
    if flash:
        flash = str(tmp_path / "small.png")
        save_image(flash, image[:16, :16])
    panel = make_panel(image)
    panel.controls.set_task("flash_no_flash")
    panel.controls.set_option("flash", flash)
    with qtbot.waitSignal(panel.run_failed, timeout=10000) as blocker:
        assert panel.run()
    wait_idle(qtbot, panel)
    assert expected in blocker.args[0]
    boxes = [w for w in panel.findChildren(QMessageBox) if w.isVisible()]
    assert len(boxes) == 1 and boxes[0].windowTitle() == "Restoration failed"
    boxes[0].accept()


def test_the_dialog_for_other_programs_leaves_out_tasks_that_change_the_size(qtbot, image, mask) -> None:
    dialog = RestoreDialog(image, mask, device="cpu")
    qtbot.addWidget(dialog)
    box = dialog.panel.controls.task_box
    names = [box.itemData(i) for i in range(box.count())]
    assert "super_resolve" not in names
    assert {"inpaint", "denoise", "jpeg"} <= set(names)


# ------------------------------------------------------------------------------------------- suggested mask


@pytest.fixture
def old() -> tuple[np.ndarray, np.ndarray]:
    return old_photo(64)


def suggest(qtbot, panel) -> int:
    with qtbot.waitSignal(panel.mask_suggested, timeout=30000) as blocker:
        assert panel.suggest_mask()
    wait_idle(qtbot, panel)
    return blocker.args[0]


def test_suggested_mask_marks_the_scratches_and_is_one_undo_step(qtbot, make_panel, old) -> None:
    photo, scratches = old
    before = np.zeros(scratches.shape, bool)
    before[2:6, 2:6] = True
    panel = make_panel(photo, before)
    messages = []
    panel.message.connect(messages.append)
    depth = panel.undo_stack.count()
    count = suggest(qtbot, panel)
    marked = panel.mask()
    assert count == int(marked.sum()) > 0
    recall = (marked & scratches).sum() / scratches.sum()
    assert recall > 0.5
    assert marked.sum() < 0.6 * marked.size  # a proposal, not the whole picture
    assert panel.undo_stack.count() == depth + 1
    assert panel.canvas.mask_visible
    assert f"{count:,} pixels marked" in messages[-1]
    panel.undo_stack.undo()
    assert np.array_equal(panel.mask(), before)
    panel.undo_stack.redo()
    assert np.array_equal(panel.mask(), marked)


def test_the_suggestion_runs_off_the_ui_thread_and_cannot_be_stopped_halfway(qtbot, make_panel, old) -> None:
    panel = make_panel(old[0])
    with qtbot.waitSignal(panel.mask_suggested, timeout=30000):
        assert panel.suggest_mask()
        assert panel.is_running()
        assert not panel.stop_action.isEnabled() and not panel.run_action.isEnabled()
        assert not panel.suggest_mask_action.isEnabled()
    wait_idle(qtbot, panel)
    assert panel.suggest_mask_action.isEnabled() and panel.run_action.isEnabled()
    assert panel.result() is None  # the image itself is untouched


def test_higher_sensitivity_marks_more(qtbot, make_panel, old) -> None:
    panel = make_panel(old[0])
    panel.controls.set_sensitivity(0.1)
    low = suggest(qtbot, panel)
    panel.controls.set_sensitivity(0.9)
    high = suggest(qtbot, panel)
    assert high > low


def test_nothing_found_leaves_the_mask_alone(qtbot, make_panel, mask) -> None:
    panel = make_panel(np.full((32, 32, 3), 128, np.uint8), mask)
    messages = []
    panel.message.connect(messages.append)
    depth = panel.undo_stack.count()
    assert suggest(qtbot, panel) == 0
    assert np.array_equal(panel.mask(), mask) and panel.undo_stack.count() == depth
    assert "No scratches or dust found" in messages[-1]


def test_suggest_is_offered_only_with_an_image_and_a_task_that_needs_a_mask(qtbot, make_panel, image) -> None:
    panel = make_panel()
    assert not panel.suggest_mask_action.isEnabled() and not panel.suggest_mask()
    panel.set_image(image)
    k = panel.controls
    k.set_task("inpaint")
    assert panel.suggest_mask_action.isEnabled() and k.suggest_button.isEnabled()
    assert not k.mask_row.isHidden()
    k.set_task("denoise")
    assert not panel.suggest_mask_action.isEnabled() and k.mask_row.isHidden()


def test_sensitivity_persists(qtbot, make_panel) -> None:
    panel = make_panel()
    panel.controls.set_sensitivity(0.8)
    again = make_panel()
    assert again.controls.sensitivity() == pytest.approx(0.8)


def test_the_window_offers_it_in_the_restore_menu_and_shows_the_count(qtbot, old) -> None:
    from dip_plugin.app.window import MainWindow

    w = MainWindow(device="cpu")
    qtbot.addWidget(w)
    w.panel.set_image(old[0])
    restore = next(a.menu() for a in w.menuBar().actions() if a.text() == "&Restore")
    assert w.panel.suggest_mask_action in restore.actions()
    count = suggest(qtbot, w.panel)
    assert f"{count:,} pixels marked" in w.statusBar().currentMessage()


def test_closing_the_window_during_a_suggestion_is_clean(qtbot, monkeypatch, old) -> None:
    import threading

    from dip_plugin.app.window import MainWindow

    release = threading.Event()

    def slow_suggest_mask(image, **kwargs):
        release.wait(10)
        return np.ones(image.shape[:2], bool)

    monkeypatch.setattr(engine, "suggest_mask", slow_suggest_mask)
    w = MainWindow(device="cpu")
    qtbot.addWidget(w)
    with qtbot.waitExposed(w):
        w.show()
    w.panel.set_image(old[0])
    before = w.panel.mask()
    assert w.panel.suggest_mask()
    w.close()
    assert w.isVisible() and w.panel.is_running()  # waits for the worker, never hangs the event loop
    release.set()
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=10000)
    assert not w.panel.is_running()
    assert np.array_equal(w.panel.mask(), before)  # the proposal of a closing window is dropped
