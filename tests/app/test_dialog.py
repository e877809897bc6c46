"""run_restore_dialog: the modal window the GIMP plug-in opens; Apply returns the result, Cancel None."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QApplication

from dip_plugin.app.dialog import RestoreDialog, run_restore_dialog


def when_shown(action: Callable[[RestoreDialog], None]) -> None:
    """Call ``action(dialog)`` once the dialog is on screen (from the dialog's own event loop)."""

    def poll() -> None:
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, RestoreDialog) and w.isVisible()]
        if dialogs:
            action(dialogs[0])
        else:
            QTimer.singleShot(10, poll)

    QTimer.singleShot(0, poll)


def fast(dialog: RestoreDialog) -> None:
    dialog.panel.device = "cpu"
    dialog.panel.controls.set_preset("fast")
    dialog.panel.controls.set_iterations(10)


def test_apply_without_a_result_runs_the_fit_and_returns_it(qtbot, image, mask) -> None:
    seen = {}

    def act(dialog: RestoreDialog) -> None:
        seen["title"] = dialog.windowTitle()
        seen["mask"] = dialog.panel.mask()
        fast(dialog)
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)

    when_shown(act)
    out = run_restore_dialog(image, mask, title="DIP – Layer 1", preset="balanced", iterations=10, seed=3)
    assert seen["title"] == "DIP – Layer 1"
    assert np.array_equal(seen["mask"], mask)
    assert out is not None and out.shape == image.shape and out.dtype == image.dtype
    assert np.array_equal(out[~mask], image[~mask])
    assert not np.array_equal(out[mask], image[mask])


def test_apply_returns_the_result_already_shown(qtbot, image, mask) -> None:
    seen = {}

    def act(dialog: RestoreDialog) -> None:
        fast(dialog)

        def finished(outcome) -> None:
            seen["result"] = outcome.result
            QTimer.singleShot(50, dialog.apply_button.click)

        dialog.panel.run_finished.connect(finished)
        dialog.panel.run()

    when_shown(act)
    out = run_restore_dialog(image, mask)
    assert out is seen["result"]


def test_settings_passed_in_are_shown(qtbot, image, mask) -> None:
    seen = {}

    def act(dialog: RestoreDialog) -> None:
        k = dialog.panel.controls
        seen.update(preset=k.preset(), iterations=k.iterations(), seed=k.seed())
        dialog.reject()

    when_shown(act)
    assert run_restore_dialog(image, mask, preset="quality", iterations=77, seed=9) is None
    assert seen == {"preset": "quality", "iterations": 77, "seed": 9}


def test_cancel_returns_none(qtbot, image, mask) -> None:
    when_shown(lambda d: qtbot.mouseClick(d.cancel_button, Qt.MouseButton.LeftButton))
    assert run_restore_dialog(image, mask) is None


def test_closing_the_window_during_a_run_returns_none_and_stops_the_worker(qtbot, image, mask) -> None:
    seen = {}

    def act(dialog: RestoreDialog) -> None:
        fast(dialog)
        dialog.panel.controls.set_iterations(20)
        seen["panel"] = dialog.panel
        dialog.panel.runner.progress.connect(lambda p: dialog.close())
        dialog.panel.run()

    when_shown(act)
    assert run_restore_dialog(image, mask) is None
    assert not seen["panel"].is_running()


def test_apply_while_running_stops_and_returns_the_best_so_far(qtbot, image, mask) -> None:
    seen = {}

    def act(dialog: RestoreDialog) -> None:
        fast(dialog)
        dialog.panel.controls.set_iterations(20)

        def first_progress(p) -> None:
            if "applied" not in seen:
                seen["applied"] = True
                dialog.apply()

        dialog.panel.runner.progress.connect(first_progress)
        dialog.panel.run_finished.connect(lambda o: seen.setdefault("outcome", o))
        dialog.panel.run()

    when_shown(act)
    out = run_restore_dialog(image, mask)
    assert out is seen["outcome"].result
    assert np.array_equal(out[~mask], image[~mask])


def test_an_empty_mask_can_be_painted_in_the_dialog(qtbot, image, mask) -> None:
    def act(dialog: RestoreDialog) -> None:
        fast(dialog)
        dialog.apply()  # nothing to fill: refused with a message, the dialog stays open
        assert dialog.isVisible() and not dialog.panel.is_running()
        dialog.panel.set_mask(mask)
        dialog.apply()

    when_shown(act)
    out = run_restore_dialog(image, None)
    assert out is not None and np.array_equal(out[~mask], image[~mask])


@pytest.mark.parametrize(("img", "msk", "error"), [
    ([[1, 2]], None, TypeError),
    (np.zeros((4, 4, 5), np.uint8), None, ValueError),
    (np.zeros((4, 4, 3), np.uint8), np.zeros((3, 4), bool), ValueError),
])
def test_bad_inputs_are_refused(img, msk, error) -> None:
    with pytest.raises(error):
        run_restore_dialog(img, msk)


def test_escape_cancels_when_idle(qtbot, image, mask) -> None:
    def act(dialog: RestoreDialog) -> None:
        dialog.activateWindow()
        qtbot.keyClick(dialog.panel.canvas, Qt.Key.Key_Escape)

    when_shown(act)
    assert run_restore_dialog(image, mask) is None
