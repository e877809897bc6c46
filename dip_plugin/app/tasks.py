"""The restorations the app offers, and how each one calls the engine.

A :class:`Task` says what the controls panel shows (label, whether a mask is needed, extra
options) and which engine function runs it.  Adding a restoration is a few lines::

    register(Task(
        name="super_resolve", label="Upscale", needs_mask=False, resizes=True,
        function=engine_function("super_resolve"), presets="SR_PRESETS",
        options=(Option("scale", "Factor", 2, choices=(2, 4, 8)),),
    ))

The app offers inpainting, denoising, upscaling, JPEG artifact removal and flash/no-flash
reconstruction.  :data:`SUGGEST_MASK` is not a restoration but runs the same way: it proposes a
scratch and dust mask for an old photo, which the user edits before inpainting.

The engine (and torch) is imported only when a task runs.

Example
-------
>>> task = get_task("inpaint")
>>> task.label, task.needs_mask
('Fill holes (inpaint)', True)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

__all__ = ["SUGGEST_MASK", "TASKS", "Option", "Session", "Task", "engine_function", "get_task", "register"]


class Session(Protocol):
    """A resumable fit: each :meth:`run` continues where the previous one stopped."""

    def run(self, iterations: int | None = None, *, on_progress: Callable[[Any], None] | None = None,
            should_stop: Callable[[], bool] | None = None) -> np.ndarray: ...


@dataclass(frozen=True)
class Option:
    """An extra keyword argument of a task's engine function, shown as a field in the controls.

    ``default`` decides the widget: a bool is a check box, an int a spin box, a float a decimal spin
    box; ``choices`` (a sequence of values) makes it a drop-down list; ``file=True`` makes it an image
    file field whose value is the chosen path (``""`` while none is chosen).

    Example
    -------
    >>> Option("scale", "Factor", 2, choices=(2, 4, 8)).choices
    (2, 4, 8)
    """

    name: str
    label: str
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] = ()
    tooltip: str = ""
    file: bool = False


@dataclass(frozen=True)
class Task:
    """One restoration: its name, how the UI presents it, and the engine call.

    name : identifier, also stored in the settings.
    label : text of the task picker.
    needs_mask : True when the user must paint what to restore (Run is disabled on an empty mask);
        the engine function is then called ``function(image, mask, **kw)``, else ``function(image, **kw)``.
    function : the engine function; it takes ``preset``, ``iterations``, ``seed``, ``device``,
        ``on_progress`` and ``should_stop`` keywords plus the :attr:`options`.
    options : extra keyword arguments, each shown as a field.
    session : optional factory ``session(image, mask, preset=, seed=, device=, **options)`` of a
        resumable :class:`Session`, used for "Run more"; it may return None when unavailable.
    hint : one line shown under the picker.
    presets : name of the engine's dict of this task's presets (name → ``Settings``, or an object with a
        ``settings`` attribute); the preset picker lists its keys.
    resizes : True when the result has another size than the image (upscaling).  Run more is then
        not offered (it would enlarge the result again), and windows that must hand back an image of
        the input's size (the GIMP plug-in's dialog) leave the task out.  Its ``scale`` option says how
        many times larger the result is (see :meth:`output_scale`).
    quick_look : False when the task cannot run on a crop of the image (Quick look is then not offered):
        flash/no-flash needs its second photo cropped alike.
    """

    name: str
    label: str
    needs_mask: bool
    function: Callable[..., np.ndarray]
    options: tuple[Option, ...] = ()
    session: Callable[..., Session | None] | None = None
    hint: str = ""
    presets: str = "PRESETS"
    resizes: bool = False
    quick_look: bool = True

    def output_scale(self, options: dict[str, Any]) -> int:
        """How many times wider and taller the result is than the image, with these options.

        Example
        -------
        >>> get_task("super_resolve").output_scale({"scale": 4}), get_task("denoise").output_scale({})
        (4, 1)
        """
        return int(options.get("scale", 1)) if self.resizes else 1

    def preset_iterations(self) -> dict[str, int]:
        """The task's preset names with each one's default iteration count (imports the engine)."""
        table = _engine_attr(self.presets) or {}
        return {name: int(getattr(p, "settings", p).iterations) for name, p in table.items()}

    def call(self, image: np.ndarray, mask: np.ndarray | None, **kwargs: Any) -> np.ndarray:
        """Run the engine function once."""
        if self.needs_mask:
            return self.function(image, mask, **kwargs)
        return self.function(image, **kwargs)

    def open_session(self, image: np.ndarray, mask: np.ndarray | None, **kwargs: Any) -> Session | None:
        """A resumable fit for this task, or None when the engine offers none."""
        if self.session is None:
            return None
        if self.needs_mask:
            return self.session(image, mask, **kwargs)
        return self.session(image, **kwargs)


def _engine_attr(name: str) -> Any:
    """``dip_plugin.engine.<name>``, or None when this version of the engine has none."""
    return getattr(importlib.import_module("dip_plugin.engine"), name, None)


def engine_function(name: str) -> Callable[..., np.ndarray]:
    """A function calling ``dip_plugin.engine.<name>``, imported on first call (torch loads slowly)."""

    def call(*args: Any, **kwargs: Any) -> np.ndarray:
        function = _engine_attr(name)
        if function is None:
            raise RuntimeError(f"this version of the engine has no {name!r}")
        return function(*args, **kwargs)

    call.__name__ = name
    call.__qualname__ = f"engine.{name}"
    return call


def _engine_session(name: str) -> Callable[..., Session | None]:
    """A session factory for the engine class ``name``, returning None when the engine lacks it."""

    def open_session(*args: Any, **kwargs: Any) -> Session | None:
        cls = _engine_attr(name)
        return None if cls is None else cls(*args, **kwargs)

    return open_session


TASKS: dict[str, Task] = {}


def register(task: Task) -> Task:
    """Add ``task`` to :data:`TASKS` (replacing one of the same name); returns it."""
    TASKS[task.name] = task
    return task


def get_task(name: str) -> Task:
    """The task called ``name``; ValueError lists the known ones."""
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; choose one of {', '.join(TASKS)}") from None


def _flash_no_flash(image: np.ndarray, *, flash: str = "", **kwargs: Any) -> np.ndarray:
    """``engine.flash_no_flash(<the file flash>, image, **kwargs)``: the open image is the photo taken
    without flash, ``flash`` the path of the same scene taken with flash."""
    from ..imageio import load_image

    if not flash:
        raise ValueError("Choose the photo taken with flash first (the Flash photo field).")
    pixels = load_image(flash).pixels
    if pixels.shape[:2] != image.shape[:2]:
        h, w = pixels.shape[:2]
        raise ValueError(f"The flash photo is {w}×{h} pixels but the image is {image.shape[1]}×{image.shape[0]}: "
                         "both must show the same scene at the same size.")
    return engine_function("flash_no_flash")(pixels, image, **kwargs)


def _suggest_mask(image: np.ndarray, *, sensitivity: float = 0.5, **_fit: Any) -> np.ndarray:
    """``engine.suggest_mask(image, sensitivity=)``, a bool mask.  It is a filter, not a fit: the fit's
    keywords that the worker passes (preset, iterations, seed, device, callbacks) are not used."""
    return engine_function("suggest_mask")(image, sensitivity=float(sensitivity))


register(Task(
    name="inpaint",
    label="Fill holes (inpaint)",
    needs_mask=True,
    function=engine_function("inpaint"),
    session=_engine_session("InpaintSession"),
    hint="Paint over what should disappear (or let Suggest mask find scratches and dust), then Run.",
))
register(Task(
    name="denoise",
    label="Remove noise",
    needs_mask=False,
    function=engine_function("denoise"),
    presets="DENOISE_PRESETS",
    hint="Removes grain and sensor noise from the whole image; the fit stops by itself before it "
         "reproduces the noise.",
))
register(Task(
    name="super_resolve",
    label="Upscale",
    needs_mask=False,
    function=engine_function("super_resolve"),
    presets="SR_PRESETS",
    # ×2 by default: each doubling of the factor gives four times as many pixels to fit.
    options=(Option("scale", "Factor", 2, choices=(2, 4, 8),
                    tooltip="How many times wider and taller the result is"),),
    hint="Enlarges the whole image by the factor.",
    resizes=True,
))
register(Task(
    name="jpeg",
    label="Remove JPEG artifacts",
    needs_mask=False,
    function=engine_function("remove_jpeg_artifacts"),
    presets="JPEG_PRESETS",
    hint="Smooths the 8×8 blocks and the ringing around edges of a strongly compressed JPEG.",
))
register(Task(
    name="flash_no_flash",
    label="Flash / no flash",
    needs_mask=False,
    function=_flash_no_flash,
    presets="FLASH_PRESETS",
    options=(Option("flash", "Flash photo", "", file=True,
                    tooltip="The same scene taken with flash, from the same place and at the same size"),),
    hint="Open the photo taken without flash and choose the one taken with flash: the result keeps the "
         "natural light and takes the flash photo's clean detail.",
    quick_look=False,
))

SUGGEST_MASK = Task(
    name="suggest_mask",
    label="Suggest scratch mask",
    needs_mask=False,
    function=_suggest_mask,
    presets="",
)
"""Proposes a mask of scratches and dust (``engine.suggest_mask``); runs like a task, not listed in :data:`TASKS`."""
