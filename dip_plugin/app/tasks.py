"""The restorations the app offers, and how each one calls the engine.

A :class:`Task` says what the controls panel shows (label, whether a mask is needed, extra
options) and which engine function runs it.  Adding a restoration is a few lines::

    register(Task(
        name="super_resolve", label="Upscale", needs_mask=False,
        function=engine_function("super_resolve"), presets="SR_PRESETS",
        options=(Option("scale", "Factor", 4, choices=(2, 4, 8)),),
    ))

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

__all__ = ["TASKS", "Option", "Session", "Task", "engine_function", "get_task", "register"]


class Session(Protocol):
    """A resumable fit: each :meth:`run` continues where the previous one stopped."""

    def run(self, iterations: int | None = None, *, on_progress: Callable[[Any], None] | None = None,
            should_stop: Callable[[], bool] | None = None) -> np.ndarray: ...


@dataclass(frozen=True)
class Option:
    """An extra keyword argument of a task's engine function, shown as a field in the controls.

    ``default`` decides the widget: a bool is a check box, an int a spin box, a float a decimal spin
    box; ``choices`` (a sequence of values) makes it a drop-down list.

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
    """

    name: str
    label: str
    needs_mask: bool
    function: Callable[..., np.ndarray]
    options: tuple[Option, ...] = ()
    session: Callable[..., Session | None] | None = None
    hint: str = ""
    presets: str = "PRESETS"

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


register(Task(
    name="inpaint",
    label="Fill holes (inpaint)",
    needs_mask=True,
    function=engine_function("inpaint"),
    session=_engine_session("InpaintSession"),
    hint="Paint over what should disappear, then Run.",
))
