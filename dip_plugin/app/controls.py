"""The controls beside the canvas: task, preset, iterations, seed, mask suggestion, Run/Quick look/Stop, progress
and the loss curve."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

from PyQt6.QtCore import QPointF, QRectF, QSize, Qt, pyqtSignal
from PyQt6.QtGui import QFont, QPainter, QPainterPath, QPen
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .tasks import Option, Task

__all__ = ["IMAGE_FILTER", "ControlsPanel", "FileField", "LossPlot", "format_duration"]

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.tif *.tiff *.webp *.bmp *.gif);;All files (*)"


def format_duration(seconds: float) -> str:
    """``"0:07"``, ``"12:30"``, ``"1:02:03"``.

    Example
    -------
    >>> format_duration(75.4), format_duration(3723)
    ('1:15', '1:02:03')
    """
    s = max(0, round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class LossPlot(QWidget):
    """A small curve of the loss against the iteration (log scale), drawn with QPainter."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._points: list[tuple[float, float]] = []
        self.setMinimumHeight(70)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("Loss on the known pixels: how closely the network reproduces them")

    def sizeHint(self) -> QSize:
        return QSize(240, 90)

    @property
    def points(self) -> list[tuple[float, float]]:
        return list(self._points)

    def add(self, step: float, loss: float) -> None:
        """Add a point; non-finite or non-positive losses are skipped."""
        if math.isfinite(loss) and loss > 0:
            self._points.append((float(step), float(loss)))
            self.update()

    def clear(self) -> None:
        self._points.clear()
        self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pal = self.palette()
        frame = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        p.setPen(QPen(pal.mid().color(), 1))
        p.setBrush(pal.base())
        p.drawRoundedRect(frame, 4, 4)
        small = QFont(self.font())
        small.setPointSizeF(max(6.0, small.pointSizeF() * 0.85))
        p.setFont(small)
        text_color = pal.text().color()
        if len(self._points) < 2:
            p.setPen(pal.placeholderText().color())
            p.drawText(frame, Qt.AlignmentFlag.AlignCenter, "loss curve")
            return
        area = frame.adjusted(6, 18, -6, -6)
        xs = [x for x, _ in self._points]
        ys = [math.log10(y) for _, y in self._points]
        x0, x1 = min(xs), max(xs)
        y0, y1 = min(ys), max(ys)
        if x1 - x0 < 1e-9:
            x1 = x0 + 1
        if y1 - y0 < 1e-9:
            y0, y1 = y0 - 0.5, y1 + 0.5

        def at(x: float, y: float) -> QPointF:
            return QPointF(area.left() + (x - x0) / (x1 - x0) * area.width(),
                           area.bottom() - (y - y0) / (y1 - y0) * area.height())

        path = QPainterPath(at(xs[0], ys[0]))
        for x, y in zip(xs[1:], ys[1:], strict=True):
            path.lineTo(at(x, y))
        p.setPen(QPen(pal.highlight().color(), 1.6))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
        p.setBrush(pal.highlight())
        p.drawEllipse(at(xs[-1], ys[-1]), 2.5, 2.5)
        p.setPen(text_color)
        p.drawText(frame.adjusted(6, 2, -6, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, "loss")
        p.drawText(frame.adjusted(6, 2, -6, 0), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
                   f"{self._points[-1][1]:.2e}")


class FileField(QWidget):
    """A file path with a Browse button: the field of an image file option (:attr:`Option.file`)."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = title
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("none chosen")
        self.edit.setClearButtonEnabled(True)
        self.browse_button = QToolButton()
        self.browse_button.setText("…")
        self.browse_button.setToolTip(f"Choose the {title.lower()}")
        self.browse_button.clicked.connect(self.browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.browse_button)

    def value(self) -> str:
        """The chosen path ("" when none)."""
        return self.edit.text().strip()

    def set_value(self, path: str | os.PathLike[str]) -> None:
        self.edit.setText(os.fspath(path))

    def browse(self) -> None:
        folder = os.path.dirname(self.value())
        path, _ = QFileDialog.getOpenFileName(self, self._title, folder, IMAGE_FILTER)
        if path:
            self.set_value(path)


class ControlsPanel(QWidget):
    """Task, settings, mask suggestion, Run / Quick look / Run more / Stop / Accept, progress bar with ETA, and the
    loss plot.

    The buttons are plain widgets: the owner connects them (see ``RestorePanel``).
    """

    task_changed = pyqtSignal(str)

    def __init__(self, tasks: Mapping[str, Task], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = dict(tasks)
        self._preset_iterations: dict[str, int] = {}
        self._option_widgets: dict[str, QWidget] = {}
        self._option_values: dict[str, dict[str, Any]] = {}  # task name → its options when last shown
        self._options_task: str | None = None

        self.task_box = QComboBox()
        for task in self._tasks.values():
            self.task_box.addItem(task.label, task.name)
        self.task_box.setToolTip("What to restore")
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: palette(placeholder-text);")

        # Shown for tasks that need a mask: propose one for the scratches and dust of an old photo.
        self.suggest_button = QPushButton("Suggest mask")
        self.suggest_button.setAutoDefault(False)
        self.suggest_button.setToolTip("Mark thin scratches and dust automatically; the proposal replaces the mask "
                                       "(Ctrl+Z brings the previous one back) (Ctrl+Shift+M)")
        self.sensitivity_box = QDoubleSpinBox()
        self.sensitivity_box.setRange(0.0, 1.0)
        self.sensitivity_box.setSingleStep(0.05)
        self.sensitivity_box.setDecimals(2)
        self.sensitivity_box.setValue(0.5)
        self.sensitivity_box.setToolTip("Higher marks fainter scratches and dust, and more that is neither")
        self.mask_row = QWidget()
        mr = QHBoxLayout(self.mask_row)
        mr.setContentsMargins(0, 0, 0, 0)
        mr.addWidget(self.suggest_button, 1)
        mr.addWidget(QLabel("Sensitivity"))
        mr.addWidget(self.sensitivity_box)

        self.preset_box = QComboBox()
        self.preset_box.setToolTip("Speed against quality: fast previews, balanced, quality, or the paper's setup")
        self.iterations_box = QSpinBox()
        self.iterations_box.setRange(0, 100000)
        self.iterations_box.setSingleStep(100)
        self.iterations_box.setToolTip("Most optimisation steps per region (0 = the preset's default; with fast, "
                                       "regions smaller than 256×256 get more); the fit may stop sooner when it "
                                       "stops improving")
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, 2**31 - 1)
        self.seed_box.setToolTip("Another seed gives another plausible fill")

        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.addRow("Preset", self.preset_box)
        self.form.addRow("Iterations", self.iterations_box)
        self.form.addRow("Seed", self.seed_box)

        task_group = QGroupBox("Restore")
        tg = QVBoxLayout(task_group)
        tg.addWidget(self.task_box)
        tg.addWidget(self.hint)
        tg.addWidget(self.mask_row)
        tg.addLayout(self.form)

        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Start a new fit (Ctrl+R)")
        self.quick_look_button = QPushButton("Quick look")
        self.quick_look_button.setToolTip("Restore only the region in view, or the drawn Region (at most 256×256), "
                                          "to judge the settings in seconds (Q)")
        self.run_more_button = QPushButton("Run more")
        self.run_more_button.setToolTip("Continue the fit from where it stopped (Ctrl+Shift+R)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop now and keep the best result so far (Esc)")
        buttons = QHBoxLayout()
        for b in (self.run_button, self.quick_look_button, self.run_more_button, self.stop_button):
            b.setAutoDefault(False)
            buttons.addWidget(b)

        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("Ready")
        self.eta_label = QLabel(" ")
        self.eta_label.setWordWrap(True)
        self.loss_plot = LossPlot()

        run_group = QGroupBox("Run")
        rg = QVBoxLayout(run_group)
        rg.addLayout(buttons)
        rg.addWidget(self.progress_bar)
        rg.addWidget(self.eta_label)
        rg.addWidget(self.loss_plot)

        self.accept_button = QPushButton("Accept result")
        self.accept_button.setAutoDefault(False)
        self.accept_button.setToolTip("Make the result the image, to save it or start another round (Ctrl+Return)")
        self.compare_button = QPushButton("Hold to compare")
        self.compare_button.setAutoDefault(False)
        self.compare_button.setToolTip("Shows the image before the restoration while pressed (or hold B)")
        self.split_box = QCheckBox("Split view")
        self.split_box.setToolTip("Before on the left, after on the right; drag the divider (S)")
        result_group = QGroupBox("Result")
        res = QVBoxLayout(result_group)
        compare = QHBoxLayout()
        compare.addWidget(self.compare_button)
        compare.addWidget(self.split_box)
        res.addLayout(compare)
        res.addWidget(self.accept_button)

        self.device_label = QLabel("Device: …")
        self.device_label.setStyleSheet("color: palette(placeholder-text);")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(task_group)
        layout.addWidget(run_group)
        layout.addWidget(result_group)
        layout.addStretch(1)
        layout.addWidget(self.device_label)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.setMinimumWidth(260)

        self.task_box.currentIndexChanged.connect(self._on_task_index)
        self.preset_box.currentIndexChanged.connect(self._update_iterations_text)
        self._on_task_index()

    # ----------------------------------------------------------------------------------- values

    def task(self) -> Task:
        return self._tasks[self.task_box.currentData()]

    def set_task(self, name: str) -> None:
        i = self.task_box.findData(name)
        if i >= 0:
            self.task_box.setCurrentIndex(i)

    def preset(self) -> str:
        return str(self.preset_box.currentData())

    def set_preset(self, name: str) -> None:
        i = self.preset_box.findData(name)
        if i >= 0:
            self.preset_box.setCurrentIndex(i)

    def iterations(self) -> int:
        return self.iterations_box.value()

    def set_iterations(self, n: int) -> None:
        self.iterations_box.setValue(int(n))

    def seed(self) -> int:
        return self.seed_box.value()

    def set_seed(self, n: int) -> None:
        self.seed_box.setValue(int(n))

    def sensitivity(self) -> float:
        """The mask suggestion's sensitivity, 0 … 1."""
        return self.sensitivity_box.value()

    def set_sensitivity(self, value: float) -> None:
        self.sensitivity_box.setValue(float(value))

    def set_option(self, name: str, value: Any) -> None:
        """Set the current task's option ``name``; KeyError when the task has none of that name."""
        w = self._option_widgets[name]
        if isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QComboBox):
            w.setCurrentIndex(w.findData(value))
        elif isinstance(w, FileField):
            w.set_value(value)
        else:
            w.setValue(value)

    def options(self) -> dict[str, Any]:
        """The current task's extra options, as keyword arguments."""
        values: dict[str, Any] = {}
        for name, w in self._option_widgets.items():
            if isinstance(w, QCheckBox):
                values[name] = w.isChecked()
            elif isinstance(w, QComboBox):
                values[name] = w.currentData()
            else:
                values[name] = w.value()
        return values

    # ----------------------------------------------------------------------------------- progress

    def reset_progress(self, text: str = "Starting…") -> None:
        self.progress_bar.setRange(0, 0)  # busy until the first report
        self.progress_bar.setFormat(text)
        self.eta_label.setText(" ")

    def show_progress(self, step: int, total: int, elapsed: float) -> None:
        """Show ``step`` of ``total`` with the estimated time left."""
        total = max(1, int(total))
        step = min(int(step), total)
        self.progress_bar.setRange(0, total)
        self.progress_bar.setValue(step)
        self.progress_bar.setFormat(f"Iteration {step} / {total}")
        if step > 0:
            rate = step / max(elapsed, 1e-6)
            eta = (total - step) / rate
            self.eta_label.setText(f"ETA {format_duration(eta)} · {format_duration(elapsed)} elapsed · "
                                   f"{rate:.1f} it/s")
        else:
            self.eta_label.setText(f"{format_duration(elapsed)} elapsed")

    def finish_progress(self, text: str) -> None:
        if self.progress_bar.maximum() == 0:
            self.progress_bar.setRange(0, 1)
            self.progress_bar.setValue(0)
        self.progress_bar.setFormat(text)

    # ----------------------------------------------------------------------------------- internals

    def _on_task_index(self) -> None:
        task = self.task()
        self.hint.setText(task.hint)
        self.hint.setVisible(bool(task.hint))
        self.mask_row.setVisible(task.needs_mask)
        self._fill_presets(task)
        if self._options_task is not None:  # kept for when that task is chosen again
            self._option_values[self._options_task] = self.options()
        for w in self._option_widgets.values():
            self.form.removeRow(w)
        self._option_widgets = {}
        for option in task.options:
            w = _option_widget(option)
            self._option_widgets[option.name] = w
            self.form.addRow(option.label, w)
        for name, value in self._option_values.get(task.name, {}).items():
            self.set_option(name, value)
        self._options_task = task.name
        self.task_changed.emit(task.name)

    def _fill_presets(self, task: Task) -> None:
        """List the task's presets, keeping the chosen name when the task has it too."""
        current = self.preset_box.currentData()
        self._preset_iterations = task.preset_iterations()
        self.preset_box.blockSignals(True)
        self.preset_box.clear()
        for name, iterations in self._preset_iterations.items():
            self.preset_box.addItem(name.capitalize(), name)
            self.preset_box.setItemData(self.preset_box.count() - 1, f"up to {iterations} iterations",
                                        Qt.ItemDataRole.ToolTipRole)
        index = self.preset_box.findData(current)
        if index < 0:
            index = max(0, self.preset_box.findData("balanced"))
        self.preset_box.setCurrentIndex(index)
        self.preset_box.blockSignals(False)
        self._update_iterations_text()

    def _update_iterations_text(self) -> None:
        default = self._preset_iterations.get(self.preset(), 0)
        self.iterations_box.setSpecialValueText(f"Preset ({default})")


def _option_widget(option: Option) -> QWidget:
    w: QWidget
    if option.file:
        w = FileField(option.label)
        w.set_value(option.default or "")
    elif option.choices:
        w = QComboBox()
        for value in option.choices:
            w.addItem(str(value), value)
        w.setCurrentIndex(max(0, w.findData(option.default)))
    elif isinstance(option.default, bool):
        w = QCheckBox()
        w.setChecked(option.default)
    elif isinstance(option.default, int):
        w = QSpinBox()
        w.setRange(int(option.minimum if option.minimum is not None else 0),
                   int(option.maximum if option.maximum is not None else 10**6))
        w.setValue(option.default)
    else:
        w = QDoubleSpinBox()
        w.setDecimals(3)
        w.setRange(float(option.minimum if option.minimum is not None else 0.0),
                   float(option.maximum if option.maximum is not None else 1e6))
        w.setValue(float(option.default))
    if option.tooltip:
        w.setToolTip(option.tooltip)
    return w

