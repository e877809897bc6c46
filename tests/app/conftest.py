"""Fixtures for the Qt app tests: isolated settings, no threads left running, tiny test images."""

from __future__ import annotations

import os
import threading
import traceback

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from PyQt6.QtCore import QSettings, QThread

from dip_plugin.synthetic import scene


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory, monkeypatch):
    """Settings go to a fresh folder for every test; the user's own configuration is never read or written."""
    folder = tmp_path_factory.mktemp("settings")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    yield folder


@pytest.fixture(autouse=True)
def _no_dangling_threads(monkeypatch):
    """Fail a test that leaves a QThread (or a Python thread) running."""
    started: list[tuple[QThread, str]] = []
    original = QThread.start

    def start(self, *args):
        started.append((self, "".join(traceback.format_stack(limit=6))))
        original(self, *args)

    monkeypatch.setattr(QThread, "start", start)
    before = set(threading.enumerate())
    yield
    dangling = []
    for thread, where in started:
        try:
            if thread.isRunning():
                dangling.append(where)
                thread.wait(10000)  # do not let it crash the next test
        except RuntimeError:  # the C++ object is gone, so is the thread
            pass
    extra = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
    assert not dangling, "QThread still running after the test, started at:\n" + "\n".join(dangling)
    assert not extra, f"Python threads left running: {extra}"


@pytest.fixture
def image() -> np.ndarray:
    """A 32×32 RGB uint8 street scene."""
    return np.rint(scene("street", 32, seed=2) * 255).astype(np.uint8)


@pytest.fixture
def mask() -> np.ndarray:
    m = np.zeros((32, 32), bool)
    m[10:18, 12:22] = True
    return m


@pytest.fixture
def make_panel(qtbot):
    """A shown RestorePanel on the CPU with the "fast" preset and few iterations."""
    from dip_plugin.app.panel import RestorePanel

    def make(img: np.ndarray | None = None, msk: np.ndarray | None = None, iterations: int = 20) -> RestorePanel:
        panel = RestorePanel(device="cpu")
        qtbot.addWidget(panel)
        panel.resize(700, 500)
        with qtbot.waitExposed(panel):
            panel.show()
        if img is not None:
            panel.set_image(img, msk)
        panel.controls.set_preset("fast")
        panel.controls.set_iterations(iterations)
        return panel

    yield make

