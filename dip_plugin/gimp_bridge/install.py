"""Install the GIMP 3 plug-in into a GIMP profile folder, and remove it again.

``install()`` copies ``dip-inpaint.py`` to ``GIMP_DIR/plug-ins/dip-inpaint/dip-inpaint.py`` (GIMP only loads
``NAME/NAME.py`` files with the run bit) and writes ``dip-inpaint.json`` next to it with the Python to start
the worker with: the interpreter running ``install()``, i.e. the one where dip_plugin and torch live.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from .. import __version__

__all__ = ["PLUGIN_NAME", "default_gimp_dir", "install", "plugin_folder", "plugin_source", "uninstall"]

PLUGIN_NAME = "dip-inpaint"
CONFIG_NAME = f"{PLUGIN_NAME}.json"


def default_gimp_dir(platform: str | None = None, env: Mapping[str, str] | None = None,
                     home: Path | None = None) -> Path:
    """The user's GIMP 3 profile folder (``GIMP3_DIRECTORY`` wins when set, as it does for GIMP)."""
    platform = sys.platform if platform is None else platform
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    if env.get("GIMP3_DIRECTORY"):
        return Path(env["GIMP3_DIRECTORY"])
    if platform.startswith("win"):
        base = Path(env["APPDATA"]) if env.get("APPDATA") else home / "AppData" / "Roaming"
    elif platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
    return base / "GIMP" / "3.0"


def plugin_source() -> Path:
    """The plug-in file shipped inside the package."""
    return Path(__file__).with_name(f"{PLUGIN_NAME}.py")


def _profile(gimp_dir: str | os.PathLike | None) -> Path:
    if gimp_dir is None:
        return default_gimp_dir()
    if not os.fspath(gimp_dir).strip():
        raise ValueError("the GIMP profile folder is an empty name; give the folder (e.g. ~/.config/GIMP/3.0), "
                         "or none for the user's")
    return Path(gimp_dir)


def plugin_folder(gimp_dir: str | os.PathLike | None = None) -> Path:
    """``GIMP_DIR/plug-ins/dip-inpaint``; ``ValueError`` for an empty ``gimp_dir``."""
    return _profile(gimp_dir) / "plug-ins" / PLUGIN_NAME


def install(gimp_dir: str | os.PathLike | None = None, *, python: str | None = None) -> list[str]:
    """Install the plug-in into ``gimp_dir`` (default :func:`default_gimp_dir`); return what was done.

    ``python`` is the interpreter the plug-in will start (default ``sys.executable``).
    Raises ``OSError`` when the folder cannot be written, ``ValueError`` when there is no interpreter.
    """
    python = python or sys.executable
    if not python:
        raise ValueError("cannot tell which Python is running (sys.executable is empty); pass python=")
    source = plugin_source()
    if not source.is_file():
        raise FileNotFoundError(f"the plug-in file is missing from the package: {source}")
    root = _profile(gimp_dir)
    done = []
    if not root.exists():
        done.append(f"created {root} (GIMP has not used this profile folder yet)")
    folder = plugin_folder(root)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{PLUGIN_NAME}.py"
    if target.is_dir() and not target.is_symlink():
        raise FileExistsError(f"{target} is a folder where the plug-in file goes; remove it and install again")
    existed = target.exists()
    part = target.with_name(target.name + ".part")
    if part.is_symlink() or part.is_file():
        part.unlink()  # left by an earlier install: never written through
    try:
        shutil.copyfile(source, part)
        part.chmod(0o755)
        os.replace(part, target)
    except BaseException:
        if part.is_symlink() or part.is_file():
            part.unlink()
        raise
    done.append(f"{'replaced' if existed else 'installed'} the plug-in {target}")
    config = {"python": str(Path(python).absolute()), "dip_plugin": __version__}
    (folder / CONFIG_NAME).write_text(json.dumps(config, indent=1) + "\n")
    done.append(f"recorded the Python that runs the worker: {config['python']} (in {folder / CONFIG_NAME})")
    if python == sys.executable and importlib.util.find_spec("torch") is None:
        done.append("warning: torch is not installed in this Python; the plug-in will fail until it is")
    done.append("restart GIMP; the command is Filters ▸ Enhance ▸ Deep Image Prior Inpaint…")
    return done


def uninstall(gimp_dir: str | os.PathLike | None = None) -> list[str]:
    """Remove the plug-in folder's files that :func:`install` wrote; return what was done."""
    folder = plugin_folder(gimp_dir)
    if not folder.is_dir():
        return [f"nothing to remove: {folder} does not exist"]
    done = []
    for name in (f"{PLUGIN_NAME}.py", CONFIG_NAME, f"{PLUGIN_NAME}.py.part"):
        path = folder / name
        if path.is_file() or path.is_symlink():
            path.unlink()
            done.append(f"removed {path}")
    shutil.rmtree(folder / "__pycache__", ignore_errors=True)
    try:
        folder.rmdir()
        done.append(f"removed {folder}")
    except OSError:
        left = ", ".join(sorted(p.name for p in folder.iterdir()))
        done.append(f"kept {folder}: it holds files the installer did not write ({left})")
    return done
