"""``dip gimp install|uninstall`` and the shipped plug-in file, without GIMP."""

from __future__ import annotations

import json
import os
import py_compile
import stat
import sys
from pathlib import Path

import pytest

from dip_plugin.cli import main
from dip_plugin.gimp_bridge.install import default_gimp_dir, install, plugin_folder, plugin_source, uninstall

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {}, "/home/u/.config/GIMP/3.0"),
        ("linux", {"XDG_CONFIG_HOME": "/xdg"}, "/xdg/GIMP/3.0"),
        ("darwin", {}, "/home/u/Library/Application Support/GIMP/3.0"),
        ("win32", {"APPDATA": "/appdata"}, "/appdata/GIMP/3.0"),
        ("win32", {}, "/home/u/AppData/Roaming/GIMP/3.0"),
        ("linux", {"GIMP3_DIRECTORY": "/custom"}, "/custom"),
    ],
)
def test_default_gimp_dir_per_platform(platform: str, env: dict, expected: str) -> None:
    assert default_gimp_dir(platform, env, Path("/home/u")) == Path(expected)


def test_install_copies_the_plugin_with_run_bit_and_records_this_python(tmp_path: Path) -> None:
    done = install(tmp_path / "profile")
    target = tmp_path / "profile" / "plug-ins" / "dip-inpaint" / "dip-inpaint.py"
    assert target.read_bytes() == plugin_source().read_bytes()
    assert target.stat().st_mode & stat.S_IXUSR
    config = json.loads(target.with_name("dip-inpaint.json").read_text())
    assert config["python"] == str(Path(sys.executable).absolute())
    assert any(str(target) in line and line.startswith("installed") for line in done)
    assert any(sys.executable in line for line in done)
    assert any("created" in line for line in done)  # the profile folder did not exist
    assert not list(target.parent.glob("*.part"))


def test_reinstall_replaces_and_records_the_given_python(tmp_path: Path) -> None:
    install(tmp_path)
    done = install(tmp_path, python="/opt/py/bin/python3")
    assert done[0].startswith("replaced")
    assert json.loads((plugin_folder(tmp_path) / "dip-inpaint.json").read_text())["python"] == "/opt/py/bin/python3"


def test_uninstall_removes_what_install_wrote(tmp_path: Path) -> None:
    install(tmp_path)
    (plugin_folder(tmp_path) / "__pycache__").mkdir()  # GIMP's Python may leave this behind
    done = uninstall(tmp_path)
    assert not plugin_folder(tmp_path).exists()
    assert (tmp_path / "plug-ins").is_dir()  # other plug-ins' folder stays
    assert any("removed" in line and "dip-inpaint.py" in line for line in done)
    assert uninstall(tmp_path) == [f"nothing to remove: {plugin_folder(tmp_path)} does not exist"]


def test_uninstall_keeps_files_it_did_not_write(tmp_path: Path) -> None:
    install(tmp_path)
    (plugin_folder(tmp_path) / "notes.txt").write_text("mine")
    done = uninstall(tmp_path)
    assert (plugin_folder(tmp_path) / "notes.txt").exists()
    assert not (plugin_folder(tmp_path) / "dip-inpaint.py").exists()
    assert "notes.txt" in done[-1]


def test_cli_install_and_uninstall_print_what_they_did(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["gimp", "install", "--gimp-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert str(plugin_folder(tmp_path) / "dip-inpaint.py") in out and "Filters ▸ Enhance" in out
    assert main(["gimp", "uninstall", "--gimp-dir", str(tmp_path)]) == 0
    assert "removed" in capsys.readouterr().out
    assert not plugin_folder(tmp_path).exists()


def test_cli_install_into_an_unusable_folder_is_a_one_line_error(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(["gimp", "install", "--gimp-dir", str(blocker / "profile")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dip: error: install failed:") and err.count("\n") == 1


def test_a_folder_where_the_plugin_file_goes_is_refused_and_nothing_is_left(tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture) -> None:
    (plugin_folder(tmp_path) / "dip-inpaint.py").mkdir(parents=True)
    assert main(["gimp", "install", "--gimp-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dip: error: install failed:") and "is a folder" in err and err.count("\n") == 1
    assert sorted(p.name for p in plugin_folder(tmp_path).iterdir()) == ["dip-inpaint.py"]


def test_a_link_left_at_the_temporary_name_is_not_written_through(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    plugin_folder(tmp_path / "p").mkdir(parents=True)
    (plugin_folder(tmp_path / "p") / "dip-inpaint.py.part").symlink_to(victim)
    install(tmp_path / "p")
    assert victim.read_text() == "keep me"
    assert (plugin_folder(tmp_path / "p") / "dip-inpaint.py").read_bytes() == plugin_source().read_bytes()
    assert not list(plugin_folder(tmp_path / "p").glob("*.part"))


@pytest.mark.parametrize("action", ["install", "uninstall"])
def test_an_empty_gimp_dir_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture, action: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["gimp", action, "--gimp-dir", ""]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dip: error: --gimp-dir is empty") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="empty name"):
        install("")


def test_cli_uses_the_default_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("GIMP3_DIRECTORY", str(tmp_path / "gimp3"))
    assert main(["gimp", "install"]) == 0
    assert (tmp_path / "gimp3" / "plug-ins" / "dip-inpaint" / "dip-inpaint.py").is_file()


def test_plugin_file_is_a_valid_gimp_plugin_source(tmp_path: Path) -> None:
    source = plugin_source()
    text = source.read_text()
    assert text.startswith("#!/usr/bin/env python3\n")  # GIMP starts it through this line
    assert os.access(source, os.X_OK)
    py_compile.compile(str(source), cfile=str(tmp_path / "p.pyc"), doraise=True)
    for needle in ('"python-fu-dip-inpaint"', '"<Image>/Filters/Enhance"', '"RGB*, GRAY*"', '"preset"',
                   '"iterations"', '"seed"', "Gimp.main(", "undo_group_start", "dip_plugin.gimp_bridge.worker"):
        assert needle in text, needle
    # The repository's gimp/dip-inpaint.py is the same file.
    assert (REPO / "gimp" / "dip-inpaint.py").resolve() == source.resolve()


def test_package_data_ships_the_plugin_file() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python ≥ 3.11
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "gimp_bridge/dip-inpaint.py" in config["tool"]["setuptools"]["package-data"]["dip_plugin"]
