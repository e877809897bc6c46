"""The restoration panel: canvas + mask tools + controls, without menus.

The same widget is the centre of the ``dip app`` window and of the GIMP plug-in's dialog
(:func:`dip_plugin.app.dialog.run_restore_dialog`).  It holds the document state: the image, the painted
mask, the pending result and the undo stack; the fit runs on a :class:`~dip_plugin.app.worker.Runner`,
and so does the mask suggestion for old photos (:meth:`RestorePanel.suggest_mask`), which takes
seconds on a large image, and the Quick look (:meth:`RestorePanel.quick_look`), which restores only a
region (what the view shows, or a rectangle drawn with the Region tool) to judge the settings in
seconds: its result is shown over the image and never becomes the document's.

Example (needs a QApplication)::

    panel = RestorePanel()
    panel.set_image(image, mask)
    panel.run_finished.connect(lambda outcome: print(outcome.result.shape))
    panel.run()
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from PyQt6.QtCore import QRect, QSettings, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QAction, QActionGroup, QImage, QKeyEvent, QKeySequence, QUndoCommand, QUndoStack
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QSpinBox,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from .canvas import BRUSH, ERASER, REGION, Canvas
from .controls import ControlsPanel, format_duration
from .quicklook import Region, quick_look_region
from .settings import app_settings
from .tasks import SUGGEST_MASK, TASKS, Task
from .worker import Job, Outcome, Runner

__all__ = ["RestorePanel"]

COMPARE_KEY = Qt.Key.Key_C


class AcceptCommand(QUndoCommand):
    """Accepting a result: it becomes the image and the mask is cleared (undo brings both back)."""

    def __init__(self, panel: RestorePanel, old_image: np.ndarray, new_image: np.ndarray,
                 old_mask: QImage | None) -> None:
        super().__init__("Accept result")
        self._panel = panel
        self._old_image = old_image
        self._new_image = new_image
        self._old_mask = old_mask

    def redo(self) -> None:
        self._panel._replace_image(self._new_image, mask=None, result=None)

    def undo(self) -> None:
        self._panel._replace_image(self._old_image, mask=self._old_mask, result=self._new_image)


class RestorePanel(QWidget):
    """Canvas, mask tools and controls for one image; runs restorations on a background thread.

    Signals: ``running_changed(bool)``, ``result_changed()`` (a result appeared or went away),
    ``image_changed()`` (the image itself changed: accepted or undone), ``modified_changed(bool)``,
    ``message(str)`` (for a status bar), ``run_finished(Outcome)``, ``run_failed(str)``,
    ``idle()`` (the worker thread has ended), ``device_described(str)``, ``mask_suggested(int)`` (a
    suggested mask arrived; the number of pixels marked), ``quick_look_finished(Outcome)`` (a Quick look's
    result is shown; its job holds the cropped input).

    ``tasks`` limits the task picker (default: every task in :data:`~dip_plugin.app.tasks.TASKS`).
    """

    running_changed = pyqtSignal(bool)
    result_changed = pyqtSignal()
    image_changed = pyqtSignal()
    modified_changed = pyqtSignal(bool)
    message = pyqtSignal(str)
    run_finished = pyqtSignal(object)
    run_failed = pyqtSignal(str)
    idle = pyqtSignal()
    device_described = pyqtSignal(str)
    mask_suggested = pyqtSignal(int)
    quick_look_finished = pyqtSignal(object)

    def __init__(self, parent: QWidget | None = None, *, device: str = "auto",
                 settings: QSettings | None = None, tasks: Mapping[str, Task] | None = None) -> None:
        super().__init__(parent)
        self.device = device
        self.device_text = ""
        self._settings = settings if settings is not None else app_settings()
        self._image: np.ndarray | None = None
        self._saved: np.ndarray | None = None
        self._result: np.ndarray | None = None
        self._session: Any = None
        self._session_key: tuple | None = None
        self._mask_version = 0
        self._run_base: np.ndarray | None = None
        self._plot_offset = 0
        self._closing = False
        self._last_outcome: Outcome | None = None
        self._pending_key: tuple | None = None
        self._first_preview = False
        self._suggesting = False
        self._quick: Region | None = None  # the region of the Quick look that is running
        self._quick_shown: tuple[np.ndarray, QRect] | None = None  # the Quick look shown before it started
        self._quick_mask_visible = True

        self.undo_stack = QUndoStack(self)
        self.canvas = Canvas(self.undo_stack)
        self.controls = ControlsPanel(TASKS if tasks is None else tasks)  # imports the engine (torch) for presets
        self.runner = Runner(self)
        self._build_actions()
        self._build_layout()
        self._connect()
        self._restore_settings()
        self._update_actions()
        QTimer.singleShot(0, self._describe_device)

    # ----------------------------------------------------------------------------------- building

    def _action(self, text: str, slot, shortcut: str | QKeySequence.StandardKey | list | None = None,
                tip: str = "", checkable: bool = False) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            if isinstance(shortcut, list):
                a.setShortcuts([QKeySequence(s) for s in shortcut])
            else:
                a.setShortcut(QKeySequence(shortcut))
        a.setCheckable(checkable)
        if tip:
            a.setStatusTip(tip)
            seq = a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            a.setToolTip(f"{tip} ({seq})" if seq else tip)
        (a.toggled if checkable else a.triggered).connect(slot)
        self.addAction(a)
        return a

    def _build_actions(self) -> None:
        c = self.canvas
        stack = self.undo_stack
        self.undo_action = self._action("Undo", stack.undo, QKeySequence.StandardKey.Undo, "Undo the last change")
        self.redo_action = self._action("Redo", stack.redo, ["Ctrl+Shift+Z", "Ctrl+Y"], "Redo")
        self.undo_action.setEnabled(False)
        self.redo_action.setEnabled(False)
        stack.canUndoChanged.connect(self.undo_action.setEnabled)
        stack.canRedoChanged.connect(self.redo_action.setEnabled)
        stack.undoTextChanged.connect(lambda text: self.undo_action.setToolTip(f"Undo {text.lower()} (Ctrl+Z)"))
        stack.redoTextChanged.connect(lambda text: self.redo_action.setToolTip(
            f"Redo {text.lower()} (Ctrl+Shift+Z)"))

        self.brush_action = self._action("Brush", lambda on: on and c.set_tool(BRUSH), "B",
                                         "Paint the areas to restore", checkable=True)
        self.eraser_action = self._action("Eraser", lambda on: on and c.set_tool(ERASER), "E",
                                          "Erase the mask", checkable=True)
        self.region_action = self._action("Region", lambda on: on and c.set_tool(REGION), "R",
                                          "Draw the rectangle that Quick look restores (Esc clears it)",
                                          checkable=True)
        group = QActionGroup(self)
        group.addAction(self.brush_action)
        group.addAction(self.eraser_action)
        group.addAction(self.region_action)
        self.brush_action.setChecked(True)
        self.swap_tool_action = self._action(
            "Swap brush and eraser", lambda: c.set_tool(ERASER if c.tool == BRUSH else BRUSH), "X")
        self.bigger_action = self._action("Bigger brush", c.grow_brush, "]", "Bigger brush")
        self.smaller_action = self._action("Smaller brush", c.shrink_brush, "[", "Smaller brush")
        self.clear_mask_action = self._action("Clear mask", c.clear_mask, "Ctrl+Delete", "Erase the whole mask")
        self.suggest_mask_action = self._action(
            "Suggest scratch mask", self.suggest_mask, "Ctrl+Shift+M",
            "Mark thin scratches and dust automatically; the proposal replaces the mask")
        self.show_mask_action = self._action("Show mask", c.set_mask_visible, "M", "Show the mask overlay",
                                             checkable=True)
        self.show_mask_action.setChecked(True)
        self.split_action = self._action("Split view", c.set_split, "S",
                                         "Before on the left, after on the right", checkable=True)
        self.fit_action = self._action("Fit to window", c.fit_to_window, "Ctrl+0", "Show the whole image")
        self.zoom_100_action = self._action("100 %", c.zoom_100, "Ctrl+1", "One image pixel per screen pixel")
        self.zoom_in_action = self._action("Zoom in", c.zoom_in, ["Ctrl++", "Ctrl+="])
        self.zoom_out_action = self._action("Zoom out", c.zoom_out, "Ctrl+-")
        self.run_action = self._action("Run", self.run, "Ctrl+R", "Start a new fit")
        self.quick_look_action = self._action(
            "Quick look", self.quick_look, ["Q", "Ctrl+Shift+Return", "Ctrl+Shift+Enter"],
            "Restore only the region in view (or the drawn Region, at most 256×256) to judge the settings")
        self.run_more_action = self._action("Run more", self.run_more, "Ctrl+Shift+R",
                                            "Continue the fit from where it stopped")
        self.stop_action = self._action("Stop", self.stop, "Esc", "Stop and keep the best result so far")
        self.accept_action = self._action("Accept result", self.accept_result, ["Ctrl+Return", "Ctrl+Enter"],
                                          "Make the result the image, for saving or another round")

    def _build_layout(self) -> None:
        bar = QToolBar()
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        bar.addAction(self.brush_action)
        bar.addAction(self.eraser_action)
        bar.addAction(self.region_action)
        self.brush_size_box = QSpinBox()
        self.brush_size_box.setRange(1, 1000)
        self.brush_size_box.setSuffix(" px")
        self.brush_size_box.setToolTip("Brush size in image pixels ([ and ])")
        self.brush_size_box.setValue(self.canvas.brush_size)
        bar.addWidget(QLabel(" Size "))
        bar.addWidget(self.brush_size_box)
        bar.addAction(self.clear_mask_action)
        bar.addAction(self.show_mask_action)
        bar.addSeparator()
        bar.addAction(self.undo_action)
        bar.addAction(self.redo_action)
        bar.addSeparator()
        bar.addAction(self.fit_action)
        bar.addAction(self.zoom_100_action)
        self.zoom_label = QLabel("")
        self.zoom_label.setMinimumWidth(90)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self.zoom_label)
        self.toolbar = bar

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.setSpacing(0)
        lv.addWidget(bar)
        lv.addWidget(self.canvas, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.controls)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setCollapsible(0, False)
        self.splitter = splitter
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def _connect(self) -> None:
        c, k = self.canvas, self.controls
        _bind(k.run_button, self.run_action)
        _bind(k.quick_look_button, self.quick_look_action)
        _bind(k.run_more_button, self.run_more_action)
        _bind(k.stop_button, self.stop_action)
        _bind(k.accept_button, self.accept_action)
        _bind(k.suggest_button, self.suggest_mask_action)
        k.compare_button.pressed.connect(lambda: c.set_show_before(True))
        k.compare_button.released.connect(lambda: c.set_show_before(False))
        k.split_box.toggled.connect(self.split_action.setChecked)
        self.split_action.toggled.connect(k.split_box.setChecked)
        c.split_changed.connect(self.split_action.setChecked)
        c.mask_visible_changed.connect(self.show_mask_action.setChecked)
        tool_actions = {BRUSH: self.brush_action, ERASER: self.eraser_action, REGION: self.region_action}
        c.tool_changed.connect(lambda t: tool_actions[t].setChecked(True))
        c.brush_size_changed.connect(self.brush_size_box.setValue)
        c.brush_size_changed.connect(lambda v: self._settings.setValue("panel/brush_size", v))
        self.brush_size_box.valueChanged.connect(c.set_brush_size)
        c.zoom_changed.connect(lambda z: self.zoom_label.setText(f"Zoom {z * 100:.0f} %"))
        c.mask_changed.connect(self._on_mask_changed)
        k.preset_box.currentIndexChanged.connect(lambda: self._settings.setValue("panel/preset", k.preset()))
        k.task_changed.connect(lambda name: self._settings.setValue("panel/task", name))
        k.task_changed.connect(self._update_actions)
        k.sensitivity_box.valueChanged.connect(lambda v: self._settings.setValue("panel/mask_sensitivity", v))
        self.runner.progress.connect(self._on_progress)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)
        self.runner.idle.connect(self._on_idle)

    def _restore_settings(self) -> None:
        s = self._settings
        self.controls.set_task(str(s.value("panel/task", "inpaint")))
        self.controls.set_preset(str(s.value("panel/preset", "balanced")))
        try:
            self.canvas.set_brush_size(int(s.value("panel/brush_size", 24)))
        except (TypeError, ValueError):
            pass
        try:
            self.controls.set_sensitivity(float(s.value("panel/mask_sensitivity", 0.5)))
        except (TypeError, ValueError):
            pass

    def _describe_device(self) -> None:
        if self._closing:
            return
        try:
            from ..engine import describe_device

            text = describe_device(self.device)
        except Exception as exc:  # a broken GPU driver must not stop the app from opening
            text = f"unavailable ({exc})"
        self.device_text = text
        self.controls.device_label.setText(f"Device: {text}")
        self.device_described.emit(text)

    # ----------------------------------------------------------------------------------- document

    def set_image(self, pixels: np.ndarray, mask: np.ndarray | None = None) -> None:
        """Start a new document: ``pixels`` with ``mask`` (True = hole), empty history, nothing modified."""
        if self.runner.is_running():
            raise RuntimeError("cannot change the image while a restoration is running")
        if mask is not None and mask.shape != pixels.shape[:2]:
            raise ValueError(f"mask shape {mask.shape} does not match the image {pixels.shape[:2]}")
        self._image = pixels
        self._saved = pixels
        self._result = None
        self._drop_session()
        self._plot_offset = 0
        self.controls.loss_plot.clear()
        self.controls.finish_progress("Ready")
        self.undo_stack.clear()
        self.canvas.set_image(pixels, mask=mask)
        self.canvas.set_mask_visible(True)
        self.canvas.setFocus()
        self.image_changed.emit()
        self.result_changed.emit()
        self.modified_changed.emit(False)
        self._update_actions()

    def image(self) -> np.ndarray | None:
        """The current image (after any accepted results)."""
        return self._image

    def mask(self) -> np.ndarray:
        """The painted mask, bool (H, W), True = hole."""
        return self.canvas.mask()

    def set_mask(self, mask: np.ndarray) -> None:
        """Replace the mask (undoable), e.g. with one loaded from a file."""
        self.canvas.set_mask(np.asarray(mask, bool), "Load mask")
        self.canvas.set_mask_visible(True)

    def result(self) -> np.ndarray | None:
        """The last result not yet accepted (None if there is none)."""
        return self._result

    def output(self) -> np.ndarray | None:
        """What Save or Apply should deliver: the pending result, else the image."""
        return self._result if self._result is not None else self._image

    def is_modified(self) -> bool:
        """True when the image differs from the one last loaded or saved, or a result is pending."""
        return self._image is not None and (self._image is not self._saved or self._result is not None)

    def mark_saved(self) -> None:
        self._saved = self._image
        self.modified_changed.emit(self.is_modified())

    def is_running(self) -> bool:
        return self.runner.is_running()

    def last_outcome(self) -> Outcome | None:
        return self._last_outcome

    # ----------------------------------------------------------------------------------- running

    def _job_key(self) -> tuple:
        k = self.controls
        return (id(self._image), self._mask_version, k.task().name, k.preset(), k.seed(),
                tuple(sorted(k.options().items())))

    def _make_job(self, image: np.ndarray, mask: np.ndarray | None, task: Task, **extra: Any) -> Job:
        k = self.controls
        return Job(task, image, mask, preset=k.preset(), iterations=k.iterations(), seed=k.seed(),
                   device=self.device, options=k.options(), **extra)

    def _check_runnable(self, task: Task) -> np.ndarray | None:
        """The mask to run with, or None (with a message) when a run cannot start."""
        if self._image is None or self.runner.is_running():
            return None
        mask = self.canvas.mask()
        if task.needs_mask and not mask.any():
            self._say("Paint over the areas to restore first: the mask is empty.")
            return None
        return mask

    def run(self) -> bool:
        """Start a new fit on the current image and mask; False if it cannot start (message says why)."""
        task = self.controls.task()
        mask = self._check_runnable(task)
        if mask is None:
            return False
        self._drop_session()
        self._plot_offset = 0
        self.controls.loss_plot.clear()
        self.canvas.set_quick_look(None)
        self._start(self._make_job(self._image, mask if task.needs_mask else None, task),
                    key=self._job_key())
        return True

    def quick_look_region(self) -> Region | None:
        """The region a Quick look restores now (None without an image, or when the view shows none of it).

        The rectangle drawn with the Region tool, else the part of the image the view shows; at most
        :data:`~dip_plugin.app.quicklook.QUICK_LOOK_SIZE` output pixels on a side (input pixels divided by
        the factor for an upscaling), around its centre.  See :func:`~dip_plugin.app.quicklook.quick_look_region`.
        """
        if self._image is None:
            return None
        drawn = self.canvas.region()
        if drawn is not None:
            area = (drawn.left(), drawn.top(), drawn.right() + 1, drawn.bottom() + 1)
        else:
            view = self.canvas.visible_image_rect()
            area = (view.left(), view.top(), view.right(), view.bottom())
        scale = self.controls.task().output_scale(self.controls.options())
        return quick_look_region(area, self._image.shape[:2], scale=scale)

    def quick_look(self) -> bool:
        """Restore only :meth:`quick_look_region` with the current task and settings; False if it cannot start.

        It runs like :meth:`run` (progress, ETA, Stop) on a crop of the image and mask, and the result is shown
        over the region on the canvas (``canvas.quick_look()``), the rest dimmed: it never becomes the image or
        the pending result, so Accept, Save and Run more are unaffected.  Stop, a failure or closing leave the
        canvas as it was.  For a task that needs a mask, the region must contain painted holes.
        """
        if self._image is None or self.runner.is_running():
            return False
        task = self.controls.task()
        if not task.quick_look:
            self._say(f"Quick look is not available for {task.label}: Run restores the whole image.")
            return False
        region = self.quick_look_region()
        if region is None:
            self._say("Quick look: the view shows none of the image (Ctrl+0 shows all of it).")
            return False
        rows, columns = region.slices()
        mask = None
        if task.needs_mask:
            mask = self.canvas.mask()[rows, columns].copy()
            if not mask.any():
                self._say(f"Quick look: no painted hole in the {region.width}×{region.height} region; nothing to "
                          "restore there. Paint one, or move the view (or draw a Region) over a hole.")
                return False
        crop = self._image[rows, columns].copy()
        self._quick = region
        self._quick_shown = self.canvas.quick_look()
        self._quick_mask_visible = self.canvas.mask_visible
        self.canvas.set_quick_look(crop, _rect(region))  # outlined at once; the live preview follows
        self._plot_offset = 0
        self.controls.loss_plot.clear()
        self._start(self._make_job(crop, mask, task, resumable=False), None, progress="Quick look…",
                    text=f"Quick look: {task.label.lower()} of a {region.width}×{region.height} region "
                         f"({self.controls.preset()})…")
        return True

    def dismiss_quick_look(self) -> bool:
        """Remove the Quick look shown and the drawn Region (Esc); False when there was neither."""
        if self.runner.is_running() or (self.canvas.region() is None and not self.canvas.has_quick_look()):
            return False
        self.canvas.set_quick_look(None)
        self.canvas.set_region(None)
        return True

    def run_more(self) -> bool:
        """Continue from the last result: the same fit resumed when the engine can, else a new fit on it.

        Not for a task that changes the size (it would enlarge the result again): False, with a message.
        """
        if self._result is None:
            return self.run()
        task = self.controls.task()
        if task.resizes:
            self._say(f"{task.label} cannot continue from its result: Accept it and Run again to repeat.")
            return False
        mask = self._check_runnable(task)
        if mask is None:
            return False
        self.canvas.set_quick_look(None)
        key = self._job_key()
        m = mask if task.needs_mask else None
        if self._session is not None and key == self._session_key:
            job = self._make_job(self._image, m, task, session=self._session)
        elif task.session is None:
            job = self._make_job(self._result, m, task, resumable=False)  # refine the result itself
        else:
            return self.run()  # settings or mask changed: the old fit does not apply
        self._start(job, key=key)
        return True

    def _start(self, job: Job, key: tuple | None, *, progress: str | None = None, text: str | None = None) -> None:
        self._pending_key = key
        self._run_base = self._image
        self._first_preview = True
        self.controls.reset_progress(progress or ("Starting…" if job.session is None else "Continuing…"))
        self.runner.start(job)
        self._say(text or f"Running {job.task.label.lower()} ({job.preset})…")
        self._update_actions()
        self.running_changed.emit(True)

    def suggest_mask(self) -> bool:
        """Propose a mask of the image's scratches and dust (for an old photo); False if it cannot start.

        The engine's ``suggest_mask`` runs on the worker thread (seconds on a large image); when it
        ends, its proposal replaces the mask as one undoable step and ``mask_suggested`` is emitted.
        A proposal with nothing marked leaves the mask as it is.
        """
        if self._image is None or self.runner.is_running():
            return False
        self._suggesting = True
        job = Job(SUGGEST_MASK, self._image, None, options={"sensitivity": self.controls.sensitivity()},
                  resumable=False)
        self._start(job, None, progress="Finding scratches and dust…",
                    text="Looking for thin scratches and dust…")
        return True

    def stop(self) -> None:
        """Finish the running fit now, keeping the best result so far."""
        if self.runner.is_running():
            self.runner.stop()
            self.controls.progress_bar.setFormat("Stopping…")

    def abort(self) -> None:
        """Finish the running fit now and discard its result (used when closing)."""
        self._closing = True
        self.runner.abort()

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Abort any run and wait for the worker thread to end; True when it has."""
        self._closing = True
        return self.runner.shutdown(timeout_ms)

    def _on_progress(self, p: Any) -> None:
        if self._closing or not self.runner.is_running():
            return
        if p.preview is not None:
            if self._quick is not None:
                self.canvas.set_quick_look(p.preview, _rect(self._quick))
            else:
                self.canvas.set_result(p.preview)
            if self._first_preview:
                self._first_preview = False
                self.canvas.set_mask_visible(False)
        self.controls.show_progress(p.step, p.total, p.elapsed)
        self.controls.loss_plot.add(self._plot_offset + p.step, p.loss)

    def _on_finished(self, outcome: Outcome) -> None:
        if self._closing:
            return
        if self._image is not self._run_base:
            self.canvas.set_result(self._result)
            self.canvas.set_quick_look(None)
            self.controls.finish_progress("Discarded")
            self._say("The image changed during the run; its result was discarded.")
            return
        if self._quick is not None:
            self._show_quick_look(outcome)
            return
        if outcome.job.task is SUGGEST_MASK:
            self._apply_suggestion(np.asarray(outcome.result, bool), outcome.elapsed)
            return
        self._last_outcome = outcome
        self._result = outcome.result
        self._session = outcome.session
        self._session_key = self._pending_key if outcome.session is not None else None
        self.canvas.set_result(outcome.result)
        self.canvas.set_mask_visible(False)
        last = outcome.last
        took = format_duration(outcome.elapsed)
        if last is not None:
            self._plot_offset += last.step
            self.controls.show_progress(last.step, last.total, outcome.elapsed)
            if outcome.stopped:
                text = f"Stopped at iteration {last.step} / {last.total}"
            else:
                text = f"Done: {last.step} iterations"
        else:
            text = "Stopped" if outcome.stopped else "Done"
        self.controls.finish_progress(f"{text} ({took})")
        suffix = " — the best result so far is kept" if outcome.stopped else ""
        summary = f"{text} in {took}{suffix}. Accept to keep it, or Run more."
        self.controls.eta_label.setText(summary)
        self.message.emit(summary)
        self.result_changed.emit()
        self.modified_changed.emit(self.is_modified())
        self.run_finished.emit(outcome)

    def _show_quick_look(self, outcome: Outcome) -> None:
        region = self._quick
        if outcome.stopped:  # a Quick look cut short is not worth judging: everything stays as it was
            self._restore_canvas_after_quick_look()
            self.controls.finish_progress("Quick look stopped")
            text = "Quick look stopped: nothing changed."
        else:
            self.canvas.set_quick_look(outcome.result, _rect(region))
            self.canvas.set_mask_visible(False)
            size = f"{region.width}×{region.height} region"
            out_h, out_w = outcome.result.shape[:2]
            if (out_w, out_h) != (region.width, region.height):
                size += f" (×{out_w // region.width}: {out_w}×{out_h})"
            took = _seconds(outcome.elapsed)
            last = outcome.last
            self.controls.finish_progress(f"Quick look: {last.step} iterations ({took})" if last is not None
                                          else f"Quick look ({took})")
            text = f"Quick look: {size}, {took} — Run to restore the whole image"
        self.controls.eta_label.setText(text)  # the worker has not ended yet: _say would skip the label
        self.message.emit(text)
        if not outcome.stopped:
            self.quick_look_finished.emit(outcome)

    def _restore_canvas_after_quick_look(self) -> None:
        """Show again what the canvas showed before the Quick look started."""
        shown = self._quick_shown
        if shown is None:
            self.canvas.set_quick_look(None)
        else:
            self.canvas.set_quick_look(*shown)
        self.canvas.set_mask_visible(self._quick_mask_visible)

    def _apply_suggestion(self, mask: np.ndarray, elapsed: float) -> None:
        count = int(mask.sum())
        took = format_duration(elapsed)
        if count == 0:
            self.controls.finish_progress(f"Nothing found ({took})")
            summary = (f"No scratches or dust found at sensitivity {self.controls.sensitivity():.2f}; the mask is "
                       "unchanged. Try a higher sensitivity.")
        else:
            self.canvas.set_mask(mask, "Suggest mask")
            self.canvas.set_mask_visible(True)
            share = 100.0 * count / mask.size
            self.controls.finish_progress(f"Mask suggested ({took})")
            summary = (f"Suggested mask: {count:,} pixels marked ({share:.1f} % of the image). Correct it with the "
                       "brush and eraser (Ctrl+Z brings back the previous mask), then Run.")
        self.controls.eta_label.setText(summary)  # the worker has not ended yet: _say would skip the label
        self.message.emit(summary)
        self.mask_suggested.emit(count)

    def _on_failed(self, message: str) -> None:
        self.canvas.set_result(self._result)
        if self._quick is not None:
            self._restore_canvas_after_quick_look()
        self.controls.finish_progress("Failed")
        self._say(f"Failed: {message}")
        self.run_failed.emit(message)
        if not self._closing:
            title = ("Mask suggestion failed" if self._suggesting else
                     "Quick look failed" if self._quick is not None else "Restoration failed")
            self.show_error(title, message)

    def _on_cancelled(self) -> None:
        if not self._closing:
            self.canvas.set_result(self._result)
            if self._quick is not None:
                self._restore_canvas_after_quick_look()
            self.controls.finish_progress("Cancelled")

    def _on_idle(self) -> None:
        self._suggesting = False
        self._quick = None
        self._quick_shown = None
        self._update_actions()
        self.running_changed.emit(False)
        self.idle.emit()

    def _drop_session(self) -> None:
        self._session = None
        self._session_key = None

    # ----------------------------------------------------------------------------------- results

    def accept_result(self) -> bool:
        """Make the pending result the image (undoable); the mask is cleared for the next round."""
        if self._result is None or self.runner.is_running():
            return False
        self.undo_stack.push(AcceptCommand(self, self._image, self._result, self.canvas.mask_image()))
        self._say("Result accepted: paint a new mask for another round, or save.")
        return True

    def discard_result(self) -> None:
        """Forget the pending result and show the image again."""
        if self._result is not None and not self.runner.is_running():
            self._result = None
            self._drop_session()
            self.canvas.set_result(None)
            self.result_changed.emit()
            self.modified_changed.emit(self.is_modified())
            self._update_actions()

    def _replace_image(self, pixels: np.ndarray, *, mask: QImage | None, result: np.ndarray | None) -> None:
        self._image = pixels
        self._result = result
        self._drop_session()
        self.canvas.set_image(pixels, mask=mask, fit=False)
        self.canvas.set_result(result)
        self.canvas.set_mask_visible(result is None)
        self.image_changed.emit()
        self.result_changed.emit()
        self.modified_changed.emit(self.is_modified())
        self._update_actions()

    # ----------------------------------------------------------------------------------- UI state

    def _on_mask_changed(self) -> None:
        self._mask_version += 1

    def _update_actions(self, *_: object) -> None:
        has_image = self._image is not None
        running = self.runner.is_running()
        task = self.controls.task()
        self.run_action.setEnabled(has_image and not running)
        self.quick_look_action.setEnabled(has_image and not running and task.quick_look)
        self.run_more_action.setEnabled(has_image and not running and self._result is not None and not task.resizes)
        self.stop_action.setEnabled(running and not self._suggesting)  # a suggestion cannot end early
        self.suggest_mask_action.setEnabled(has_image and not running and task.needs_mask)
        self.accept_action.setEnabled(self._result is not None and not running)
        for a in (self.clear_mask_action, self.fit_action, self.zoom_100_action, self.zoom_in_action,
                  self.zoom_out_action):
            a.setEnabled(has_image)
        self.controls.task_box.setEnabled(not running)

    def _say(self, text: str) -> None:
        if not self.runner.is_running():  # while running, the label shows the ETA
            self.controls.eta_label.setText(text)
        self.message.emit(text)

    def show_error(self, title: str, text: str) -> QMessageBox:
        """Show an error without blocking (window-modal); returns the box."""
        box = QMessageBox(QMessageBox.Icon.Critical, title, text, QMessageBox.StandardButton.Ok, self)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    # ----------------------------------------------------------------------------------- keys

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == COMPARE_KEY and not event.isAutoRepeat() and not event.modifiers():
            self.canvas.set_show_before(True)
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape and self.dismiss_quick_look():  # else it goes on (a dialog closes)
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == COMPARE_KEY and not event.isAutoRepeat():
            self.canvas.set_show_before(False)
            event.accept()
            return
        super().keyReleaseEvent(event)


def _rect(region: Region) -> QRect:
    return QRect(region.left, region.top, region.width, region.height)


def _seconds(elapsed: float) -> str:
    """``"0.4 s"``, ``"12 s"``, ``"1:15"``."""
    if elapsed < 10:
        return f"{elapsed:.1f} s"
    return f"{elapsed:.0f} s" if elapsed < 60 else format_duration(elapsed)


def _bind(button, action: QAction) -> None:
    """Make ``button`` trigger ``action`` and follow its enabled state."""
    button.clicked.connect(action.trigger)
    button.setEnabled(action.isEnabled())
    action.enabledChanged.connect(button.setEnabled)
