"""Progress records sent to callers, and the throttle that decides when to send them."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Progress", "ProgressCallback", "Reporter", "StopCallback"]


@dataclass(frozen=True)
class Progress:
    """A snapshot of a running restoration.

    step, total : steps done and planned (early stopping may end before ``total``).
    loss : the energy on the known pixels at ``step``.
    elapsed : seconds since the call started.
    preview : the current result, shaped and typed like the final one.
    """

    step: int
    total: int
    loss: float
    elapsed: float
    preview: np.ndarray


ProgressCallback = Callable[[Progress], None]
StopCallback = Callable[[], bool]


# A preview that took t seconds to build is followed by the next one no sooner than this many times t.
PREVIEW_SHARE = 5.0


class Reporter:
    """Calls ``on_progress`` every ``every`` steps, but not more often than ``min_interval`` s.

    Builds the preview only when it will be sent, since that can cost a full-image conversion.
    """

    def __init__(self, on_progress: ProgressCallback | None, should_stop: StopCallback | None,
                 total: int, every: int = 10, min_interval: float = 0.2) -> None:
        self.on_progress = on_progress
        self.should_stop = should_stop or (lambda: False)
        self.total = total
        self.every = max(1, every)
        self.min_interval = min_interval
        self.start = time.perf_counter()
        self._last_sent = -1e9
        self._last_cost = 0.0

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def report(self, step: int, loss: float, preview: Callable[[], np.ndarray], force: bool = False) -> None:
        """Send a :class:`Progress` if it is due (or ``force``)."""
        if self.on_progress is None:
            return
        now = time.perf_counter()
        due = (step % self.every == 0
               and now - self._last_sent >= max(self.min_interval, PREVIEW_SHARE * self._last_cost))
        if not (due or force):
            return
        image = preview()
        self._last_sent = time.perf_counter()
        self._last_cost = self._last_sent - now
        self.on_progress(Progress(step, self.total, float(loss), now - self.start, image))

    def stop_requested(self) -> bool:
        return bool(self.should_stop())
