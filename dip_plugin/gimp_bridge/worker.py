"""The GIMP plug-in's worker: ``python -m dip_plugin.gimp_bridge.worker JOB_FOLDER [--watch-stdin]``.

GIMP's own Python has no numpy or torch, so the plug-in writes the layer and the selection into a private
folder and starts this module with the Python that ``dip gimp install`` recorded.

The job folder (the protocol, version 1)
----------------------------------------
``job.json``
    ``{"protocol": 1, "width": W, "height": H, "channels": C, "dtype": D, "preset": str, "iterations": int,
    "seed": int, "interactive": bool, "title": str}``.  ``C`` is 1 (gray), 2 (gray + alpha), 3 (RGB) or
    4 (RGBA); ``D`` is a babl component type: ``u8``, ``u16``, ``u32``, ``half``, ``float`` or ``double``.
    ``iterations`` 0 means the preset's default.
``image.raw``
    The layer, ``H×W×C`` samples of type ``D``, row-major, native byte order (GEGL's ``buffer.get`` bytes).
``mask.raw``
    The selection over the layer, ``H×W`` float32 in ``[0, 1]`` (1 = selected; feathered edges in between).
``result.raw``
    Written by the worker (atomically, via ``result.raw.part``), laid out like ``image.raw``.  Where the
    selection is 0 it equals ``image.raw`` byte for byte (interactively: unless the user painted more holes in
    the panel); elsewhere it is ``fill*m + image*(1 - m)``.

On stdout the worker prints only protocol lines: ``progress STEP TOTAL`` while it works and ``done`` at the
end.  It exits with 0 (``result.raw`` written), 1 (failed: the last line on stderr says why) or 3 (the user
pressed Cancel in the panel, or the plug-in went away).  With ``--watch-stdin`` it stops as soon as its
standard input closes, so a worker never outlives the plug-in that started it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

__all__ = [
    "DTYPES",
    "EXIT_CANCELLED",
    "EXIT_FAILED",
    "JobError",
    "main",
    "read_result",
    "run_job",
    "write_job",
]

PROTOCOL = 1
EXIT_FAILED = 1
EXIT_CANCELLED = 3
# babl component type -> numpy dtype name (native byte order, like GEGL's buffers).
DTYPES = {"u8": "uint8", "u16": "uint16", "u32": "uint32", "half": "float16", "float": "float32",
          "double": "float64"}


class JobError(Exception):
    """The job folder is not a valid job: missing files, wrong sizes, bad options."""


class _Cancelled(Exception):
    """The user cancelled, or the plug-in closed our standard input."""


def write_job(folder: str | os.PathLike, image: Any, mask: Any, *, preset: str = "balanced",
              iterations: int = 0, seed: int = 0, interactive: bool = False, title: str = "") -> Path:
    """Write a job for ``image`` (``H×W×C`` array of a :data:`DTYPES` type) and ``mask`` (``H×W``, 0..1).

    Does what the plug-in does, for tests and scripts; returns the folder.
    """
    import numpy as np

    folder = Path(folder)
    dtype = {np.dtype(v): k for k, v in DTYPES.items()}.get(np.dtype(image.dtype))
    if dtype is None:
        raise JobError(f"image dtype {image.dtype} is not one of {sorted(DTYPES.values())}")
    if image.ndim != 3:
        raise JobError(f"image must be H×W×C, got shape {image.shape}")
    height, width, channels = image.shape
    job = {"protocol": PROTOCOL, "width": width, "height": height, "channels": channels, "dtype": dtype,
           "preset": preset, "iterations": iterations, "seed": seed, "interactive": interactive, "title": title}
    (folder / "job.json").write_text(json.dumps(job, indent=1))
    (folder / "image.raw").write_bytes(np.ascontiguousarray(image).tobytes())
    (folder / "mask.raw").write_bytes(np.ascontiguousarray(mask, dtype=np.float32).tobytes())
    return folder


def read_result(folder: str | os.PathLike) -> Any:
    """The ``result.raw`` of a finished job as an ``H×W×C`` array."""
    import numpy as np

    job = _read_job(Path(folder))
    data = (Path(folder) / "result.raw").read_bytes()
    return np.frombuffer(data, DTYPES[job["dtype"]]).reshape(job["height"], job["width"], job["channels"])


def _read_job(folder: Path) -> dict:
    try:
        job = json.loads((folder / "job.json").read_text())
    except FileNotFoundError:
        raise JobError(f"no job.json in {folder}") from None
    except (OSError, ValueError) as exc:
        raise JobError(f"cannot read {folder / 'job.json'}: {exc}") from None
    if not isinstance(job, dict) or job.get("protocol") != PROTOCOL:
        raise JobError(f"job.json is not a version-{PROTOCOL} job (plug-in and package versions differ? "
                       "run `dip gimp install` again)")
    for key, kind in (("width", int), ("height", int), ("channels", int), ("dtype", str), ("preset", str),
                      ("iterations", int), ("seed", int)):
        if not isinstance(job.get(key), kind) or isinstance(job.get(key), bool):
            raise JobError(f"job.json: {key!r} must be {kind.__name__}, got {job.get(key)!r}")
    if job["dtype"] not in DTYPES:
        raise JobError(f"job.json: dtype {job['dtype']!r} is not one of {', '.join(DTYPES)}")
    if job["channels"] not in (1, 2, 3, 4) or job["width"] < 1 or job["height"] < 1:
        raise JobError(f"job.json: bad layer size {job['width']}×{job['height']}×{job['channels']}")
    _check_size(job)
    return job


def _check_size(job: dict) -> None:
    """A clear error for a layer above the pixel limit (``DIP_MAX_PIXELS``) or too large to address."""
    from ..imageio import MAX_PIXELS_ENV, max_pixels

    width, height = job["width"], job["height"]
    pixels = width * height  # Python integers: no overflow
    limit = max_pixels()
    if limit is not None and pixels > limit:
        raise JobError(f"the layer is {width}×{height} = {pixels:,} pixels, more than the limit of {limit:,}; "
                       f"select a smaller area, or raise the limit with the environment variable {MAX_PIXELS_ENV}")
    if pixels * job["channels"] * 8 > sys.maxsize:
        raise JobError(f"the layer is {width}×{height} pixels, too large to hold in memory; select a smaller area")


def _read_raw(path: Path, dtype: Any, shape: tuple[int, ...]) -> Any:
    import numpy as np

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise JobError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    expected = math.prod(shape) * np.dtype(dtype).itemsize
    if len(data) != expected:
        raise JobError(f"{path.name} has {len(data)} bytes, expected {expected} for shape {shape}")
    return np.frombuffer(data, dtype).reshape(shape)


def _to_engine(image: Any) -> Any:
    """The layer in a dtype the engine and the panel take: uint8, uint16 and float32 as they are, else float32."""
    import numpy as np

    if image.dtype == np.uint32:
        return (image / float(np.iinfo(np.uint32).max)).astype(np.float32)
    if image.dtype in (np.float16, np.float64):
        return image.astype(np.float32)
    return image


def _from_engine(result: Any, dtype: Any) -> Any:
    import numpy as np

    if np.dtype(dtype) == np.uint32 and result.dtype != np.uint32:
        top = float(np.iinfo(np.uint32).max)
        return np.rint(np.clip(result, 0.0, 1.0) * top).astype(np.uint32)
    return result.astype(dtype, copy=False)


def blend(fill: Any, source: Any, weight: Any) -> Any:
    """``fill*weight + source*(1 - weight)``; exactly ``source`` where ``weight`` is 0, ``fill`` where 1."""
    import numpy as np

    w = np.clip(weight, 0.0, 1.0).astype(np.float64)[..., None]
    mixed = fill.astype(np.float64) * w + source.astype(np.float64) * (1.0 - w)
    if np.issubdtype(source.dtype, np.integer):
        info = np.iinfo(source.dtype)
        mixed = np.clip(np.rint(mixed), info.min, info.max)
    return np.where(w > 0, mixed.astype(source.dtype), source)


def run_job(folder: str | os.PathLike, *, on_progress: Callable[[int, int], None] | None = None,
            should_stop: Callable[[], bool] | None = None) -> Path:
    """Run the job in ``folder`` and write its ``result.raw``; return that path.

    Raises :class:`JobError` for a bad job, ``ValueError``/``TypeError`` from the engine for bad input,
    and ``_Cancelled`` when the panel was cancelled or ``should_stop`` asked to stop.
    """
    import numpy as np

    folder = Path(folder)
    job = _read_job(folder)
    shape = (job["height"], job["width"], job["channels"])
    source = _read_raw(folder / "image.raw", DTYPES[job["dtype"]], shape)
    weight = _read_raw(folder / "mask.raw", np.float32, shape[:2])
    if not np.isfinite(weight).all():
        raise JobError("mask.raw contains NaN or infinite values")
    hole = weight > 0
    if not hole.any():
        raise ValueError("the selection does not cover any pixel of the layer")
    stop = should_stop or (lambda: False)

    engine_input = _to_engine(source)
    if job.get("interactive"):
        from ..app.dialog import run_restore_dialog

        fill = run_restore_dialog(engine_input, hole, title=job.get("title") or "Deep Image Prior",
                                  preset=job["preset"], iterations=job["iterations"], seed=job["seed"])
        if fill is None:
            raise _Cancelled("cancelled in the panel")
    else:
        from .. import inpaint

        def report(p: Any) -> None:
            if on_progress is not None:
                on_progress(p.step, p.total)

        fill = inpaint(engine_input, hole, preset=job["preset"], iterations=job["iterations"] or None,
                       seed=job["seed"], on_progress=report, should_stop=stop)
    if stop():
        raise _Cancelled("the plug-in closed the connection")
    fill = np.asarray(fill).reshape(shape)
    result = blend(_from_engine(fill, source.dtype), source, weight)
    if job.get("interactive"):
        # The panel lets the user paint more holes: keep its changes outside the selection too.
        painted = (fill != engine_input).any(axis=-1) & (weight <= 0)
        result[painted] = _from_engine(fill[painted], source.dtype)
    _write_result(folder, np.ascontiguousarray(result).tobytes())
    return folder / "result.raw"


def _write_result(folder: Path, data: bytes) -> None:
    """Write ``result.raw`` atomically through ``result.raw.part``, which is created anew: something placed
    there beforehand (a link to another file) is removed, never followed or written through."""
    part = folder / "result.raw.part"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(part)  # a link is removed itself, its target is left alone
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(part, flags, 0o600)
    except OSError as exc:
        raise JobError(f"cannot write {part.name}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fp:
            fp.write(data)
        os.replace(part, folder / "result.raw")
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(part)
        raise


def _message(exc: BaseException) -> str:
    """One line for the user."""
    name = type(exc).__name__
    if isinstance(exc, MemoryError) or name == "OutOfMemoryError" or "out of memory" in str(exc).lower():
        return ("out of memory: the layer is too large for this machine; select a smaller area, use a smaller "
                "layer or the 'fast' preset")
    if isinstance(exc, ModuleNotFoundError):
        return (f"{sys.executable} cannot import {exc.name!r}: install dip_plugin with its dependencies into "
                "that Python and run `dip gimp install` again")
    if isinstance(exc, (JobError, ValueError, TypeError)):
        return str(exc)
    return f"{name}: {exc}"


def _watch(stream: IO[str], flag: threading.Event) -> None:
    try:
        while stream.readline():
            pass
    except (OSError, ValueError):
        pass
    flag.set()


def main(argv: list[str] | None = None) -> int:
    """Run one job; return the exit status (0, :data:`EXIT_FAILED` or :data:`EXIT_CANCELLED`)."""
    parser = argparse.ArgumentParser(prog="python -m dip_plugin.gimp_bridge.worker",
                                     description="Run one Deep Image Prior job written by the GIMP plug-in.")
    parser.add_argument("folder", type=Path, help="the job folder (job.json, image.raw, mask.raw)")
    parser.add_argument("--watch-stdin", action="store_true",
                        help="stop when standard input closes (the plug-in has gone)")
    args = parser.parse_args(argv)

    # stdout carries only protocol lines; anything else printed by libraries goes to stderr.
    protocol, sys.stdout = sys.stdout, sys.stderr
    gone = threading.Event()
    if args.watch_stdin:
        threading.Thread(target=_watch, args=(sys.stdin, gone), daemon=True).start()

    def send(line: str) -> None:
        protocol.write(line + "\n")
        protocol.flush()

    try:
        run_job(args.folder, on_progress=lambda step, total: send(f"progress {step} {total}"),
                should_stop=gone.is_set)
        send("done")
    except _Cancelled as exc:
        print(f"cancelled: {exc}", file=sys.stderr)
        return EXIT_CANCELLED
    except BrokenPipeError:
        return EXIT_CANCELLED  # the plug-in stopped reading: nobody is waiting for a result
    except Exception as exc:  # everything becomes one readable line for GIMP's message
        if not isinstance(exc, (JobError, ValueError, TypeError, MemoryError, ModuleNotFoundError)):
            traceback.print_exc()
        print(_message(exc), file=sys.stderr)
        return EXIT_FAILED
    finally:
        sys.stdout = protocol
    return 0


if __name__ == "__main__":
    sys.exit(main())
