"""dip_plugin.cli._common in-process: options, path checks, progress sink, engine error mapping;
and ``dip inpaint`` argument combinations that are refused before any file is read."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dip_plugin.cli import CliError, main
from dip_plugin.cli import _common as common
from dip_plugin.imageio import load_image, save_image


@dataclass(frozen=True)
class FakeProgress:
    step: int
    total: int
    loss: float
    elapsed: float
    preview: np.ndarray


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="dip test")
    common.add_common_options(parser)
    return parser.parse_args(list(argv))


def test_common_options_defaults_and_values() -> None:
    a = parse("-o", "r.png")
    assert (a.output, a.preset, a.iterations, a.seed, a.device, a.quiet, a.save_progress, a.gif) == (
        "r.png", "balanced", None, 0, "auto", False, None, None)
    b = parse("--output", "x.jpg", "--preset", "fast", "--iterations", "7", "--seed", "3", "--device", "cpu",
              "-q", "--save-progress", "f", "--gif", "g.gif")
    assert common.engine_options(b) == {"preset": "fast", "iterations": 7, "seed": 3, "device": "cpu"}
    assert (b.quiet, b.save_progress, b.gif) == (True, "f", "g.gif")
    with pytest.raises(SystemExit):
        parse("-o", "r.png", "--device", "tpu")


def test_check_options(tmp_path: Path) -> None:
    common.check_options(parse("-o", "r.png", "--preset", "quality", "--iterations", "0"))
    bad = [
        (("--preset", "turbo"), "unknown preset 'turbo'"),
        (("--iterations", "-1"), "--iterations must be 0 or more"),
        (("--seed", "-2"), "--seed must be between 0 and 4294967295, got -2"),
        (("--gif", str(tmp_path / "fit.png")), "must end in .gif"),
        (("--gif", str(tmp_path / "no" / "fit.gif")), "does not exist"),
        (("--save-progress", str(tmp_path / "no" / "frames")), "parent folder"),
    ]
    (tmp_path / "file").write_text("x")
    bad.append((("--save-progress", str(tmp_path / "file")), "not a folder"))
    for extra, needle in bad:
        with pytest.raises(CliError, match=needle):
            common.check_options(parse("-o", "r.png", *extra))


def test_check_output(tmp_path: Path) -> None:
    src = tmp_path / "in.png"
    save_image(src, np.zeros((2, 2), np.uint8))
    assert common.check_output(tmp_path / "out.jpg", src) == tmp_path / "out.jpg"
    (tmp_path / "link.png").symlink_to(src)
    with pytest.raises(CliError, match="is also an input"):
        common.check_output(tmp_path / "link.png", src)
    (tmp_path / "sub").mkdir()
    with pytest.raises(CliError, match="is also an input"):
        common.check_output(tmp_path / "sub" / ".." / "in.png", None, src)
    with pytest.raises(CliError, match="not an image format"):
        common.check_output(tmp_path / "out.gif", src)
    with pytest.raises(CliError, match="does not exist"):
        common.check_output(tmp_path / "missing" / "out.png", src)
    (tmp_path / "dir.png").mkdir()
    with pytest.raises(CliError, match="is a folder"):
        common.check_output(tmp_path / "dir.png", src)


def _feed(sink: common.ProgressSink, n: int, shape: tuple[int, ...] = (8, 8, 3)) -> None:
    for i in range(n):
        preview = np.full(shape, (i * 37) % 256, np.uint8)
        sink(FakeProgress(step=i * 10, total=n * 10, loss=float("nan") if i == 0 else 1.0 / i, elapsed=i,
                          preview=preview))


def test_progress_sink_bar_frames_and_gif(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with common.ProgressSink("photo.png", frames_dir=tmp_path / "frames", gif=tmp_path / "fit.gif") as sink:
        _feed(sink, 4)
        sink.finish(np.full((8, 8, 3), 255, np.uint8))
    err = capsys.readouterr().err
    assert "photo.png" in err and "100%" in err and "loss=" in err
    assert sorted(p.name for p in (tmp_path / "frames").iterdir()) == [
        "step_000000.png", "step_000010.png", "step_000020.png", "step_000030.png"]
    assert load_image(tmp_path / "frames" / "step_000010.png").pixels[0, 0, 0] == 37
    with Image.open(tmp_path / "fit.gif") as gif:
        assert gif.n_frames == 5


def test_progress_sink_quiet_and_many_gif_frames(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "GIF_MAX_FRAMES", 6)
    with common.ProgressSink("x", quiet=True, gif=tmp_path / "fit.gif") as sink:
        _feed(sink, 20, shape=(600, 30))  # gray, larger than GIF_MAX_SIDE
        sink.finish()
    assert capsys.readouterr().err == ""
    with Image.open(tmp_path / "fit.gif") as gif:
        assert 3 <= gif.n_frames <= 6
        assert max(gif.size) == common.GIF_MAX_SIDE


def test_progress_sink_postprocess_and_interrupted_fit_writes_no_gif(tmp_path: Path) -> None:
    def fit(image, *, on_progress, **options):
        on_progress(FakeProgress(0, 10, float("nan"), 0.0, image))
        raise KeyboardInterrupt

    args = parse("-o", "r.png", "-q", "--gif", str(tmp_path / "fit.gif"), "--save-progress", str(tmp_path / "f"))
    with pytest.raises(KeyboardInterrupt):
        common.run_engine(fit, np.zeros((4, 4), np.uint8), args=args, postprocess=lambda a: a + 200)
    assert not (tmp_path / "fit.gif").exists()
    assert load_image(tmp_path / "f" / "step_000000.png").pixels.max() == 200


def test_a_gif_that_cannot_be_written_does_not_cost_the_result(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def fit(image, *, on_progress, **options):
        on_progress(FakeProgress(0, 10, float("nan"), 0.0, image))
        return image + 1

    def fail(path, frames):
        raise CliError(f"cannot write {path.name}: read-only folder")

    monkeypatch.setattr(common, "_write_gif", fail)
    args = parse("-o", "r.png", "-q", "--gif", str(tmp_path / "fit.gif"))
    written = []
    with pytest.raises(CliError, match=r"--gif: cannot write fit.gif.*the result itself was written"):
        common.run_engine(fit, np.zeros((4, 4), np.uint8), args=args, save=written.append)
    assert len(written) == 1 and int(written[0].max()) == 1


def test_side_outputs_may_not_name_an_input_or_the_output_or_reuse_frames(tmp_path: Path) -> None:
    for name in ("photo.png", "mask.png", "old.gif"):
        (tmp_path / name).write_bytes(b"x")
    frames = tmp_path / "frames"
    frames.mkdir()
    (frames / "step_000005.png").write_bytes(b"x")
    photo, mask, out = tmp_path / "photo.png", tmp_path / "mask.png", tmp_path / "out.png"
    refused = {
        ("--gif", str(photo)): "is an input too",
        ("--gif", str(tmp_path / "." / "mask.png")): "is an input too",
        ("--gif", str(out)): "is the output file too",
        ("--save-progress", str(out)): "is the output file too",
        ("--save-progress", str(frames)): "already holds progress frames (step_000005.png)",
    }
    for option, needle in refused.items():
        with pytest.raises(CliError, match=needle.replace("(", r"\(").replace(")", r"\)")):
            common.check_side_outputs(parse("-o", str(out), *option), out, photo, mask)
    common.check_side_outputs(parse("-o", str(out), "--gif", str(tmp_path / "old.gif"),
                                    "--save-progress", str(tmp_path / "new")), out, photo, None)


def test_run_engine_passes_options_and_maps_errors() -> None:
    args = parse("-o", "r.png", "-q", "--preset", "fast", "--seed", "5")
    seen = {}

    def ok(image, mask, *, on_progress, **options):
        seen.update(options)
        on_progress(FakeProgress(0, 1, float("nan"), 0.0, image))
        return image + 1

    out = common.run_engine(ok, np.zeros(3, np.uint8), None, args=args, extra=1)
    assert out.tolist() == [1, 1, 1]
    assert seen == {"preset": "fast", "iterations": None, "seed": 5, "device": "auto", "extra": 1}

    def raiser(exc):
        def fn(*a, **k):
            raise exc
        return fn

    with pytest.raises(CliError, match=r"^image dtype int8 is not supported; use uint8$"):
        common.run_engine(raiser(TypeError("image dtype int8 is not supported;\n use uint8")), args=args)
    with pytest.raises(CliError, match="out of memory on device 'auto'"):
        common.run_engine(raiser(RuntimeError("CUDA out of memory. Tried to allocate 2 GiB")), args=args)
    with pytest.raises(RuntimeError, match="kernel bug"):  # not a user error: not hidden
        common.run_engine(raiser(RuntimeError("kernel bug")), args=args)


def test_describe_failures() -> None:
    text = common.describe_failures([("a.png", "no mask"), ("b.jpg", "corrupt")], 5)
    assert text.splitlines() == ["dip: 2 of 5 images failed:", "  a.png: no mask", "  b.jpg: corrupt"]


@pytest.mark.parametrize(("argv", "needle"), [
    (["inpaint", "-o", "r.png"], "give an IMAGE to fill, or --batch"),
    (["inpaint", "a.png", "-o", "r.png"], "exactly one of --mask MASK or --mask-from-alpha"),
    (["inpaint", "a.png", "--mask", "m.png", "--mask-from-alpha", "-o", "r.png"], "exactly one of"),
    (["inpaint", "a.png", "--masks", "m", "-o", "r.png"], "--masks is for --batch"),
    (["inpaint", "--batch", "in", "a.png", "--masks", "m", "-o", "out"], "with --batch, give no IMAGE"),
    (["inpaint", "--batch", "in", "--mask", "m.png", "-o", "out"], "(not --mask)"),
    (["inpaint", "--batch", "in", "-o", "out"], "exactly one of --masks MASK_DIR or --mask-from-alpha"),
    (["inpaint", "--batch", "in", "--masks", "m", "-o", "out", "--gif", "x.gif"], "--gif is for one image"),
    (["inpaint", "--batch", "nothere", "--masks", "m", "-o", "out"], "--batch nothere: no such folder"),
    (["inpaint", "--batch", "in", "--masks", "in", "-o", "out"], "--masks must be another folder"),
    (["inpaint", "--batch", "in", "--masks", "m", "-o", "in"], "is the --batch folder"),
    (["inpaint", "--batch", "empty", "--masks", "m", "-o", "out"], "no images in empty"),
])
def test_inpaint_argument_combinations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str], argv: list[str], needle: str) -> None:
    monkeypatch.chdir(tmp_path)
    for folder in ("in", "m", "empty"):
        (tmp_path / folder).mkdir()
    save_image(tmp_path / "in" / "a.png", np.zeros((4, 4), np.uint8))
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("dip: error: ") and needle in err[0], err
    assert not (tmp_path / "out").exists()
