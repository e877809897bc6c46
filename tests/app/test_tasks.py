"""The task registry: what the app offers and how a task calls the engine."""

from __future__ import annotations

import numpy as np
import pytest

from dip_plugin.app.tasks import TASKS, Option, Task, get_task, register


def test_inpaint_is_registered_and_needs_a_mask() -> None:
    task = get_task("inpaint")
    assert task.needs_mask
    assert task.function.__name__ == "inpaint"
    assert task.session is not None


def test_unknown_task_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown task 'nope'.*inpaint"):
        get_task("nope")


def test_inpaint_task_calls_the_engine(image, mask) -> None:
    out = get_task("inpaint").call(image, mask, preset="fast", iterations=3, seed=0, device="cpu")
    assert out.shape == image.shape and out.dtype == image.dtype
    assert np.array_equal(out[~mask], image[~mask])


def test_inpaint_session_continues(image, mask) -> None:
    session = get_task("inpaint").open_session(image, mask, preset="fast", seed=0, device="cpu")
    session.run(3)
    session.run(2)
    assert session.steps_done == 5


def test_a_task_without_mask_gets_only_the_image_and_its_options(monkeypatch) -> None:
    calls = []

    def denoise(image, **kwargs):
        calls.append((image.shape, kwargs))
        return image

    monkeypatch.setattr("dip_plugin.app.tasks.TASKS", dict(TASKS))
    task = register(Task("denoise", "Remove noise", needs_mask=False, function=denoise,
                         options=(Option("sigma", "Noise level", 25, minimum=1, maximum=100),)))
    assert get_task("denoise") is task
    assert task.open_session(np.zeros((4, 4)), None) is None
    task.call(np.zeros((4, 4)), np.ones((4, 4), bool), preset="fast", sigma=10)
    assert calls == [((4, 4), {"preset": "fast", "sigma": 10})]


def test_task_options_and_presets_follow_the_chosen_task(qtbot, monkeypatch) -> None:
    import dip_plugin.engine
    from dip_plugin.app.controls import ControlsPanel
    from dip_plugin.engine import PRESETS

    monkeypatch.setattr(dip_plugin.engine, "UPSCALE_PRESETS", {"fast": PRESETS["fast"], "sharp": PRESETS["paper"]},
                        raising=False)
    tasks = {
        "inpaint": get_task("inpaint"),
        "sr": Task("sr", "Upscale", needs_mask=False, function=lambda im, **k: im, presets="UPSCALE_PRESETS",
                   options=(Option("factor", "Factor", 4, choices=(2, 4, 8)),
                            Option("sharp", "Sharpen", False),
                            Option("sigma", "Sigma", 0.5, minimum=0.0, maximum=2.0))),
    }
    controls = ControlsPanel(tasks)
    qtbot.addWidget(controls)
    assert controls.options() == {}
    assert [controls.preset_box.itemData(i) for i in range(controls.preset_box.count())] == list(PRESETS)
    controls.set_preset("fast")
    with qtbot.waitSignal(controls.task_changed) as blocker:
        controls.set_task("sr")
    assert blocker.args == ["sr"]
    assert controls.options() == {"factor": 4, "sharp": False, "sigma": 0.5}
    assert [controls.preset_box.itemData(i) for i in range(controls.preset_box.count())] == ["fast", "sharp"]
    assert controls.preset() == "fast"  # kept: the new task has it too
    controls.set_preset("sharp")
    assert controls.iterations_box.specialValueText() == f"Preset ({PRESETS['paper'].iterations})"
    controls.set_task("inpaint")
    assert controls.options() == {}
    assert controls.preset() == "balanced"  # "sharp" is not an inpainting preset
