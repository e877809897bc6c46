"""What every restoration subcommand shares: options, path checks, progress, saving and error mapping.

A subcommand (``dip denoise``, ``dip super-resolve``, ...) is a module ``cmd_<name>.py`` with a few lines::

    from . import _common as common

    def register(subparsers):
        p = subparsers.add_parser("denoise", help="remove noise", description="...")
        p.add_argument("image", help="the photo to restore")
        common.add_common_options(p)  # -o/--output, --preset, --iterations, --seed, --device, --quiet, ...
        p.set_defaults(func=run)

    def run(args) -> int:
        output = common.check_output(args.output, args.image)  # folder exists, known extension, not an input
        common.check_side_outputs(args, output, args.image)    # --gif / --save-progress name no input
        image = common.read_image(args.image)            # ImageIOError -> CliError
        common.check_result(args, output, image)         # the format holds it; warn of each loss
        common.check_options(args)                       # preset, iterations, --gif / --save-progress paths
        from dip_plugin import denoise
        common.run_engine(denoise, image.pixels, args=args, label=args.image,   # the result is written
                          save=lambda r: common.write_image(output, r, like=image))  # before the GIF
        return 0

(``check_options`` imports the engine, and so torch, to know its presets: calling it after the quick
checks of the files makes those errors instant.)

:func:`run_engine` passes ``preset``, ``iterations``, ``seed`` and ``device`` from ``args``, shows a tqdm
progress bar on stderr (unless ``--quiet``), saves progress frames / an animated GIF when asked, and turns
the engine's ``ValueError``/``TypeError`` into :class:`~dip_plugin.cli.CliError`.  Ctrl-C raises
``KeyboardInterrupt`` out of it, which ``dip`` turns into exit status 130; since the output is written only
after the fit, and atomically, nothing is left behind (progress frames already written stay).

Nothing here imports torch at import time, so ``dip --help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..imageio import (
    ImageIOError,
    LoadedImage,
    atomic_write,
    check_writable,
    load_image,
    load_mask,
    output_format,
    save_image,
)
from ..imageio_limits import os_error_text
from . import CliError

__all__ = [
    "DEVICES",
    "PRESET_NAMES",
    "ProgressSink",
    "add_common_options",
    "check_options",
    "check_output",
    "check_result",
    "check_side_outputs",
    "describe_failures",
    "engine_options",
    "is_folder",
    "probe",
    "read_image",
    "read_mask",
    "run_engine",
    "same_file",
    "warn",
    "write_image",
]

# Shown in --help without importing the engine; check_options validates against the engine's PRESETS.
PRESET_NAMES = ("fast", "balanced", "quality", "paper")
DEVICES = ("auto", "cpu", "cuda", "mps")
GIF_MAX_SIDE = 480  # animated GIF frames are downscaled to this longest side
GIF_MAX_FRAMES = 200  # beyond this, every other frame is dropped


def add_common_options(parser: argparse.ArgumentParser, *, output_help: str | None = None) -> None:
    """Add the options every restoration command takes.

    ``-o/--output`` (required), ``--preset``, ``--iterations``, ``--seed``, ``--device``, ``--quiet``,
    ``--save-progress DIR``, ``--gif FILE``.

    Example
    -------
    >>> p = argparse.ArgumentParser(prog="dip demo")
    >>> add_common_options(p)
    >>> a = p.parse_args(["-o", "out.png", "--preset", "fast"])
    >>> a.output, a.preset, a.iterations, a.seed, a.device, a.quiet
    ('out.png', 'fast', None, 0, 'auto', False)
    """
    parser.add_argument(
        "-o", "--output", required=True, metavar="OUTPUT",
        help=output_help or "where to write the result; the format follows the extension "
        "(.png, .jpg, .tif, .webp, .bmp)",
    )
    group = parser.add_argument_group("fit options")
    group.add_argument(
        "--preset", default="balanced", metavar="NAME",
        help=f"speed/quality trade-off: {', '.join(PRESET_NAMES)} (default: balanced)",
    )
    group.add_argument(
        "--iterations", type=int, default=None, metavar="N",
        help="most optimisation steps per fitted region (default: the preset's; 0 = the preset's)",
    )
    group.add_argument("--seed", type=int, default=0, metavar="N",
                       help="random seed; the same seed gives the same result on the CPU (default: 0)")
    group.add_argument("--device", default="auto", choices=DEVICES,
                       help="where to compute: auto picks CUDA, then Apple MPS, then the CPU (default: auto)")
    shown = parser.add_argument_group("output of the run")
    shown.add_argument("-q", "--quiet", action="store_true", help="no progress bar or messages, only errors")
    shown.add_argument("--save-progress", metavar="DIR", default=None,
                       help="also save the intermediate results as PNG files in DIR (created if missing)")
    shown.add_argument("--gif", metavar="FILE", default=None,
                       help="also write an animated GIF of the fit to FILE (.gif)")


def check_options(args: argparse.Namespace) -> None:
    """Raise :class:`CliError` for a bad ``--preset``, ``--iterations``, ``--seed``, ``--gif`` or ``--save-progress``.

    Imports the engine (torch) to know its presets.
    """
    from ..engine import PRESETS

    if args.preset not in PRESETS:
        raise CliError(f"unknown preset {args.preset!r} for --preset; choose one of {', '.join(PRESETS)}")
    if args.iterations is not None and args.iterations < 0:
        raise CliError(f"--iterations must be 0 or more (0 = the preset's default), got {args.iterations}")
    from ..engine.presets import MAX_SEED

    if not 0 <= args.seed <= MAX_SEED:
        raise CliError(f"--seed must be between 0 and {MAX_SEED}, got {args.seed}")
    if getattr(args, "gif", None):
        gif = Path(args.gif)
        if gif.suffix.lower() != ".gif":
            raise CliError(f"--gif {gif}: the file name must end in .gif")
        _check_folder(gif, "--gif")
    if getattr(args, "save_progress", None):
        folder = Path(args.save_progress)
        found = probe(folder, "--save-progress")
        if found is not None and not stat.S_ISDIR(found.st_mode):
            raise CliError(f"--save-progress {folder}: this is a file, not a folder")
        if found is None and not is_folder(folder.parent, "--save-progress"):
            raise CliError(f"--save-progress {folder}: its parent folder {folder.parent} does not exist")


def check_side_outputs(args: argparse.Namespace, output: str | os.PathLike[str],
                       *inputs: str | os.PathLike[str] | None) -> None:
    """Refuse a ``--gif`` or ``--save-progress`` that names the output or an input, and a
    ``--save-progress`` folder that already holds progress frames (the run would overwrite them)."""
    named = [(output, "the output file")] + [(source, "an input") for source in inputs if source is not None]
    sides = (("--gif", getattr(args, "gif", None)), ("--save-progress", getattr(args, "save_progress", None)))
    for option, value in sides:
        if not value:
            continue
        for other, what in named:
            if same_file(value, other):
                raise CliError(f"{option} {value} is {what} too; give another name")
    folder = getattr(args, "save_progress", None)
    if folder and is_folder(folder, "--save-progress"):
        try:
            earlier = next(Path(folder).glob("step_*.png"), None)
        except OSError:
            earlier = None
        if earlier is not None:
            raise CliError(f"--save-progress {folder} already holds progress frames ({earlier.name}); "
                           "give a new or empty folder")


def probe(path: str | os.PathLike[str], option: str) -> os.stat_result | None:
    """``os.stat(path)``, None when nothing is there; :class:`CliError` naming ``option`` when the path
    cannot be looked at (a folder on the way without search permission, a name over 255 bytes, ...)."""
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise CliError(f"{option} {path}: {os_error_text(exc)}") from None
    except ValueError as exc:  # a NUL byte in the name
        raise CliError(f"{option} {path!r}: {_one_line(exc)}") from None


def is_folder(path: str | os.PathLike[str], option: str) -> bool:
    """True when ``path`` is a folder; see :func:`probe` for the errors."""
    found = probe(path, option)
    return found is not None and stat.S_ISDIR(found.st_mode)


def _check_folder(path: Path, what: str) -> None:
    folder = path.parent
    if not is_folder(folder, what):
        raise CliError(f"{what} {path}: the folder {folder} does not exist; create it first")
    if is_folder(path, what):
        raise CliError(f"{what} {path} is a folder; give a file name")


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """True when ``a`` and ``b`` name the same file (also through links or ``..``)."""
    a, b = Path(a), Path(b)
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def check_output(output: str | os.PathLike[str], *inputs: str | os.PathLike[str] | None,
                 option: str = "-o/--output") -> Path:
    """Check an output path before any work: known extension, existing folder, not one of ``inputs``.

    Returns it as a :class:`~pathlib.Path`; raises :class:`CliError` otherwise.
    """
    path = Path(output)
    try:
        output_format(path)
    except ImageIOError as exc:
        raise CliError(f"{option}: {exc}") from None
    _check_folder(path, option)
    for source in inputs:
        if source is not None and same_file(path, source):
            raise CliError(f"{option} {path} is also an input; write the result to another file")
    return path


def warn(args: argparse.Namespace, text: str) -> None:
    """Print ``dip: warning: TEXT`` on stderr, unless ``--quiet``."""
    if not getattr(args, "quiet", False):
        print(f"dip: warning: {text}", file=sys.stderr)


def check_result(args: argparse.Namespace, output: str | os.PathLike[str], like: LoadedImage, *,
                 pixels: np.ndarray | None = None, size: tuple[int, int] | None = None, label: str = "") -> None:
    """Before the fit: :class:`CliError` if the result cannot be written to ``output`` (e.g. too wide for
    WebP); a warning line (see :func:`warn`) for each loss writing it makes (alpha flattened for JPEG,
    16 bits written as 8, EXIF too long for JPEG, frames after the first, ...).

    ``pixels`` (default ``like.pixels``) has the result's layout and dtype, ``size`` its (width, height)
    when that differs; ``label`` prefixes the warnings (batch mode names the file).
    """
    try:
        notes = check_writable(output, like.pixels if pixels is None else pixels, like=like, size=size)
    except ImageIOError as exc:
        raise CliError(str(exc)) from None
    for note in notes:
        warn(args, f"{label}{note}")


def read_image(path: str | os.PathLike[str]) -> LoadedImage:
    """:func:`~dip_plugin.imageio.load_image`, with its errors as :class:`CliError`."""
    try:
        return load_image(path)
    except ImageIOError as exc:
        raise CliError(str(exc)) from None


def read_mask(path: str | os.PathLike[str], shape: tuple[int, int]) -> np.ndarray:
    """:func:`~dip_plugin.imageio.load_mask`, with its errors as :class:`CliError`."""
    try:
        return load_mask(path, shape)
    except ImageIOError as exc:
        raise CliError(str(exc)) from None


def write_image(path: str | os.PathLike[str], pixels: np.ndarray, *, like: LoadedImage | None = None) -> None:
    """:func:`~dip_plugin.imageio.save_image` (atomic), with its errors as :class:`CliError`."""
    try:
        save_image(path, pixels, like=like)
    except ImageIOError as exc:
        raise CliError(str(exc)) from None


def engine_options(args: argparse.Namespace) -> dict[str, Any]:
    """The engine keyword arguments the common options set.

    Example
    -------
    >>> engine_options(argparse.Namespace(preset="fast", iterations=None, seed=3, device="cpu"))
    {'preset': 'fast', 'iterations': None, 'seed': 3, 'device': 'cpu'}
    """
    return {"preset": args.preset, "iterations": args.iterations, "seed": args.seed, "device": args.device}


class ProgressSink:
    """The engine's ``on_progress`` for the command line: a tqdm bar on stderr, progress frames, a GIF.

    Use as a context manager; call :meth:`finish` after a completed fit (it writes the GIF).  An
    interrupted fit writes no GIF.

    ``label`` names the run on the bar; ``frames_dir`` receives ``step_000010.png``, ... ; ``gif`` is the
    animated GIF to write; ``quiet`` hides the bar; ``postprocess`` is applied to each preview before it
    is saved (the command applies it to the result too).
    """

    def __init__(self, label: str, *, quiet: bool = False, frames_dir: str | os.PathLike[str] | None = None,
                 gif: str | os.PathLike[str] | None = None,
                 postprocess: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
        self.label = label
        self.postprocess = postprocess
        self.quiet = quiet
        self.frames_dir = Path(frames_dir) if frames_dir else None
        self.gif = Path(gif) if gif else None
        self._bar: Any = None
        self._frames: list[Any] = []
        self._gif_stride = 1
        self._gif_calls = 0
        self.last_step = 0
        self.started = time.perf_counter()

    def __enter__(self) -> ProgressSink:
        if self.frames_dir is not None:
            try:
                self.frames_dir.mkdir(exist_ok=True)
            except OSError as exc:
                raise CliError(f"--save-progress {self.frames_dir}: cannot create it ({exc.strerror})") from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __call__(self, p: Any) -> None:
        self.last_step = p.step
        if not self.quiet:
            self._update_bar(p)
        if self.frames_dir is None and self.gif is None:
            return
        preview = p.preview if self.postprocess is None else self.postprocess(p.preview)
        if self.frames_dir is not None:
            write_image(self.frames_dir / f"step_{p.step:06d}.png", preview)
        if self.gif is not None:
            self._add_gif_frame(preview)

    def _update_bar(self, p: Any) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=p.total, desc=self.label, unit="it", file=sys.stderr, dynamic_ncols=True,
                             leave=True)
        self._bar.total = p.total
        self._bar.update(max(0, p.step - self._bar.n))
        if p.loss == p.loss:  # not NaN (the first report comes before any step)
            self._bar.set_postfix(loss=f"{p.loss:.4g}", refresh=False)

    def _add_gif_frame(self, preview: np.ndarray) -> None:
        self._gif_calls += 1
        if (self._gif_calls - 1) % self._gif_stride:
            return
        self._frames.append(_gif_frame(preview))
        if len(self._frames) > GIF_MAX_FRAMES:
            self._frames = self._frames[::2]
            self._gif_stride *= 2

    def complete(self) -> None:
        """Mark the fit done: fill the bar and close it."""
        if self._bar is not None:
            self._bar.update(max(0, self._bar.total - self._bar.n))
            self.close()

    def finish(self, result: np.ndarray | None = None) -> None:
        """:meth:`complete`, and write the GIF (ending on ``result``)."""
        self.complete()
        if self.gif is not None:
            if result is not None:
                self._frames.append(_gif_frame(result))
            if self._frames:
                _write_gif(self.gif, self._frames)


def _gif_frame(pixels: np.ndarray) -> Any:
    from PIL import Image

    from ..imageio import _flatten_on_white, _to_uint8

    a = _to_uint8(pixels)
    if a.ndim == 3 and a.shape[-1] in (2, 4):
        a = _flatten_on_white(a)
    im = Image.fromarray(a).convert("RGB")
    scale = GIF_MAX_SIDE / max(im.size)
    if scale < 1:
        im = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), Image.Resampling.LANCZOS)
    return im


def _write_gif(path: Path, frames: list[Any]) -> None:
    durations = [100] * len(frames)
    durations[-1] = 2000  # hold the result
    try:
        with atomic_write(path) as fp:
            frames[0].save(fp, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0)
    except ImageIOError as exc:
        raise CliError(str(exc)) from None


def run_engine(fn: Callable[..., np.ndarray], *inputs: Any, args: argparse.Namespace, label: str = "",
               frames_dir: str | os.PathLike[str] | None = None, gif: str | os.PathLike[str] | None = None,
               postprocess: Callable[[np.ndarray], np.ndarray] | None = None,
               save: Callable[[np.ndarray], None] | None = None, **kwargs: Any) -> np.ndarray:
    """Call the engine function ``fn(*inputs, preset=..., iterations=..., seed=..., device=..., **kwargs)``.

    Shows progress (see :class:`ProgressSink`; ``frames_dir`` and ``gif`` default to ``--save-progress``
    and ``--gif``), and maps ``ValueError``/``TypeError`` from the engine, and running out of memory, to
    :class:`CliError`.  ``KeyboardInterrupt`` passes through.  ``postprocess`` (if given) is applied to
    the previews and to the result, which is returned.  ``save`` (if given) writes the result before
    the GIF is written: a GIF that cannot be written never costs the result.
    """
    if frames_dir is None:
        frames_dir = getattr(args, "save_progress", None)
    if gif is None:
        gif = getattr(args, "gif", None)
    options = {**engine_options(args), **kwargs}
    with ProgressSink(label, quiet=args.quiet, frames_dir=frames_dir, gif=gif, postprocess=postprocess) as sink:
        try:
            result = fn(*inputs, on_progress=sink, **options)
        except (ValueError, TypeError) as exc:
            sink.close()
            raise CliError(_one_line(exc)) from None
        except MemoryError:
            sink.close()
            raise CliError(_out_of_memory(args)) from None
        except RuntimeError as exc:
            sink.close()
            if "out of memory" in str(exc).lower():
                raise CliError(_out_of_memory(args)) from None
            raise
        if postprocess is not None:
            result = postprocess(result)
        if save is not None:
            sink.complete()
            save(result)
        try:
            sink.finish(result)
        except CliError as exc:
            if save is None:
                raise
            raise CliError(f"--gif: {exc} (the result itself was written)") from None
    return result


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _out_of_memory(args: argparse.Namespace) -> str:
    return (f"out of memory on device {args.device!r}; try --preset fast, a smaller image, or "
            "--device cpu (which uses system memory)")


def describe_failures(failures: Sequence[tuple[str, str]], total: int) -> str:
    """A multi-line summary of a batch's failed files, for stderr."""
    lines = [f"dip: {len(failures)} of {total} images failed:"]
    lines += [f"  {name}: {reason}" for name, reason in failures]
    return "\n".join(lines)
