"""The worker's file protocol (``python -m dip_plugin.gimp_bridge.worker``), without GIMP."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from dip_plugin.gimp_bridge import worker
from dip_plugin.gimp_bridge.worker import EXIT_CANCELLED, EXIT_FAILED, blend, main, read_result, write_job


def layer(dtype: str, channels: int = 3, size: tuple[int, int] = (20, 24), seed: int = 0) -> np.ndarray:
    """A textured layer; integer types use their full range (u16 values are not multiples of 257)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[: size[0], : size[1]]
    base = 0.5 + 0.35 * np.sin(x[..., None] / 3.0 + y[..., None] / 5.0 + np.arange(channels))
    base = np.clip(base + 0.02 * rng.standard_normal((*size, channels)), 0, 1)
    dt = np.dtype(dtype)
    if dt.kind == "u":
        return np.rint(base * np.iinfo(dt).max).astype(dt)
    return base.astype(dt)


def hole(size: tuple[int, int] = (20, 24)) -> np.ndarray:
    mask = np.zeros(size, np.float32)
    mask[6:14, 8:18] = 1.0
    return mask


def run(folder: Path, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, list[str], str]:
    status = main([str(folder), *args])
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err


@pytest.mark.parametrize(("dtype", "channels"), [("uint8", 3), ("uint8", 4), ("uint16", 3), ("float32", 1),
                                                 ("float32", 2), ("uint32", 3), ("float16", 3), ("float64", 3)])
def test_job_fills_the_hole_at_the_layers_precision(tmp_path: Path, capsys: pytest.CaptureFixture, dtype: str,
                                                    channels: int) -> None:
    image, mask = layer(dtype, channels), hole()
    write_job(tmp_path, image, mask, preset="fast", iterations=3)
    status, out, err = run(tmp_path, capsys)
    assert status == 0, err
    assert out[-1] == "done" and out[0].startswith("progress 0 ")
    assert all(line.split()[0] == "progress" for line in out[:-1])
    result = read_result(tmp_path)
    assert result.dtype == image.dtype and result.shape == image.shape
    np.testing.assert_array_equal(result[mask == 0], image[mask == 0])  # byte for byte outside
    assert (result[mask == 1] != image[mask == 1]).any(axis=-1).mean() > 0.5
    if channels in (2, 4):
        np.testing.assert_array_equal(result[..., -1], image[..., -1])  # alpha passes through
    if dtype == "uint16":
        assert (result[mask == 1] % 257 != 0).mean() > 0.5  # not squashed to 8 bits
    assert not (tmp_path / "result.raw.part").exists()


def test_soft_selection_blends(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    image = layer("uint8")
    mask = hole()
    mask[6:14, 6:8] = 0.5  # a feathered edge
    write_job(tmp_path, image, mask, preset="fast", iterations=3)
    assert run(tmp_path, capsys)[0] == 0
    result = read_result(tmp_path).astype(int)
    half = mask == 0.5
    np.testing.assert_array_equal(result[mask == 0], image[mask == 0])
    # Each half-selected pixel lies between the source and the fill, i.e. moved at most half-way to 0 or 255.
    moved = np.abs(result[half] - image[half].astype(int))
    assert moved.max() > 0 and (moved <= np.maximum(image[half], 255 - image[half].astype(int)) / 2 + 1).all()


def test_blend_formula() -> None:
    fill = np.array([[[200, 0], [100, 50], [255, 255]]], np.uint8)
    source = np.array([[[100, 100], [0, 0], [1, 2]]], np.uint8)
    weight = np.array([[1.0, 0.5, 0.0]], np.float32)
    np.testing.assert_array_equal(blend(fill, source, weight), [[[200, 0], [50, 25], [1, 2]]])
    f16 = blend(np.full((1, 2, 1), 0.75, np.float16), np.zeros((1, 2, 1), np.float16), np.array([[0.25, 1.0]]))
    assert f16.dtype == np.float16 and f16[0, :, 0].tolist() == [0.1875, 0.75]


def test_progress_reaches_the_plugin_in_order(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    write_job(tmp_path, layer("uint8"), hole(), preset="fast", iterations=20)
    status, out, _ = run(tmp_path, capsys)
    assert status == 0
    steps = [tuple(map(int, line.split()[1:])) for line in out[:-1]]
    assert steps[0][0] == 0 and [s for s, _ in steps] == sorted(s for s, _ in steps)
    assert all(total > 0 for _, total in steps)


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (lambda f: (f / "job.json").unlink(), "no job.json"),
        (lambda f: (f / "image.raw").write_bytes(b"\0" * 10), "image.raw has 10 bytes"),
        (lambda f: (f / "mask.raw").unlink(), "cannot read mask.raw"),
        (lambda f: (f / "mask.raw").write_bytes(np.zeros((20, 24), np.float32).tobytes()),
         "does not cover any pixel"),
        (lambda f: _edit(f, protocol=99), "not a version-1 job"),
        (lambda f: _edit(f, dtype="u7"), "dtype 'u7'"),
        (lambda f: _edit(f, iterations="many"), "'iterations' must be int"),
        (lambda f: _edit(f, preset="no-such-preset"), "no-such-preset"),
    ],
)
def test_bad_jobs_fail_with_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture, damage, words: str) -> None:
    write_job(tmp_path, layer("uint8"), hole(), preset="fast", iterations=2)
    damage(tmp_path)
    status, out, err = run(tmp_path, capsys)
    assert status == EXIT_FAILED
    assert out == []
    assert words in err.strip().splitlines()[-1]
    assert "Traceback" not in err
    assert not (tmp_path / "result.raw").exists()


@pytest.mark.parametrize(("env", "words"), [
    ({}, "the layer is 1099511627776×1099511627776 = "),
    ({"DIP_MAX_PIXELS": "0"}, "too large to hold in memory"),
])
def test_a_layer_too_large_is_a_clear_size_error(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                  monkeypatch: pytest.MonkeyPatch, env: dict, words: str) -> None:
    monkeypatch.delenv("DIP_MAX_PIXELS", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    write_job(tmp_path, layer("uint8"), hole())
    _edit(tmp_path, width=2**40, height=2**40)
    (tmp_path / "image.raw").write_bytes(b"")
    status, out, err = run(tmp_path, capsys)
    assert status == EXIT_FAILED and out == []
    assert words in err.strip().splitlines()[-1] and "Traceback" not in err


def test_a_link_placed_at_the_temporary_result_is_not_followed(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import dip_plugin

    monkeypatch.setattr(dip_plugin, "inpaint", lambda image, mask, **kw: image + 1, raising=False)
    job, victim = tmp_path / "job", tmp_path / "victim.txt"
    job.mkdir()
    victim.write_text("keep me")
    source = layer("uint8")
    write_job(job, source, hole(), preset="fast", iterations=2)
    (job / "result.raw.part").symlink_to(victim)
    status, out, err = run(job, capsys)
    assert out[-1] == "done"
    assert status == 0, err
    assert victim.read_text() == "keep me"
    assert not (job / "result.raw").is_symlink() and not (job / "result.raw.part").exists()
    assert read_result(job).shape == source.shape


def _edit(folder: Path, **changes) -> None:
    job = json.loads((folder / "job.json").read_text())
    (folder / "job.json").write_text(json.dumps({**job, **changes}))


def test_failure_messages_name_the_cause() -> None:
    torch_missing = worker._message(ModuleNotFoundError("No module named 'torch'", name="torch"))
    assert "cannot import 'torch'" in torch_missing and sys.executable in torch_missing
    assert worker._message(MemoryError()).startswith("out of memory")
    oom = type("OutOfMemoryError", (RuntimeError,), {})("CUDA out of memory. Tried to allocate 2 GiB")
    assert worker._message(oom).startswith("out of memory")
    assert worker._message(RuntimeError("boom")) == "RuntimeError: boom"


@pytest.fixture
def fake_dialog(monkeypatch: pytest.MonkeyPatch) -> dict:
    """Replace the Qt panel with a recorder; ``calls["answer"]`` is what it returns."""
    calls: dict = {}

    def run_restore_dialog(image, mask, *, title="", preset="balanced", iterations=0, seed=0):
        calls.update(image=image, mask=mask, title=title, preset=preset, iterations=iterations, seed=seed)
        answer = calls.get("answer")
        return answer(image) if answer else None

    module = types.ModuleType("dip_plugin.app.dialog")
    module.run_restore_dialog = run_restore_dialog
    try:
        import dip_plugin.app as app_package  # the real package, when it imports here
    except ImportError:
        app_package = types.ModuleType("dip_plugin.app")
        monkeypatch.setitem(sys.modules, "dip_plugin.app", app_package)
    monkeypatch.setitem(sys.modules, "dip_plugin.app.dialog", module)
    monkeypatch.setattr(app_package, "dialog", module, raising=False)
    return calls


def test_interactive_job_opens_the_panel_and_applies(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                     fake_dialog: dict) -> None:
    image, mask = layer("uint16"), hole()
    fake_dialog["answer"] = lambda img: np.where(mask[..., None] > 0, np.uint16(1234), img)
    write_job(tmp_path, image, mask, preset="quality", iterations=7, seed=3, interactive=True, title="DIP — Layer")
    status, out, err = run(tmp_path, capsys)
    assert status == 0, err
    assert out == ["done"]
    assert fake_dialog["mask"].dtype == bool and fake_dialog["mask"].sum() == (mask > 0).sum()
    assert fake_dialog["image"].dtype == np.uint16
    assert (fake_dialog["preset"], fake_dialog["iterations"], fake_dialog["seed"]) == ("quality", 7, 3)
    assert fake_dialog["title"] == "DIP — Layer"
    result = read_result(tmp_path)
    assert (result[mask == 1] == 1234).all()
    np.testing.assert_array_equal(result[mask == 0], image[mask == 0])


def test_interactive_keeps_holes_painted_in_the_panel(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                      fake_dialog: dict) -> None:
    image, mask = layer("uint8"), hole()

    def answer(img: np.ndarray) -> np.ndarray:  # the user also painted and filled pixel (0, 0)
        out = img.copy()
        out[mask == 1] = 7
        out[0, 0] = 9
        return out

    fake_dialog["answer"] = answer
    write_job(tmp_path, image, mask, interactive=True)
    assert run(tmp_path, capsys)[0] == 0
    result = read_result(tmp_path)
    assert (result[0, 0] == 9).all() and (result[mask == 1] == 7).all()
    untouched = mask == 0
    untouched[0, 0] = False
    np.testing.assert_array_equal(result[untouched], image[untouched])


def test_interactive_cancel_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture, fake_dialog: dict) -> None:
    write_job(tmp_path, layer("uint8"), hole(), interactive=True)
    status, out, err = run(tmp_path, capsys)
    assert status == EXIT_CANCELLED
    assert out == [] and "cancelled" in err
    assert not (tmp_path / "result.raw").exists()


def test_worker_process_stops_when_the_plugin_goes_away(tmp_path: Path) -> None:
    """Run as GIMP runs it; a closed stdin (the plug-in died) stops it without a result."""
    write_job(tmp_path, layer("uint8"), hole(), preset="fast", iterations=500)
    proc = subprocess.run([sys.executable, "-m", "dip_plugin.gimp_bridge.worker", str(tmp_path), "--watch-stdin"],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == EXIT_CANCELLED, proc.stderr
    assert "done" not in proc.stdout
    assert not (tmp_path / "result.raw").exists()
