"""The ``dip app`` main window: menus, files, drag and drop, status bar, settings, around a RestorePanel."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QByteArray, QUrl
from PyQt6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PyQt6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMenu, QMessageBox, QWidget

from .controls import IMAGE_FILTER
from .panel import RestorePanel
from .settings import app_settings

__all__ = ["MainWindow"]

MAX_RECENT = 10
APP_TITLE = "DIP Restore"
_SAVE_FILTER = "PNG (*.png);;JPEG (*.jpg *.jpeg);;TIFF (*.tif *.tiff);;WebP (*.webp);;BMP (*.bmp)"


class MainWindow(QMainWindow):
    """One image at a time: open, paint a mask, run, compare, accept, save."""

    def __init__(self, parent: QWidget | None = None, *, device: str = "auto") -> None:
        super().__init__(parent)
        self.settings = app_settings()
        self.panel = RestorePanel(self, device=device, settings=self.settings)
        self.setCentralWidget(self.panel)
        self.panel.controls.device_label.hide()  # the status bar shows it
        self.path: Path | None = None
        self.loaded = None  # the LoadedImage of `path`: its format and metadata are kept on save
        self._close_when_idle = False
        self.setAcceptDrops(True)
        self._build_menus()
        self._build_status_bar()
        self.panel.modified_changed.connect(self._update_title)
        self.panel.running_changed.connect(self._update_actions)
        self.panel.result_changed.connect(self._update_actions)
        self.panel.idle.connect(self._on_idle)
        self.panel.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self._restore_geometry()
        self._update_title()
        self._update_actions()

    # ----------------------------------------------------------------------------------- building

    def _build_menus(self) -> None:
        p = self.panel
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = self._add(file_menu, "&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.recent_menu = QMenu("Open &Recent", self)
        file_menu.addMenu(self.recent_menu)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.load_mask_action = self._add(file_menu, "Load &Mask…", self.load_mask_dialog, "Ctrl+M")
        file_menu.addSeparator()
        self.save_action = self._add(file_menu, "&Save", self.save, QKeySequence.StandardKey.Save)
        self.save_as_action = self._add(file_menu, "Save &As…", self.save_as_dialog, "Ctrl+Shift+S")
        file_menu.addSeparator()
        self._add(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        edit = bar.addMenu("&Edit")
        edit.addActions([p.undo_action, p.redo_action])
        edit.addSeparator()
        edit.addActions([p.brush_action, p.eraser_action, p.region_action, p.swap_tool_action, p.bigger_action,
                         p.smaller_action])
        edit.addSeparator()
        edit.addAction(p.clear_mask_action)

        view = bar.addMenu("&View")
        view.addActions([p.fit_action, p.zoom_100_action, p.zoom_in_action, p.zoom_out_action])
        view.addSeparator()
        view.addActions([p.show_mask_action, p.split_action])

        run = bar.addMenu("&Restore")
        run.addAction(p.suggest_mask_action)
        run.addSeparator()
        run.addActions([p.run_action, p.quick_look_action, p.run_more_action, p.stop_action])
        run.addSeparator()
        run.addAction(p.accept_action)

        help_menu = bar.addMenu("&Help")
        self._add(help_menu, "&Keyboard shortcuts", self._show_shortcuts, QKeySequence.StandardKey.HelpContents)
        self._add(help_menu, "&About", self._show_about)

    def _add(self, menu: QMenu, text: str, slot, shortcut=None) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        a.triggered.connect(slot)
        menu.addAction(a)
        return a

    def _build_status_bar(self) -> None:
        self.pointer_label = QLabel("")
        self.device_label = QLabel("Device: …")
        self.statusBar().addPermanentWidget(self.pointer_label)
        self.statusBar().addPermanentWidget(self.device_label)
        self.panel.device_described.connect(lambda text: self.device_label.setText(f"Device: {text}"))
        if self.panel.device_text:
            self.device_label.setText(f"Device: {self.panel.device_text}")
        self.panel.canvas.pointer_moved.connect(self._show_pointer)

    def _show_pointer(self, x: int, y: int) -> None:
        size = self.panel.canvas.image_size()
        inside = 0 <= x < size.width() and 0 <= y < size.height()
        self.pointer_label.setText(f"{x}, {y}" if inside else "")

    def _restore_geometry(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 820)
        state = self.settings.value("window/splitter")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.panel.splitter.restoreState(state)

    # ----------------------------------------------------------------------------------- files

    def last_folder(self) -> str:
        folder = str(self.settings.value("files/last_folder", ""))
        return folder if folder and os.path.isdir(folder) else str(Path.home())

    def recent_files(self) -> list[str]:
        value = self.settings.value("files/recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _remember(self, path: Path) -> None:
        self.settings.setValue("files/last_folder", str(path.parent))
        recent = [str(path)] + [p for p in self.recent_files() if p != str(path)]
        self.settings.setValue("files/recent", recent[:MAX_RECENT])

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_files()
        for path in recent:
            a = self.recent_menu.addAction(Path(path).name)
            a.setToolTip(path)
            a.setStatusTip(path)
            a.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if recent:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list", lambda: self.settings.setValue("files/recent", []))
        else:
            self.recent_menu.addAction("No recent files").setEnabled(False)

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", self.last_folder(), IMAGE_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | os.PathLike[str]) -> bool:
        """Open an image file; errors are shown in a dialog.  False if it was not opened."""
        from ..imageio import ImageIOError, load_image

        if self.panel.is_running():
            self.statusBar().showMessage("Stop the running restoration before opening another image.", 8000)
            return False
        if not self.maybe_save():
            return False
        path = Path(path)
        try:
            loaded = load_image(path)
        except ImageIOError as exc:
            self.show_error("Cannot open image", str(exc))
            return False
        except (OSError, MemoryError) as exc:
            self.show_error("Cannot open image", f"{path}: {exc}")
            return False
        self.path = path.resolve()
        self.loaded = loaded
        self.panel.set_image(loaded.pixels)
        self._remember(self.path)
        self._update_title()
        self._update_actions()
        h, w = loaded.pixels.shape[:2]
        depth = {np.dtype(np.uint8): "8-bit", np.dtype(np.uint16): "16-bit"}.get(loaded.pixels.dtype, "float")
        self.statusBar().showMessage(f"Opened {path.name}: {w}×{h}, {loaded.mode}, {depth}", 8000)
        return True

    def load_mask_dialog(self) -> None:
        if self.panel.image() is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, "Load mask", self.last_folder(), IMAGE_FILTER)
        if path:
            self.load_mask_path(path)

    def load_mask_path(self, path: str | os.PathLike[str]) -> bool:
        """Replace the mask with one read from a file (white = hole); undoable."""
        from ..imageio import ImageIOError, load_mask

        image = self.panel.image()
        if image is None:
            return False
        try:
            mask = load_mask(path, image.shape[:2])
        except (ImageIOError, OSError) as exc:
            self.show_error("Cannot load mask", str(exc))
            return False
        self.panel.set_mask(mask)
        self.statusBar().showMessage(f"Mask loaded from {Path(path).name}: {int(mask.sum())} pixels", 8000)
        return True

    def save(self) -> bool:
        """Save to the file the image came from (accepting a pending result first)."""
        if self.path is None:
            return self.save_as_dialog()
        return self.save_to(self.path)

    def save_as_dialog(self) -> bool:
        if self.panel.image() is None:
            return False
        start = str(self.path) if self.path else self.last_folder()
        path, _ = QFileDialog.getSaveFileName(self, "Save image as", start, _SAVE_FILTER)
        if not path:
            return False
        path = Path(path)
        if not path.suffix and self.path is not None:
            path = path.with_suffix(self.path.suffix)
        return self.save_to(path)

    def save_to(self, path: str | os.PathLike[str]) -> bool:
        """Write the image (with a pending result accepted) to ``path``, keeping format, bit depth and alpha."""
        from ..imageio import ImageIOError, save_image

        if self.panel.is_running():
            self.statusBar().showMessage("Stop the running restoration before saving.", 8000)
            return False
        if self.panel.result() is not None:
            self.panel.accept_result()
        pixels = self.panel.image()
        if pixels is None:
            return False
        path = Path(path)
        try:
            save_image(path, pixels, like=self.loaded)
        except (ImageIOError, OSError) as exc:
            self.show_error("Cannot save image", str(exc))
            return False
        self.path = path.resolve()
        self.panel.mark_saved()
        self._remember(self.path)
        self._update_title()
        self.statusBar().showMessage(f"Saved {path.name}", 8000)
        return True

    def maybe_save(self) -> bool:
        """Ask about unsaved changes; True when it is fine to go on (saved or discarded)."""
        if not self.panel.is_modified():
            return True
        answer = self.ask_unsaved_changes()
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def ask_unsaved_changes(self) -> QMessageBox.StandardButton:
        """The Save / Discard / Cancel question (a method, so that it can be answered in tests)."""
        name = self.path.name if self.path else "the image"
        return QMessageBox.question(
            self, "Unsaved changes", f"Save the changes to {name}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )

    def show_error(self, title: str, text: str) -> QMessageBox:
        return self.panel.show_error(title, text)

    # ----------------------------------------------------------------------------------- drag and drop

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _first_local_file(event.mimeData().urls()) and not self.panel.is_running():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = _first_local_file(event.mimeData().urls())
        if path:
            event.acceptProposedAction()
            self.open_path(path)

    # ----------------------------------------------------------------------------------- state

    def _update_title(self, *_: object) -> None:
        name = self.path.name if self.path else ""
        star = "*" if self.panel.is_modified() else ""
        self.setWindowTitle(f"{name}{star} — {APP_TITLE}" if name else APP_TITLE)

    def _update_actions(self, *_: object) -> None:
        has_image = self.panel.image() is not None
        running = self.panel.is_running()
        self.open_action.setEnabled(not running)
        self.recent_menu.setEnabled(not running)
        self.load_mask_action.setEnabled(has_image)
        self.save_action.setEnabled(has_image and not running)
        self.save_as_action.setEnabled(has_image and not running)

    def _on_idle(self) -> None:
        self._update_actions()
        if self._close_when_idle:
            self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._close_when_idle and not self.maybe_save():
            event.ignore()
            return
        if self.panel.is_running():
            # Ask the worker to stop and close once its thread has ended: the window never hangs.
            self._close_when_idle = True
            self.panel.abort()
            self.statusBar().showMessage("Stopping…")
            self.panel.setEnabled(False)
            event.ignore()
            return
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/splitter", self.panel.splitter.saveState())
        self.settings.sync()
        event.accept()

    # ----------------------------------------------------------------------------------- help

    def _show_shortcuts(self) -> None:
        QMessageBox.information(self, "Keyboard shortcuts", SHORTCUTS_TEXT)

    def _show_about(self) -> None:
        from .. import __version__

        QMessageBox.about(
            self, f"About {APP_TITLE}",
            f"<b>{APP_TITLE}</b> {__version__}<br>Deep Image Prior restoration (Ulyanov, Vedaldi and "
            "Lempitsky, CVPR 2018): an untrained network fitted to your image fills the holes you paint, "
            "removes noise and JPEG artifacts, and upscales.",
        )


SHORTCUTS_TEXT = """\
Paint: left drag · Erase: right drag, or the eraser (E) · Brush (B) · Swap brush/eraser (X)
Brush size: [ and ] · Clear mask: Ctrl+Delete · Show/hide mask: M · Suggest scratch mask: Ctrl+Shift+M
Undo: Ctrl+Z · Redo: Ctrl+Shift+Z
Zoom: wheel, Ctrl++ / Ctrl+- · Fit: Ctrl+0 · 100 %: Ctrl+1 · Pan: middle drag or Space+drag
Run: Ctrl+R · Run more: Ctrl+Shift+R · Stop: Esc · Accept result: Ctrl+Return
Quick look (restore only the region in view): Q or Ctrl+Shift+Return · Region tool: R · Clear region and quick look: Esc
Compare: hold C (before) · Split view: S
Open: Ctrl+O · Save: Ctrl+S · Save as: Ctrl+Shift+S · Load mask: Ctrl+M"""


def _first_local_file(urls: list[QUrl]) -> str | None:
    for url in urls:
        if url.isLocalFile() and os.path.isfile(url.toLocalFile()):
            return url.toLocalFile()
    return None

