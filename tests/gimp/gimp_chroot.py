"""Run the real GIMP 3 from the Debian 13 chroot that ``.ci/gimp-setup`` builds.

``DIP_GIMP_ROOT`` names the chroot (default ``~/.cache/dip-gimp-trixie``).  Without a usable chroot (or
without root, or off Linux) the GIMP tests skip with the reason, unless ``DIP_REQUIRE_GIMP=1``: then they fail.

The worker Python must run inside the chroot.  When it is a self-contained installation outside the system
folders (pyenv, a venv made from it) its folders are bind-mounted at the same paths.  A Python whose base is
the system's (``/usr``) cannot be mounted over the chroot's own ``/usr``; then the host's root is mounted at
``/host`` and the plug-in's recorded interpreter is a wrapper that runs the same Python there (``chroot /host``).
``DIP_GIMP_WORKER=direct|host`` forces one way.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import dip_plugin

HERE = Path(__file__).resolve().parent
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/proc", "/dev")  # the chroot has its own
GIMP_TIMEOUT = 600


def gimp_root() -> Path:
    return Path(os.environ.get("DIP_GIMP_ROOT") or Path.home() / ".cache" / "dip-gimp-trixie")


def gimp_unavailable() -> str | None:
    """Why the real GIMP cannot be run here, or None."""
    root = gimp_root()
    if not sys.platform.startswith("linux"):
        return "the GIMP 3 chroot needs Linux"
    if os.geteuid() != 0:
        return "running GIMP in its chroot needs root (mounts, chroot)"
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is missing"
    if not (root / ".ready").is_file():
        return f"no GIMP 3 chroot at {root} (build it with `source .ci/gimp-setup`, or set DIP_GIMP_ROOT)"
    if not (root / "usr/bin/gimp-console-3.0").exists():
        return f"{root} has no gimp-console-3.0"
    return None


def _inside(path: str, folders: tuple[str, ...]) -> bool:
    return any(path == f or path.startswith(f + "/") for f in folders)


def worker_mode() -> str:
    """``direct`` when this Python's folders can be mounted into the chroot as they are, else ``host``."""
    forced = os.environ.get("DIP_GIMP_WORKER")
    if forced in ("direct", "host"):
        return forced
    paths = [sys.prefix, sys.base_prefix, os.path.realpath(sys.executable)]
    return "host" if any(_inside(os.path.realpath(p), SYSTEM) for p in paths) else "direct"


def dip_command() -> list[str]:
    """The ``dip`` entry point of this environment."""
    script = Path(sys.executable).with_name("dip")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dip_plugin"]


def run_gimp_batch(root: Path, work: Path, driver: Path, env: dict[str, str], mounts: list[str],
                   timeout: int = GIMP_TIMEOUT) -> subprocess.CompletedProcess:
    """Run ``driver`` in ``gimp-console-3.0`` inside ``root``, ``work`` mounted writable at the same path."""
    script = work / driver.name
    shutil.copyfile(driver, script)
    clean = {"HOME": str(work / "home"), "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
             "GIMP3_DIRECTORY": str(work / "gimpdir"), "TMPDIR": str(work / "tmp"), **env}
    (work / "home").mkdir(exist_ok=True)
    (work / "tmp").mkdir(exist_ok=True)
    batch = f"exec(compile(open({str(script)!r}).read(), {str(script)!r}, 'exec'))"
    command = [str(HERE / "chroot-run.sh"), str(root), *mounts, f"rw:{work}", "--",
               "timeout", "-k", "10", str(timeout), "env", "-i", *(f"{k}={v}" for k, v in clean.items()),
               "gimp-console-3.0", "-i", "--batch-interpreter=python-fu-eval", "-b", batch, "--quit"]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout + 60)


def prepare_worker(work: Path, config: Path) -> list[str]:
    """Make the recorded worker Python runnable inside the chroot; return the mount specs for that."""
    recorded = json.loads(config.read_text())["python"]
    if worker_mode() == "direct":
        mounts = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)}
        checkout = Path(dip_plugin.__file__).resolve().parents[1]  # an editable install imports from here
        if not _inside(str(checkout), tuple(mounts)):
            mounts.add(str(checkout))
        return [f"ro:{p}" for p in sorted(mounts)]
    wrapper = work / "host-python"
    enter = 'cd "$1" && shift && exec "$@"'
    wrapper.write_text("#!/bin/sh\n# the host's worker Python, run in the host's root (mounted at /host)\n"
                       f"exec /usr/sbin/chroot /host /bin/sh -c '{enter}' sh \"$PWD\" {shlex.quote(recorded)} \"$@\"\n")
    wrapper.chmod(0o755)
    config.write_text(json.dumps({**json.loads(config.read_text()), "python": str(wrapper)}))
    return ["host"]
