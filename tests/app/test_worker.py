"""The background worker: signals, Stop, abort, failures, resumed fits; the UI thread is never blocked."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from dip_plugin.app.tasks import Task, get_task
from dip_plugin.app.worker import Job, Outcome, Runner, error_message


def _job(image, mask, **kw) -> Job:
    kw.setdefault("iterations", 20)
    return Job(get_task("inpaint"), image, mask, preset="fast", device="cpu", **kw)


def test_progress_then_finished_with_the_result(qtbot, image, mask) -> None:
    runner = Runner()
    records, outcomes = [], []
    runner.progress.connect(records.append)
    runner.finished.connect(outcomes.append)
    with qtbot.waitSignals([runner.started, runner.progress, runner.finished, runner.idle], order="simple",
                           timeout=60000):
        runner.start(_job(image, mask))
    assert len(outcomes) == 1
    outcome = outcomes[0]
    assert isinstance(outcome, Outcome)
    assert not outcome.stopped
    assert outcome.result.shape == image.shape and outcome.result.dtype == np.uint8
    assert np.array_equal(outcome.result[~mask], image[~mask])
    assert records[0].step == 0 and records[-1].step == records[-1].total
    assert all(r.preview.shape == image.shape for r in records)
    assert outcome.session is not None  # the engine offers a resumable fit
    assert not runner.is_running()


def test_stop_keeps_the_best_result_and_ends_promptly(qtbot, image, mask) -> None:
    runner = Runner()
    stopped_at = []

    def stop_on_first(record):  # runs in the worker thread, so the stop lands before the fit goes on
        if not stopped_at:
            stopped_at.append(time.perf_counter())
            runner.stop()

    with qtbot.waitSignal(runner.started):
        worker = runner.start(_job(image, mask, iterations=20))
        worker.progress.connect(stop_on_first, Qt.ConnectionType.DirectConnection)
    with qtbot.waitSignal(runner.finished, timeout=30000) as blocker:
        pass
    qtbot.waitUntil(lambda: not runner.is_running(), timeout=5000)
    outcome = blocker.args[0]
    assert outcome.stopped
    assert outcome.last.step < outcome.last.total
    assert outcome.result.shape == image.shape
    assert np.array_equal(outcome.result[~mask], image[~mask])
    assert time.perf_counter() - stopped_at[0] < 5.0


def test_abort_sends_cancelled_and_no_result(qtbot, image, mask) -> None:
    runner = Runner()
    finished = []
    runner.finished.connect(finished.append)
    worker = runner.start(_job(image, mask))
    worker.progress.connect(lambda r: runner.abort(), Qt.ConnectionType.DirectConnection)
    with qtbot.waitSignals([runner.cancelled, runner.idle], timeout=30000):
        pass
    assert finished == []


def test_shutdown_blocks_until_the_thread_has_ended(qtbot, image, mask) -> None:
    runner = Runner()
    runner.start(_job(image, mask, iterations=20))
    assert runner.is_running()
    assert runner.shutdown(30000)
    assert not runner.is_running()


def test_a_second_start_while_running_is_refused(qtbot, image, mask) -> None:
    runner = Runner()
    runner.start(_job(image, mask))
    try:
        with pytest.raises(RuntimeError, match="already running"):
            runner.start(_job(image, mask))
    finally:
        assert runner.shutdown()


def _failing_task(exc: BaseException) -> Task:
    def boom(image, mask, **kwargs):
        raise exc

    return Task("boom", "Boom", needs_mask=True, function=boom)


@pytest.mark.parametrize(("exc", "expected"), [
    (ValueError("the mask covers every visible pixel"), "the mask covers every visible pixel"),
    (RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"), "Out of memory on cuda"),
    (MemoryError(), "Out of memory"),
    (ZeroDivisionError("division by zero"), "ZeroDivisionError: division by zero"),
])
def test_failures_become_a_message(qtbot, image, mask, exc, expected) -> None:
    runner = Runner()
    job = Job(_failing_task(exc), image, mask, device="cuda" if "CUDA" in str(exc) else "auto")
    with qtbot.waitSignal(runner.failed, timeout=10000) as blocker:
        runner.start(job)
    qtbot.waitUntil(lambda: not runner.is_running(), timeout=5000)
    assert blocker.args[0].startswith(expected)


def test_out_of_memory_message_suggests_what_to_do() -> None:
    text = error_message(MemoryError())
    assert "fast" in text and "smaller" in text


class _FakeSession:
    def __init__(self) -> None:
        self.calls = []

    def run(self, iterations=None, *, on_progress=None, should_stop=None):
        self.calls.append(iterations)
        return np.full((4, 4, 3), len(self.calls), np.uint8)


def test_a_job_with_a_session_continues_it(qtbot) -> None:
    session = _FakeSession()
    task = Task("t", "T", needs_mask=True, function=lambda *a, **k: pytest.fail("must not start a new fit"))
    runner = Runner()
    for expected in (1, 2):
        job = Job(task, np.zeros((4, 4, 3), np.uint8), np.ones((4, 4), bool), iterations=7, session=session)
        with qtbot.waitSignal(runner.finished, timeout=10000) as blocker:
            runner.start(job)
        qtbot.waitUntil(lambda: not runner.is_running(), timeout=5000)
        assert blocker.args[0].session is session
        assert int(blocker.args[0].result[0, 0, 0]) == expected
    assert session.calls == [7, 7]


def test_a_task_without_sessions_calls_its_function(qtbot) -> None:
    seen = {}

    def function(image, mask, **kwargs):
        seen.update(kwargs)
        return image + 1

    runner = Runner()
    job = Job(Task("t", "T", needs_mask=True, function=function), np.zeros((4, 4), np.uint8),
              np.ones((4, 4), bool), preset="quality", iterations=0, seed=5)
    with qtbot.waitSignal(runner.finished, timeout=10000) as blocker:
        runner.start(job)
    qtbot.waitUntil(lambda: not runner.is_running(), timeout=5000)
    assert blocker.args[0].session is None
    assert int(blocker.args[0].result.max()) == 1
    assert {k: seen[k] for k in ("preset", "iterations", "seed")} == {"preset": "quality", "iterations": None,
                                                                        "seed": 5}
    assert callable(seen["on_progress"]) and callable(seen["should_stop"])


def test_real_session_continues_from_where_it_stopped(qtbot, image, mask) -> None:
    runner = Runner()
    with qtbot.waitSignal(runner.finished, timeout=60000) as first:
        runner.start(_job(image, mask, iterations=5))
    qtbot.waitUntil(lambda: not runner.is_running(), timeout=5000)
    session = first.args[0].session
    done = session.steps_done
    with qtbot.waitSignal(runner.finished, timeout=60000) as second:
        runner.start(_job(image, mask, iterations=5, session=session))
    qtbot.waitUntil(lambda: not runner.is_running(), timeout=5000)
    assert second.args[0].session is session
    assert session.steps_done > done
