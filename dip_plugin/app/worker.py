"""Running a restoration off the UI thread.

:class:`RestoreWorker` is a QObject that lives on a QThread, calls the engine with ``on_progress`` and
``should_stop`` and only emits signals; :class:`Runner` owns the thread and is what widgets talk to.

* ``stop()`` asks the engine to finish early: it returns the best result so far, sent as ``finished``.
* ``abort()`` does the same but throws the result away: ``cancelled`` is sent instead (window closing).
* Any exception becomes ``failed(message)``, with a readable message for out-of-memory errors.

Example
-------
>>> from dip_plugin.app.tasks import get_task
>>> job = Job(get_task("inpaint"), np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8), bool), preset="fast")
>>> job.kwargs()
{'preset': 'fast', 'seed': 0, 'device': 'auto'}
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PyQt6.QtCore import QObject, QThread, pyqtSignal, pyqtSlot

from .tasks import Session, Task

__all__ = ["Job", "Outcome", "RestoreWorker", "Runner", "error_message"]


@dataclass
class Job:
    """What to run.

    image, mask : the input (mask None for tasks that need none).
    iterations : 0 = the preset's default.
    options : the task's extra keyword arguments.
    session : a resumable fit to continue instead of starting a new one.
    resumable : open a session (when the task has one) so that a later job can continue it.
    """

    task: Task
    image: np.ndarray
    mask: np.ndarray | None
    preset: str = "balanced"
    iterations: int = 0
    seed: int = 0
    device: str = "auto"
    options: dict[str, Any] = field(default_factory=dict)
    session: Session | None = None
    resumable: bool = True

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments shared by the engine function and the session factory."""
        return {"preset": self.preset, "seed": self.seed, "device": self.device, **self.options}


@dataclass(frozen=True)
class Outcome:
    """A finished run.

    result : the restored image (shaped and typed like the input).
    stopped : True when Stop ended the run early (the result is the best one so far).
    last : the last progress record received (None if none came).
    elapsed : seconds the run took.
    session : the fit to continue with "Run more" (None when the task has no sessions).
    """

    job: Job
    result: np.ndarray
    stopped: bool
    last: Any
    elapsed: float
    session: Session | None


def _is_out_of_memory(exc: BaseException) -> bool:
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)


def error_message(exc: BaseException, job: Job | None = None) -> str:
    """A message for the user explaining ``exc``.

    Example
    -------
    >>> error_message(MemoryError())
    'Out of memory on the device. Try the "fast" preset, a smaller mask, or a smaller image.'
    """
    if _is_out_of_memory(exc):
        _release_device_memory()
        where = "on the device"
        if job is not None and job.device not in ("auto", ""):
            where = f"on {job.device}"
        return f'Out of memory {where}. Try the "fast" preset, a smaller mask, or a smaller image.'
    if isinstance(exc, (ValueError, TypeError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _release_device_memory() -> None:
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


class RestoreWorker(QObject):
    """Runs one :class:`Job`; lives on a QThread and communicates only through signals.

    Exactly one of ``finished(Outcome)``, ``failed(str)`` or ``cancelled()`` is emitted per run,
    after any number of ``progress(Progress)``.
    """

    progress = pyqtSignal(object)
    finished = pyqtSignal(object)
    failed = pyqtSignal(str)
    cancelled = pyqtSignal()

    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job
        self._stop = threading.Event()
        self._discard = False
        self._last: Any = None

    def stop(self) -> None:
        """Finish early and keep the best result so far (thread-safe)."""
        self._stop.set()

    def abort(self) -> None:
        """Finish early and drop the result (thread-safe)."""
        self._discard = True
        self._stop.set()

    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def _on_progress(self, record: Any) -> None:
        self._last = record
        self.progress.emit(record)

    @pyqtSlot()
    def run(self) -> None:
        """Run the job (in the worker's thread), emit the outcome, then end the thread's event loop."""
        try:
            start = time.perf_counter()
            result, session = self._run()
            outcome = Outcome(self.job, result, self._stop.is_set(), self._last, time.perf_counter() - start, session)
        except Exception as exc:  # every failure reaches the user as a message, never as a dead window
            if self._discard:
                self.cancelled.emit()
            else:
                self.failed.emit(error_message(exc, self.job))
        else:
            if self._discard:
                self.cancelled.emit()
            else:
                self.finished.emit(outcome)
        finally:
            thread = self.thread()
            if thread is not None:
                thread.quit()  # from this thread, so a main thread blocked in wait() cannot deadlock

    def _run(self) -> tuple[np.ndarray, Session | None]:
        job = self.job
        iterations = job.iterations or None
        callbacks = {"on_progress": self._on_progress, "should_stop": self._stop.is_set}
        session = job.session
        if session is None and job.resumable:
            session = job.task.open_session(job.image, job.mask, **job.kwargs())
        if session is not None:
            return session.run(iterations, **callbacks), session
        return job.task.call(job.image, job.mask, iterations=iterations, **job.kwargs(), **callbacks), None


class Runner(QObject):
    """Starts jobs on a fresh QThread and relays the worker's signals on the UI thread.

    ``idle`` is emitted once the thread has ended (after ``finished``/``failed``/``cancelled``).
    """

    progress = pyqtSignal(object)
    finished = pyqtSignal(object)
    failed = pyqtSignal(str)
    cancelled = pyqtSignal()
    started = pyqtSignal()
    idle = pyqtSignal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: RestoreWorker | None = None

    @property
    def worker(self) -> RestoreWorker | None:
        """The running worker (None when idle)."""
        return self._worker

    def is_running(self) -> bool:
        return self._thread is not None

    def start(self, job: Job) -> RestoreWorker:
        """Run ``job`` on a new thread; RuntimeError if one is still running."""
        if self._thread is not None:
            raise RuntimeError("a restoration is already running")
        thread = QThread()
        thread.setObjectName(f"dip-{job.task.name}")
        worker = RestoreWorker(job)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progress.connect(self.progress)
        worker.finished.connect(self.finished)
        worker.failed.connect(self.failed)
        worker.cancelled.connect(self.cancelled)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        thread.start()
        self.started.emit()
        return worker

    def stop(self) -> None:
        """Ask the running job to finish early, keeping its best result."""
        if self._worker is not None:
            self._worker.stop()

    def abort(self) -> None:
        """Ask the running job to finish early and drop its result."""
        if self._worker is not None:
            self._worker.abort()

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until the thread has ended (True) or ``timeout_ms`` passed (False); then tidy up."""
        if self._thread is None:
            return True
        if not self._thread.wait(timeout_ms):
            return False
        self._release()
        return True

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Abort and wait: for the last moment before the application quits."""
        self.abort()
        return self.wait(timeout_ms)

    def _on_thread_finished(self) -> None:
        if self._thread is not None and self._thread is self.sender():
            self._thread.wait()  # `finished` comes just before the thread really ends
            self._release()

    def _release(self) -> None:
        self._thread = None
        self._worker = None
        self.idle.emit()
