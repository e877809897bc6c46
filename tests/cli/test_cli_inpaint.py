"""``dip inpaint`` through the real command: a subprocess running ``python -m dip_plugin``.

Error cases each start a process (most fail before torch is imported); the awkward-but-valid images
go through one ``--batch`` run, which also checks that a batch continues past bad files.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dip_plugin.imageio import load_image, save_image
from dip_plugin.synthetic import hole_mask, scene

FAST = ["--preset", "fast", "--iterations", "3"]


def dip(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120,
        ) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "DIP_MAX_PIXELS"}
    environ.update(OMP_NUM_THREADS="1", **(env or {}))
    return subprocess.run([sys.executable, "-m", "dip_plugin", *map(str, args)], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=timeout)


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def leftovers(folder: Path) -> list[str]:
    """Temporary files (ours start with a dot and end in .part) anywhere under ``folder``."""
    return sorted(str(p) for p in folder.rglob("*") if p.name.startswith(".") or p.name.endswith(".part"))


def rgb8(size: int | tuple[int, int], seed: int = 0) -> np.ndarray:
    h, w = (size, size) if isinstance(size, int) else size
    return (scene("street", max(h, w), seed=seed)[:h, :w] * 255).round().astype(np.uint8)


def box_mask(h: int, w: int) -> np.ndarray:
    m = np.zeros((h, w), bool)
    m[h // 3 : h // 3 + max(2, h // 4), w // 3 : w // 3 + max(2, w // 4)] = True
    return m


def mask_png(path: Path, mask: np.ndarray) -> Path:
    save_image(path, mask.astype(np.uint8) * 255)
    return path


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Input files shared by the error cases (never written to: checked by hash)."""
    d = tmp_path_factory.mktemp("inputs")
    save_image(d / "photo.png", rgb8(32))
    mask_png(d / "mask.png", hole_mask("object", 32, seed=3))
    mask_png(d / "small_mask.png", np.ones((16, 24), bool))
    mask_png(d / "black.png", np.zeros((32, 32), bool))
    mask_png(d / "white.png", np.ones((32, 32), bool))
    (d / "notes.png").write_text("this is not a picture\n")
    (d / "empty.png").write_bytes(b"")
    data = (d / "photo.png").read_bytes()
    (d / "cut.png").write_bytes(data[: len(data) // 2])
    (d / "frames").mkdir()
    save_image(d / "frames" / "step_000005.png", rgb8(32))  # an earlier run's progress
    return d


def assert_user_error(result: subprocess.CompletedProcess[str], needle: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("dip: error: "), lines[0]
    assert needle in lines[0], lines[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


# (case id, arguments with {d} = inputs folder, {n} its name and {o} = an empty output folder,
#  expected words, environment)
ERRORS: list[tuple[str, list[str], str, dict[str, str]]] = [
    ("missing-image", ["{d}/nothere.png", "--mask", "{d}/mask.png", "-o", "{o}/r.png"], "no such file", {}),
    ("missing-mask", ["{d}/photo.png", "--mask", "{d}/nothere.png", "-o", "{o}/r.png"], "no such file", {}),
    ("not-an-image", ["{d}/notes.png", "--mask", "{d}/mask.png", "-o", "{o}/r.png"], "not an image file", {}),
    ("zero-bytes", ["{d}/empty.png", "--mask", "{d}/mask.png", "-o", "{o}/r.png"], "empty (0 bytes)", {}),
    ("truncated", ["{d}/cut.png", "--mask", "{d}/mask.png", "-o", "{o}/r.png"], "truncated or corrupt", {}),
    ("mask-size", ["{d}/photo.png", "--mask", "{d}/small_mask.png", "-o", "{o}/r.png"],
     "is 24×16 pixels but the image is 32×32", {}),
    ("empty-mask", ["{d}/photo.png", "--mask", "{d}/black.png", "-o", "{o}/r.png"], "nothing to fill", {}),
    ("full-mask", ["{d}/photo.png", "--mask", "{d}/white.png", "-o", "{o}/r.png"], "covers the whole image", {}),
    ("no-alpha", ["{d}/photo.png", "--mask-from-alpha", "-o", "{o}/r.png"], "no alpha channel", {}),
    ("output-folder-missing", ["{d}/photo.png", "--mask", "{d}/mask.png", "-o", "{o}/sub/r.png"],
     "does not exist", {}),
    ("output-is-input", ["{d}/photo.png", "--mask", "{d}/mask.png", "-o", "{d}/../{n}/photo.png"],
     "is also an input", {}),
    ("output-is-mask", ["{d}/photo.png", "--mask", "{d}/mask.png", "-o", "{d}/mask.png"], "is also an input", {}),
    ("unknown-extension", ["{d}/photo.png", "--mask", "{d}/mask.png", "-o", "{o}/r.psd"],
     "'.psd' is not an image format", {}),
    ("too-many-pixels", ["{d}/photo.png", "--mask", "{d}/mask.png", "-o", "{o}/r.png"],
     "DIP_MAX_PIXELS=1024", {"DIP_MAX_PIXELS": "1000"}),
    ("unknown-preset", ["{d}/photo.png", "--mask", "{d}/mask.png", "-o", "{o}/r.png", "--preset", "best"],
     "unknown preset 'best'", {}),
    ("gif-is-the-image", ["{d}/photo.png", "--mask", "{d}/mask.png", "-o", "{o}/r.png", "--gif", "{d}/photo.png"],
     "--gif {d}/photo.png is an input too", {}),
    ("gif-is-the-mask", ["{d}/photo.png", "--mask", "{d}/mask.png", "-o", "{o}/r.png", "--gif", "{d}/mask.png"],
     "is an input too", {}),
    ("progress-is-the-output", ["{d}/photo.png", "--mask", "{d}/mask.png", "-o", "{o}/r.png",
                                "--save-progress", "{o}/r.png"], "is the output file too", {}),
    ("progress-over-earlier-frames", ["{d}/photo.png", "--mask", "{d}/mask.png", "-o", "{o}/r.png",
                                      "--save-progress", "{d}/frames"], "already holds progress frames", {}),
    ("seed-too-large", ["{d}/photo.png", "--mask", "{d}/mask.png", "-o", "{o}/r.png", "--seed", "18446744073709551615"],
     "--seed must be between 0 and 4294967295", {}),
    ("negative-iterations", ["{d}/photo.png", "--mask", "{d}/mask.png", "-o", "{o}/r.png", "--iterations", "-5"],
     "--iterations must be 0 or more", {}),
]


@pytest.mark.parametrize(("args", "needle", "env"), [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    inputs: Path, tmp_path: Path, args: list[str], needle: str, env: dict[str, str]
) -> None:
    before, frames_before = digests(inputs), digests(inputs / "frames")
    out = tmp_path / "out"
    out.mkdir()
    result = dip("inpaint", *[a.format(d=inputs, o=out, n=inputs.name) for a in args], cwd=tmp_path, env=env)
    assert_user_error(result, needle.format(d=inputs))
    assert list(out.iterdir()) == []
    assert digests(inputs) == before and digests(inputs / "frames") == frames_before
    assert leftovers(inputs) == [] and leftovers(out) == []


def test_help_is_fast_and_does_not_import_torch(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom dip_plugin.cli import main\n"
        "try:\n    main(['inpaint', '--help'])\nexcept SystemExit as e:\n    print('exit', e.code)\n"
        "print('torch' in sys.modules)\n"
    )
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "--mask-from-alpha" in result.stdout and "--save-progress" in result.stdout
    assert result.stdout.splitlines()[-2:] == ["exit 0", "False"]
    assert time.perf_counter() - started < 10


def _exif_jpeg(path: Path, stored: np.ndarray, orientation: int) -> None:
    im = Image.fromarray(stored)
    exif = im.getexif()
    exif[0x0112] = orientation
    im.save(path, exif=exif, quality=95)


def test_batch_fills_awkward_images_and_reports_bad_files(tmp_path: Path) -> None:
    src, masks, out = tmp_path / "in", tmp_path / "masks", tmp_path / "out"
    src.mkdir()
    masks.mkdir()
    expected: dict[str, Callable[[np.ndarray], None]] = {}

    def add(name: str, pixels: np.ndarray, mask: np.ndarray, check: Callable[[np.ndarray], None]) -> None:
        save_image(src / name, pixels)
        mask_png(masks / (Path(name).stem + ".png"), mask)
        expected[name] = check

    def same_outside(pixels: np.ndarray, mask: np.ndarray) -> Callable[[np.ndarray], None]:
        def check(result: np.ndarray) -> None:
            assert result.shape == pixels.shape and result.dtype == pixels.dtype
            np.testing.assert_array_equal(result[~mask], pixels[~mask])
            assert np.any(result[mask] != pixels[mask])  # the hole was filled with something
        return check

    rgba = np.concatenate([rgb8(32, 1), np.tile(np.arange(32, dtype=np.uint8)[None, :, None] * 8, (32, 1, 1))], -1)
    rgba[box_mask(32, 32)] = (0, 0, 0, 200)
    add("rgba.png", rgba, box_mask(32, 32), same_outside(rgba, box_mask(32, 32)))
    gray16 = (scene("sky", 32, seed=2)[..., 1] * 65535).astype(np.uint16)
    gray16[box_mask(32, 32)] = 0
    add("gray16.png", gray16, box_mask(32, 32), same_outside(gray16, box_mask(32, 32)))
    rgb16 = (scene("foliage", 32, seed=3) * 65535).astype(np.uint16)
    add("rgb16.tif", rgb16, box_mask(32, 32), same_outside(rgb16, box_mask(32, 32)))
    gray8 = rgb8(32, 4)[..., 0]
    add("gray.png", gray8, box_mask(32, 32), same_outside(gray8, box_mask(32, 32)))
    tiny = rgb8((17, 23), 5)
    add("tiny.bmp", tiny, box_mask(17, 23), same_outside(tiny, box_mask(17, 23)))
    wide = rgb8((20, 600), 6)
    add("wide.png", wide, box_mask(20, 600), same_outside(wide, box_mask(20, 600)))

    palette = Image.fromarray(rgb8(32, 7)).quantize(16)
    palette.save(src / "palette.png")
    mask_png(masks / "palette.png", box_mask(32, 32))
    as_rgb = np.asarray(palette.convert("RGB"))
    expected["palette.png"] = same_outside(as_rgb, box_mask(32, 32))

    # Stored 40 wide × 24 high, shown (orientation 6) 24 wide × 40 high; the mask is drawn as shown.
    stored = rgb8((24, 40), 8)
    _exif_jpeg(src / "camera.jpg", stored, 6)
    shown = np.rot90(stored, -1)
    mask_png(masks / "camera.png", box_mask(40, 24))

    def check_camera(result: np.ndarray) -> None:
        assert result.shape == (40, 24, 3)
        keep = ~box_mask(40, 24)
        assert np.abs(result[keep].astype(int) - shown[keep].astype(int)).mean() < 6  # JPEG twice
    expected["camera.jpg"] = check_camera

    # A GIF is written back as PNG; a PNG of the same name then cannot be written too.
    gif = Image.fromarray(rgb8(32, 10)).quantize(32)
    gif.save(src / "copy.gif")
    save_image(src / "copy.png", rgb8(32, 10))
    mask_png(masks / "copy.png", box_mask(32, 32))
    expected["copy.png"] = same_outside(np.asarray(gif.convert("RGB")), box_mask(32, 32))

    data = (src / "gray.png").read_bytes()
    (src / "broken.png").write_bytes(data[: len(data) // 3])
    mask_png(masks / "broken.png", box_mask(32, 32))
    save_image(src / "lonely.png", rgb8(32, 9))  # no mask for it
    before = digests(src), digests(masks)

    result = dip("inpaint", "--batch", src, "--masks", masks, "-o", out, *FAST, cwd=tmp_path, timeout=180)

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "dip: 3 of 12 images failed:" in result.stderr
    assert "copy.png: its result copy.png would replace the one of copy.gif" in result.stderr
    assert "broken.png: " in result.stderr and "truncated or corrupt" in result.stderr
    assert "lonely.png: no mask named lonely.* in" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(expected)
    for name, check in expected.items():
        check(load_image(out / name).pixels)
    with Image.open(out / "camera.jpg") as im:
        assert im.getexif().get(0x0112) is None  # upright now: no orientation to apply twice
    assert Image.open(out / "gray16.png").mode == "I;16"
    assert load_image(out / "palette.png").mode == "RGB"
    assert (digests(src), digests(masks)) == before
    assert leftovers(tmp_path) == []


def test_mask_from_alpha_with_progress_frames_and_gif(tmp_path: Path) -> None:
    rgba = np.dstack([rgb8(32, 11), np.full((32, 32), 255, np.uint8)])
    hole = box_mask(32, 32)
    rgba[hole, 3] = 0
    rgba[0, :, 3] = 128  # half-transparent pixels are kept as they are
    save_image(tmp_path / "logo.png", rgba)
    before = digests(tmp_path)

    result = dip("inpaint", "logo.png", "--mask-from-alpha", "-o", "filled.png", "--preset", "fast",
                 "--iterations", "10", "--save-progress", "frames", "--gif", "fit.gif", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "%|" in result.stderr and "loss=" in result.stderr  # the progress bar
    assert "dip: wrote filled.png" in result.stderr
    out = load_image(tmp_path / "filled.png").pixels
    assert out.shape == (32, 32, 4)
    assert (out[hole, 3] == 255).all()  # the filled holes are opaque now
    np.testing.assert_array_equal(out[~hole], rgba[~hole])
    frames = sorted(p.name for p in (tmp_path / "frames").iterdir())
    assert frames[0] == "step_000000.png" and len(frames) >= 2
    with Image.open(tmp_path / "fit.gif") as gif:
        assert gif.is_animated and 2 <= gif.n_frames <= len(frames) + 1  # + the final result
    assert {k: v for k, v in digests(tmp_path).items() if k == "logo.png"} == before
    assert leftovers(tmp_path) == []


def test_quiet_single_run_prints_nothing(tmp_path: Path) -> None:
    save_image(tmp_path / "in.png", rgb8((17, 23), 12)[..., 0])
    mask_png(tmp_path / "m.png", box_mask(17, 23))
    result = dip("inpaint", "in.png", "--mask", "m.png", "-o", "out.tif", *FAST, "--quiet", "--device", "cpu",
                 cwd=tmp_path)
    assert (result.returncode, result.stderr, result.stdout) == (0, "", "")
    img = load_image(tmp_path / "out.tif")
    assert (img.format, img.mode, img.pixels.shape) == ("TIFF", "L", (17, 23))


def test_ctrl_c_exits_130_and_leaves_no_output(tmp_path: Path) -> None:
    save_image(tmp_path / "photo.png", rgb8(48, 13))
    mask_png(tmp_path / "mask.png", hole_mask("scribble", 48, seed=13))
    before = digests(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "DIP_MAX_PIXELS"}
    env["OMP_NUM_THREADS"] = "1"
    proc = subprocess.Popen(
        [sys.executable, "-m", "dip_plugin", "inpaint", "photo.png", "--mask", "mask.png", "-o", "out.png",
         "--preset", "paper", "--iterations", "100000", "--save-progress", "frames"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # A shell that starts the tests in the background leaves SIGINT ignored, and children inherit that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "frames" / "step_000000.png").exists():  # the fit has started
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "the fit did not start"
            time.sleep(0.05)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.rstrip().splitlines()[-1] == "dip: interrupted"
    assert not (tmp_path / "out.png").exists()
    assert leftovers(tmp_path) == []
    assert digests(tmp_path) == before
