"""A modal restoration window for other programs: the GIMP plug-in opens it from a worker process.

:func:`run_restore_dialog` shows the :class:`~dip_plugin.app.panel.RestorePanel` loaded with an image
and a mask, with **Apply** and **Cancel**.  The user can repaint the mask, change the preset, run, stop,
run more and compare; Apply returns the result, Cancel (or closing the window) returns None.

Example (opens a window, so not run as a doctest)::

    from dip_plugin.app.dialog import run_restore_dialog

    result = run_restore_dialog(pixels, selection_mask, title="Deep Image Prior – Layer 1")
    if result is not None:  # None: the user cancelled
        write_back(result)
"""

from __future__ import annotations

import sys

import numpy as np
from PyQt6.QtCore import QByteArray, Qt
from PyQt6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from .panel import RestorePanel
from .settings import APPLICATION, ORGANIZATION, app_settings
from .tasks import TASKS

__all__ = ["RestoreDialog", "run_restore_dialog"]

_app: QApplication | None = None  # the application this module created, kept alive between calls


class RestoreDialog(QDialog):
    """The panel plus Apply / Cancel.  After ``exec()``, :attr:`output` is the result or None.

    Apply with a result pending returns it; with no result yet it runs the fit first (and applies when
    it ends); while running it stops the fit and applies the best result so far.  Cancel while running
    stops the worker first, then closes.
    """

    def __init__(self, image: np.ndarray, mask: np.ndarray | None, *, title: str = "Deep Image Prior",
                 preset: str = "balanced", iterations: int = 0, seed: int = 0, task: str = "inpaint",
                 device: str = "auto", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.output: np.ndarray | None = None
        self._pending: str | None = None  # "apply" or "reject", waiting for the worker to end
        self._settings = app_settings()
        # The caller gets an image of the input's size back: no task that changes the size.
        same_size = {name: task for name, task in TASKS.items() if not task.resizes}
        self.panel = RestorePanel(self, device=device, settings=self._settings, tasks=same_size)
        self.panel.controls.set_task(task)
        self.panel.set_image(image, mask)
        self.panel.controls.set_preset(preset)
        self.panel.controls.set_iterations(iterations)
        self.panel.controls.set_seed(seed)
        self._initial = self.panel.image()

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Apply
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.apply_button = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.apply_button.setToolTip("Use the result (runs the restoration first if there is none yet)")
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        for b in (self.apply_button, self.cancel_button):
            b.setAutoDefault(False)
            b.setDefault(False)
        self.apply_button.clicked.connect(self.apply)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 8)
        layout.addWidget(self.panel, 1)
        row = QVBoxLayout()
        row.setContentsMargins(8, 0, 8, 0)
        row.addWidget(self.buttons)
        layout.addLayout(row)

        self.panel.idle.connect(self._on_idle)
        self.panel.run_failed.connect(self._on_failed)
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        geometry = self._settings.value("dialog/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1100, 720)

    def apply(self) -> None:
        """Finish with the result (see the class docstring)."""
        panel = self.panel
        if panel.is_running():
            self._pending = "apply"
            self.apply_button.setEnabled(False)
            panel.stop()
            return
        result = panel.result()
        if result is None and panel.image() is not self._initial:
            result = panel.image()  # accepted rounds, nothing pending
        if result is None:
            if panel.run():
                self._pending = "apply"
                self.apply_button.setEnabled(False)
            return
        self.output = result
        self.accept()

    def reject(self) -> None:
        if self.panel.is_running():
            self._pending = "reject"
            self.apply_button.setEnabled(False)
            self.cancel_button.setEnabled(False)
            self.panel.abort()
            return
        super().reject()

    def done(self, result: int) -> None:
        self._settings.setValue("dialog/geometry", self.saveGeometry())
        super().done(result)

    def _on_failed(self, message: str) -> None:
        if self._pending == "apply":
            self._pending = None
            self.apply_button.setEnabled(True)

    def _on_idle(self) -> None:
        pending, self._pending = self._pending, None
        if pending == "reject":
            super().reject()
        elif pending == "apply":
            if self.panel.result() is not None:
                self.output = self.panel.result()
                self.accept()
            else:
                self.apply_button.setEnabled(True)


def _application() -> QApplication:
    global _app
    app = QApplication.instance()
    if app is None:
        _app = QApplication([sys.argv[0] if sys.argv and sys.argv[0] else "dip"])
        _app.setOrganizationName(ORGANIZATION)
        _app.setApplicationName(APPLICATION)
        app = _app
    return app


def run_restore_dialog(image: np.ndarray, mask: np.ndarray | None, *, title: str = "Deep Image Prior",
                       preset: str = "balanced", iterations: int = 0, seed: int = 0) -> np.ndarray | None:
    """Let the user restore ``image`` interactively; return the result on Apply, None on Cancel.

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray (C = 2, 3 or 4), uint8, uint16 or float32.
    mask : (H, W) bool ndarray, True = hole, shown as the initial mask (None: empty, the user paints one).
    title : window title.
    preset, iterations, seed : initial settings (iterations 0 = the preset's default).

    Returns
    -------
    ndarray shaped and typed like ``image`` (the pending result, or the image after accepted rounds;
    if nothing was run yet, Apply runs the fit first), or None when the window was cancelled or closed.

    A QApplication is created if there is none.  The call blocks until the window closes.
    """
    if not isinstance(image, np.ndarray):
        raise TypeError(f"image must be a numpy array, got {type(image).__name__}")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[-1] not in (1, 2, 3, 4)):
        raise ValueError(f"image must be H×W or H×W×C with C in 1..4, got shape {image.shape}")
    if mask is not None:
        mask = np.asarray(mask, bool)
        if mask.shape != image.shape[:2]:
            raise ValueError(f"mask shape {mask.shape} does not match the image's {image.shape[:2]}")
    _application()
    dialog = RestoreDialog(image, mask, title=title, preset=preset, iterations=iterations, seed=seed)
    try:
        dialog.exec()
        return dialog.output
    finally:
        dialog.panel.shutdown()
        dialog.deleteLater()
