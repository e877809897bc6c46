"""The desktop app (PyQt6): paint a mask, watch the fill appear live, stop when it looks right.

Modules: :mod:`~dip_plugin.app.panel` (``RestorePanel``, the canvas and controls, also used by the GIMP
plug-in), :mod:`~dip_plugin.app.window` (the main window), :mod:`~dip_plugin.app.dialog`
(``run_restore_dialog``), :mod:`~dip_plugin.app.tasks` (the restorations offered) and
:mod:`~dip_plugin.app.worker` (the background thread).  Qt is imported only by those modules.

Example (opens a window, so not run as a doctest)::

    from dip_plugin.app import main
    main(["photo.png"])
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dip-app", description="Deep Image Prior restoration, desktop app.")
    parser.add_argument("image", nargs="?", help="image to open")
    parser.add_argument("--mask", help="mask to load with the image (white = hole)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"),
                        help="where the fit runs (default: auto = CUDA, then MPS, then CPU)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Open the app window (with ``IMAGE`` if given) and run until it is closed; returns the exit status."""
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)

    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

    from .settings import APPLICATION, ORGANIZATION
    from .window import APP_TITLE, MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv and sys.argv[0] else "dip-app"])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APP_TITLE)
    window = MainWindow(device=args.device)
    app.aboutToQuit.connect(window.panel.shutdown)  # a last guard: never quit with the worker running
    window.show()

    def open_initial() -> None:
        if args.image and window.open_path(args.image) and args.mask:
            window.load_mask_path(args.mask)

    QTimer.singleShot(0, open_initial)
    return int(app.exec())
