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
import ctypes.util
import os
import sys
from collections.abc import Callable, Mapping

__all__ = ["display_problem", "main"]

# Qt platform plugins that need a display server, and the variable that says where one runs.
_DISPLAY_VARIABLES = {"xcb": "DISPLAY", "wayland": "WAYLAND_DISPLAY", "wayland-egl": "WAYLAND_DISPLAY"}


def display_problem(env: Mapping[str, str] | None = None, platform: str | None = None,
                    find_library: Callable[[str], str | None] | None = None) -> str | None:
    """Why Qt would find no display to open a window on (it aborts the process then), or None.

    On Linux and the BSDs Qt uses ``QT_QPA_PLATFORM`` (default: Wayland when ``WAYLAND_DISPLAY`` is set,
    else X11); X11 needs ``DISPLAY``, Wayland ``WAYLAND_DISPLAY``.  Other platforms (``offscreen``,
    ``eglfs``, ...) and other systems are not second-guessed.  On Linux, Qt 6.5 and later also abort on X11
    when ``libxcb-cursor.so.0`` is missing (``find_library`` looks for it; default ``ctypes.util``'s).

    Example
    -------
    >>> display_problem({}, "linux") is not None, display_problem({"DISPLAY": ":0"}, "linux")
    (True, None)
    >>> display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux"), display_problem({}, "win32")
    (None, None)
    >>> print(display_problem({"DISPLAY": ":0"}, "linux", find_library=lambda name: None))  # doctest: +ELLIPSIS
    Qt's X11 support needs libxcb-cursor0, ...
    """
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if platform.startswith(("win", "darwin", "cygwin")):
        return None
    wanted = [p.split(":")[0].strip() for p in env.get("QT_QPA_PLATFORM", "").split(";") if p.strip()]
    candidates = wanted or ["wayland", "xcb"]
    usable = [name for name in candidates if name not in _DISPLAY_VARIABLES or env.get(_DISPLAY_VARIABLES[name])]
    if usable:
        if usable[0] == "xcb" and platform.startswith("linux"):
            if (find_library or ctypes.util.find_library)("xcb-cursor") is None:
                return ("Qt's X11 support needs libxcb-cursor0, which is not installed "
                        "(Debian, Ubuntu: apt install libxcb-cursor0; Fedora: dnf install xcb-util-cursor)")
        return None
    needed = " or ".join(sorted({_DISPLAY_VARIABLES[name] for name in candidates}))
    return (f"no display to open the window on ({needed} is not set); run it in a desktop session (or ssh -X), "
            "or set QT_QPA_PLATFORM=offscreen to run it without a window")


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
    problem = display_problem()
    if problem is not None:  # Qt would abort the process with a core dump
        print(f"dip-app: error: {problem}", file=sys.stderr)
        return 2

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
