"""Make ``docs/images/app.png``: the app with a generated street scene, text painted over, a fit half done.

Run under a virtual X server, e.g.::

    xvfb-run -s "-screen 0 1400x900x24" .venv/bin/python docs/images/make_app_screenshot.py

Nothing is downloaded: the picture comes from ``dip_plugin.synthetic``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from PyQt6.QtCore import QPointF, QSettings, QTimer
from PyQt6.QtWidgets import QApplication, QMessageBox

from dip_plugin.imageio import save_image
from dip_plugin.synthetic import scene

OUT = Path(__file__).with_name("app.png")
SIZE = 384
STOP_AT = 0.3  # fraction of the fit done when the picture is taken
SPLIT_AT = 0.83  # the divider crosses the date stamp
ZOOM = 2.5


def picture(folder: Path) -> tuple[Path, np.ndarray]:
    """A street scene with a camera date stamp burnt into it, and the mask a user would paint over the stamp."""
    rgb = Image.fromarray(np.rint(scene("street", SIZE, seed=4) * 255).astype(np.uint8))
    text = Image.new("L", rgb.size, 0)
    ImageDraw.Draw(text).text((262, 332), "7 14 '98", fill=255, font=ImageFont.truetype("DejaVuSansMono-Bold.ttf", 19))
    rgb.paste((255, 150, 30), mask=text)
    path = folder / "street.png"
    rgb.save(path)
    painted = np.asarray(text.filter(ImageFilter.MaxFilter(7))) > 0  # a brush a little wider than the strokes
    return path, painted


def main() -> int:
    folder = Path(tempfile.mkdtemp())
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    app = QApplication(sys.argv[:1])
    app.setApplicationDisplayName("DIP Restore")
    from dip_plugin.app.window import MainWindow

    path, painted = picture(folder)
    window = MainWindow()
    window.resize(1280, 800)
    window.show()
    assert window.open_path(path)
    window.panel.set_mask(painted)
    window.panel.canvas.set_brush_size(18)
    window.panel.controls.set_preset("fast")
    save_image(folder / "mask.png", painted.astype(np.uint8) * 255)

    def on_progress(p) -> None:
        print(f"{p.step}/{p.total} {p.elapsed:.0f}s", flush=True)
        if p.step >= STOP_AT * p.total and not getattr(on_progress, "done", False):
            on_progress.done = True
            c = window.panel.canvas
            c.set_split(True)
            c.set_split_position(SPLIT_AT)
            c.set_mask_visible(True)
            c.set_zoom(ZOOM)  # bring the stamp closer: the image's bottom-right corner in the view's
            corner = c.to_widget(QPointF(SIZE, SIZE))
            c.pan(c.width() - corner.x(), c.height() - corner.y())
            QTimer.singleShot(100, shoot)

    def shoot() -> None:
        window.grab().save(str(OUT))
        print(f"wrote {OUT}", flush=True)
        window.ask_unsaved_changes = lambda: QMessageBox.StandardButton.Discard  # quitting closes the window
        window.panel.idle.connect(app.quit)
        window.panel.stop()

    window.panel.runner.progress.connect(on_progress)
    QTimer.singleShot(300, window.panel.run)
    status = app.exec()
    print("closed", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
