"""``dip app [IMAGE]``: argument checks and hand-over to the app's ``main``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import dip_plugin.app
from dip_plugin.cli import main


def test_app_is_listed_in_help(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "app" in capsys.readouterr().out


def test_a_missing_image_is_a_one_line_error(capsys, tmp_path) -> None:
    assert main(["app", str(tmp_path / "nope.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dip: error: image") and "no such file" in err


@pytest.mark.parametrize("option", [[], ["--mask"]])
def test_a_file_in_a_folder_that_cannot_be_searched_is_a_one_line_error(capsys, tmp_path, locked,
                                                                        option) -> None:
    (tmp_path / "a.png").write_bytes(b"x")
    argv = ["app", str(tmp_path / "a.png"), *option, str(locked / "m.png")] if option else \
        ["app", str(locked / "a.png")]
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("dip: error: ") and "permission denied" in err[0], err


def test_a_mask_needs_an_image(capsys, tmp_path) -> None:
    m = tmp_path / "m.png"
    m.write_bytes(b"x")
    assert main(["app", "--mask", str(m)]) == 2
    assert "--mask needs an image" in capsys.readouterr().err


def test_arguments_reach_the_app(monkeypatch, tmp_path) -> None:
    img, m = tmp_path / "a.png", tmp_path / "m.png"
    img.write_bytes(b"x")
    m.write_bytes(b"x")
    calls = []
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setattr(dip_plugin.app, "main", lambda argv: calls.append(argv) or 0)
    assert main(["app", str(img), "--mask", str(m), "--device", "cpu"]) == 0
    assert main(["app"]) == 0
    assert calls == [[str(img), "--mask", str(m), "--device", "cpu"], ["--device", "auto"]]


NO_DISPLAY = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")


@pytest.mark.parametrize(("env", "problem"), [
    ({}, True), ({"DISPLAY": ":0"}, False), ({"WAYLAND_DISPLAY": "wayland-0"}, False),
    ({"QT_QPA_PLATFORM": "xcb"}, True), ({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "w"}, True),
    ({"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":1"}, False), ({"QT_QPA_PLATFORM": "offscreen"}, False),
    ({"QT_QPA_PLATFORM": "vnc:size=800x600"}, False),
])
def test_display_problem(env: dict[str, str], problem: bool) -> None:
    assert (dip_plugin.app.display_problem(env, "linux") is not None) == problem
    assert dip_plugin.app.display_problem(env, "darwin") is None


def test_no_display_is_a_one_line_error_before_qt(capsys, monkeypatch) -> None:
    for name in NO_DISPLAY:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(dip_plugin.app, "main", lambda argv: pytest.fail("Qt was started"))
    assert main(["app"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("dip: error: no display") and "QT_QPA_PLATFORM=offscreen" in err[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Qt's display lookup on Linux")
@pytest.mark.parametrize("command", [["-m", "dip_plugin", "app"], ["-c", "import sys; from dip_plugin.app import main; "
                                                                       "sys.exit(main([]))"]])
def test_no_display_through_the_real_command(tmp_path: Path, command: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if k not in NO_DISPLAY}
    env["PYTHONPATH"] = str(Path(__file__).parents[2])
    result = subprocess.run([sys.executable, *command], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "error: no display to open the window on" in lines[0], result.stderr
