"""Benchmark of the restoration tasks beyond holes, written to docs/benchmarks-restoration.md (records: .json).

Side by side in one report:

* denoising at σ = 25 (of 255) on ten 256×256 crops of real photos (a tuning and a validation split): Deep
  Image Prior (blind) against CBM3D (given the true σ), non-local means and total variation;
* super-resolution ×4 (64×64 → 256×256) on the same crops: luma PSNR and SSIM against bicubic and Lanczos;
* JPEG artifact removal at quality 10 and flash/no-flash reconstruction on generated scenes, and suggest-mask's
  precision and recall on generated old photos;
* seconds per 100 steps of every task preset, and seconds against image size (128² to 1024²);
* a targets table, filled from the results.

Usage::

    python -m benchmarks.restoration                                     # everything, with the fast preset
    python -m benchmarks.restoration --presets fast,balanced             # also the balanced preset
    python -m benchmarks.restoration --tasks denoise,sr --cases bridge,wine   # a part, merged into the JSON
    python -m benchmarks.restoration --tasks scale --scale-steps 20      # seconds against image size
    python -m benchmarks.restoration --report-only                       # rewrite the markdown from the JSON
    python -m benchmarks.restoration --quick                             # a smoke run, written to the temp folder

The cheap runs (classical anchors, suggested masks) come first, ``--jobs`` processes side by side; then every
Deep Image Prior run, one at a time in this process with the product's own thread count, nothing else of the
benchmark running.  Leave OMP_NUM_THREADS unset: the product takes it instead of using every core.  Each run's
record replaces the one with the same task, case, preset and size in the JSON beside the markdown, so a partial
rerun updates only its rows.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing as mp
import os
import sys
import tempfile
import time
import traceback
from dataclasses import replace
from datetime import date
from importlib import metadata
from pathlib import Path

import numpy as np
from PIL import Image

if not __package__:  # run as a file, python benchmarks/restoration.py: the repository's root is not on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.crops import CROPS, SIDE, SOURCES, load_crop, wallpaper
from benchmarks.records import environment, load_json, merge, save_json, table

ROOT = Path(__file__).resolve().parents[1]
SIGMA = 25 / 255
TASKS = ("denoise", "sr", "jpeg", "flash", "masks", "steps", "scale")
PRESETS = ("fast", "balanced", "quality", "paper")
JPEG_SCENES = ("face", "street")
FLASH_SCENES = ("face",)
JPEG_SIZE, FLASH_SIZE, STEP_SIZE = 256, 128, 256  # generated scenes; the time-per-preset tile
SCALE_SIZES = (128, 256, 512, 1024)
TARGET_SECONDS = 60
QUICK = {"photo": 64, "generated": 32, "steps": 3, "iterations": 5, "scale": (64, 128), "scale_steps": 2,
         "cases": ("astronaut", "bridge")}
IDENTITY = ("kind", "case", "scene", "task", "preset", "size", "guided")


def key(r: dict) -> tuple:
    """What a record measures: a rerun of the same replaces it."""
    return tuple(r.get(k) for k in IDENTITY)


# ------------------------------------------------------------------------------------------ measures


def psnr(a: np.ndarray, b: np.ndarray, peak: float = 1.0) -> float:
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return float("inf") if mse == 0 else float(10 * np.log10(peak * peak / mse))


def luma(x: np.ndarray) -> np.ndarray:
    """BT.601 luma (16–235) of a uint8 RGB image, float64."""
    return 16.0 + (x.astype(np.float64) @ np.array([65.481, 128.553, 24.966])) / 255.0


def y_psnr(a: np.ndarray, b: np.ndarray, crop: int = 4) -> float:
    """PSNR of the BT.601 luma of two uint8 RGB images, ``crop`` pixels off each border."""
    return psnr(luma(a)[crop:-crop, crop:-crop], luma(b)[crop:-crop, crop:-crop], peak=255.0)


def y_ssim(a: np.ndarray, b: np.ndarray, crop: int = 4) -> float:
    """SSIM (scikit-image's defaults, data_range 255) of the BT.601 luma, ``crop`` pixels off each border."""
    from skimage.metrics import structural_similarity

    return float(structural_similarity(luma(a)[crop:-crop, crop:-crop], luma(b)[crop:-crop, crop:-crop],
                                       data_range=255))


def to_u8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x * 255), 0, 255).astype(np.uint8)


def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


# ----------------------------------------------------------------------------------------- the cases


def noisy_crop(name: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(clean, noisy) float32 in [0, 1]: the crop, and the crop plus N(0, σ²) noise (seed 0), clipped."""
    clean = load_crop(name, size).astype(np.float32) / 255
    rng = np.random.default_rng(0)
    return clean, np.clip(clean + rng.normal(0, SIGMA, clean.shape), 0, 1).astype(np.float32)


def sr_crop(name: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(truth, low-resolution input), uint8: the crop, and the crop downscaled 4× by Pillow's Lanczos."""
    hr = load_crop(name, size)
    return hr, np.asarray(Image.fromarray(hr).resize((size // 4, size // 4), Image.Resampling.LANCZOS))


def flash_case(name: str, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ambient truth, flash, noisy no-flash): dim warm ambient light vs a cool, uneven flash."""
    from dip_plugin.synthetic import scene

    clean = scene(name, size, seed=3)
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:size, 0:size] / size
    ambient = (clean * 0.45 * np.array([1.0, 0.85, 0.65])).astype(np.float32)
    no_flash = np.clip(ambient + rng.normal(0, 0.05, ambient.shape), 0, 1).astype(np.float32)
    falloff = (1.0 - ((x - 0.5) ** 2 + (y - 0.4) ** 2))[..., None]
    flash = np.clip(clean * falloff * np.array([0.9, 0.95, 1.05]) * 1.1 + rng.normal(0, 0.01, clean.shape), 0, 1)
    return ambient, flash.astype(np.float32), no_flash


# ----------------------------------------------------------------------------- cheap runs (in a pool)


def _timed(fn, *args, **kw) -> tuple[np.ndarray, float]:
    t = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t


def run_denoise_anchors(name: str, size: int) -> dict:
    """CBM3D (true σ), and the best of three strengths of NLM and of TV (picked with the clean image)."""
    from skimage.restoration import denoise_nl_means, denoise_tv_chambolle, estimate_sigma

    clean, noisy = noisy_crop(name, size)
    sigma = float(estimate_sigma(noisy, channel_axis=-1, average_sigmas=True))
    record = {"kind": "denoise-anchors", "case": name, "split": CROPS[name].split, "size": size,
              "noisy": psnr(noisy, clean), "sigma_est": sigma * 255}

    def best_of(fn, factors) -> dict:
        runs = [(_timed(fn, f * sigma), f) for f in factors]
        (out, _), f = max(runs, key=lambda run: psnr(run[0][0], clean))
        return {"psnr": psnr(out, clean), "seconds": float(np.mean([s for (_, s), _ in runs])), "factor": f}

    record["tv"] = best_of(lambda w: denoise_tv_chambolle(noisy, weight=w, channel_axis=-1), (0.5, 1.0, 1.5))
    record["nlm"] = best_of(lambda h: denoise_nl_means(noisy, h=h, sigma=sigma, patch_size=5, patch_distance=6,
                                                       fast_mode=True, channel_axis=-1), (0.6, 0.8, 1.0))
    try:
        import bm3d
    except ImportError:
        record["cbm3d"] = {"psnr": None, "seconds": None, "error": "bm3d is not installed (pip install bm3d)"}
    else:
        out, seconds = _timed(bm3d.bm3d_rgb, noisy, sigma_psd=SIGMA)
        record["cbm3d"] = {"psnr": psnr(np.clip(out, 0, 1), clean), "seconds": seconds}
    return record


def run_sr_anchors(name: str, size: int) -> dict:
    """Pillow's bicubic and Lanczos upscaling of the 4× downscaled crop."""
    hr, lr = sr_crop(name, size)
    record = {"kind": "sr-anchors", "case": name, "split": CROPS[name].split, "size": size}
    for method, flt in (("bicubic", Image.Resampling.BICUBIC), ("lanczos", Image.Resampling.LANCZOS)):
        out, seconds = _timed(lambda f=flt: np.asarray(Image.fromarray(lr).resize((size, size), f)))
        record[method] = {"psnr": y_psnr(out, hr), "ssim": y_ssim(out, hr), "seconds": seconds}
    return record


def run_masks(quick: bool) -> dict:
    from dip_plugin.engine import suggest_mask
    from dip_plugin.synthetic import hole_mask, old_photo, scene

    rows = []
    seeds = range(2 if quick else 5)
    for size in (128, 256) if quick else (128, 256, 512):
        hit = found = true = 0
        t = time.perf_counter()
        for seed in seeds:
            img, truth = old_photo(size, seed=seed)
            m = suggest_mask(img, grow=0)
            hit, found, true = hit + (m & truth).sum(), found + m.sum(), true + truth.sum()
        rows.append((f"old photo {size}×{size}", float(hit / max(1, found)), float(hit / true),
                     (time.perf_counter() - t) / len(seeds)))
    for name in ("face", "foliage", "street"):
        hit = found = true = 0
        t = time.perf_counter()
        for seed in seeds:
            rng = np.random.default_rng(seed)
            gray = scene(name, 256, seed=seed).mean(-1) + rng.normal(0, 0.02, (256, 256))
            truth = hole_mask("thin", 256, seed=seed)
            img = np.clip(gray - 0.3 * truth, 0, 1).astype(np.float32)
            m = suggest_mask(img, grow=0)
            hit, found, true = hit + (m & truth).sum(), found + m.sum(), true + truth.sum()
        rows.append((f"{name} 256×256 + dark scratches (−0.3)", float(hit / max(1, found)), float(hit / true),
                     (time.perf_counter() - t) / len(seeds)))
    return {"kind": "masks", "rows": rows}


def _pool_call(job: tuple) -> dict:
    fn, args = job
    import torch

    torch.set_num_threads(1)  # two cheap runs side by side; the DIP runs come later, on their own
    return _guarded(fn, args)


def _guarded(fn: str, args: tuple) -> dict:
    """``fn(*args)``'s record, dated; a failure becomes a record with the error."""
    try:
        record = globals()[fn](*args)
    except Exception as e:  # a failed run is reported, not fatal
        traceback.print_exc()
        record = {**_identity(fn, args), "error": f"{type(e).__name__}: {e}"}
    return {**record, "date": date.today().isoformat()}


def _identity(fn: str, args: tuple) -> dict:
    """The key fields of the record ``fn(*args)`` would have made."""
    kind = {"run_denoise_anchors": "denoise-anchors", "run_sr_anchors": "sr-anchors", "run_masks": "masks",
            "run_denoise": "denoise", "run_sr": "sr", "run_jpeg": "jpeg", "run_flash": "flash"}.get(fn)
    if fn == "run_fixed_steps":
        return {"kind": args[0], "task": args[1], "preset": args[2], "size": args[3]}
    if fn in ("run_denoise_anchors", "run_sr_anchors"):
        return {"kind": kind, "case": args[0], "split": CROPS[args[0]].split, "size": args[1]}
    if fn in ("run_denoise", "run_sr"):
        return {"kind": kind, "case": args[0], "split": CROPS[args[0]].split, "preset": args[1], "size": args[2]}
    if fn in ("run_jpeg", "run_flash"):
        return {"kind": kind, "scene": args[0], "preset": args[1], "size": args[2],
                **({"guided": args[5]} if fn == "run_flash" else {})}
    return {"kind": kind}


# --------------------------------------------------------------------- DIP runs (one at a time, here)


class Steps:
    """on_progress that remembers the plan (``total``) and the last step reported before the final one."""

    def __init__(self) -> None:
        self.last = 0
        self.total = 0

    def __call__(self, p) -> None:
        self.total = p.total
        if p.step < p.total:
            self.last = max(self.last, p.step)


def _task(preset, iterations):
    """A preset, with its step cap replaced (for --quick and --iterations)."""
    return preset if iterations is None else preset.with_iterations(iterations)


def _run_info(steps: Steps, seconds: float, iterations: int | None) -> dict:
    import torch

    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        load = None
    return {"seconds": seconds, "steps": steps.last, "planned": steps.total, "threads": torch.get_num_threads(),
            "load": load, "iterations": iterations}


def run_denoise(name: str, preset: str, size: int, iterations: int | None, device: str) -> dict:
    from dip_plugin.engine import DENOISE_PRESETS, denoise

    clean, noisy = noisy_crop(name, size)
    steps = Steps()
    out, seconds = _timed(denoise, noisy, preset=_task(DENOISE_PRESETS[preset], iterations), device=device,
                          on_progress=steps)
    return {"kind": "denoise", "case": name, "split": CROPS[name].split, "preset": preset, "size": size,
            "device": device, "noisy": psnr(noisy, clean), "psnr": psnr(out, clean),
            **_run_info(steps, seconds, iterations)}


def run_sr(name: str, preset: str, size: int, iterations: int | None, device: str) -> dict:
    from dip_plugin.engine import SR_PRESETS, super_resolve

    hr, lr = sr_crop(name, size)
    steps = Steps()
    out, seconds = _timed(super_resolve, lr, 4, preset=_task(SR_PRESETS[preset], iterations), device=device,
                          on_progress=steps)
    return {"kind": "sr", "case": name, "split": CROPS[name].split, "preset": preset, "size": size,
            "device": device, "psnr": y_psnr(out, hr), "ssim": y_ssim(out, hr),
            **_run_info(steps, seconds, iterations)}


def run_jpeg(name: str, preset: str, size: int, iterations: int | None, device: str) -> dict:
    from dip_plugin.engine import JPEG_PRESETS, remove_jpeg_artifacts
    from dip_plugin.synthetic import scene

    clean = to_u8(scene(name, size, seed=3))
    compressed = jpeg(clean, 10)
    steps = Steps()
    out, seconds = _timed(remove_jpeg_artifacts, compressed, preset=_task(JPEG_PRESETS[preset], iterations),
                          device=device, on_progress=steps)
    return {"kind": "jpeg", "scene": name, "preset": preset, "size": size, "device": device,
            "jpeg": psnr(compressed, clean, 255.0), "psnr": psnr(out, clean, 255.0),
            **_run_info(steps, seconds, iterations)}


def run_flash(name: str, preset: str, size: int, iterations: int | None, device: str, guided: bool) -> dict:
    from dip_plugin.engine import FLASH_PRESETS, denoise, flash_no_flash

    ambient, flash, no_flash = flash_case(name, size)
    task = _task(FLASH_PRESETS[preset], iterations)
    steps = Steps()
    if guided:
        out, seconds = _timed(flash_no_flash, flash, no_flash, preset=task, device=device, on_progress=steps)
    else:
        out, seconds = _timed(denoise, no_flash, preset=task, device=device, on_progress=steps)
    return {"kind": "flash", "scene": name, "preset": preset, "size": size, "guided": guided, "device": device,
            "no_flash": psnr(no_flash, ambient), "psnr": psnr(out, ambient), **_run_info(steps, seconds, iterations)}


def run_fixed_steps(kind: str, task: str, preset: str, size: int, steps: int, device: str) -> dict:
    """Seconds of ``steps`` steps per tile of a preset on a size×size RGB image (SR: a size/4 input), early
    stopping and held-out pixels off; the number of tiles comes from the engine's own plan (its progress)."""
    from dip_plugin import engine

    table_, fn = {"denoise": (engine.DENOISE_PRESETS, engine.denoise),
                  "jpeg": (engine.JPEG_PRESETS, engine.remove_jpeg_artifacts),
                  "sr": (engine.SR_PRESETS, lambda img, **kw: engine.super_resolve(img, 4, **kw))}[task]
    p = table_[preset]
    fixed = replace(p, settings=replace(p.settings, iterations=steps, early_stop=False, min_iterations=steps),
                    holdout_fraction=0.0, discrepancy=False)
    if p.settings.iterations == 0:  # no fit (denoise fast: the classical estimate): timed as it runs
        steps, fixed = 0, p
    rng = np.random.default_rng(0)
    side = size // 4 if task == "sr" else size
    warm = min(side, p.tile // (4 if task == "sr" else 1))
    fn(rng.random((warm, warm, 3)).astype(np.float32), device=device,  # warm-up on one tile
       preset=replace(fixed, settings=replace(fixed.settings, iterations=2, min_iterations=2)))
    counter = Steps()
    _, seconds = _timed(fn, rng.random((side, side, 3)).astype(np.float32), preset=fixed, device=device,
                        on_progress=counter)
    # With no steps to take, the engine counts each tile as one step.
    tiles = max(1, counter.total // max(1, steps))
    info = _run_info(counter, seconds, None)
    return {"kind": kind, "task": task, "preset": preset, "size": size, "device": device, "steps_per_tile": steps,
            "tiles": tiles, "seconds": seconds, "per_tile_step": seconds / (tiles * max(1, steps)),
            "cap": p.settings.iterations, "early_stop": p.settings.early_stop, "threads": info["threads"],
            "load": info["load"]}


# ------------------------------------------------------------------------------------------- report


def _f(x, fmt: str = ".2f", missing: str = "–") -> str:
    return missing if x is None else format(x, fmt)


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def _seconds(x) -> str:
    if x is None:
        return "–"
    return f"{x:.2f}" if x < 1 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def _usage() -> list[str]:
    return [ln.strip() for ln in (__doc__ or "").splitlines() if ln.strip().startswith("python -m")]


class Records:
    """The records of a report, looked up by kind and fields."""

    def __init__(self, records: list[dict]) -> None:
        self.all = records
        self.ok = [r for r in records if "error" not in r]

    def of(self, kind: str, **match) -> list[dict]:
        return [r for r in self.ok if r["kind"] == kind and all(r.get(k) == v for k, v in match.items())]

    def one(self, kind: str, **match) -> dict | None:
        found = self.of(kind, **match)
        return found[-1] if found else None

    def presets(self, kind: str) -> list[str]:
        return [p for p in PRESETS if self.of(kind, preset=p)]

    def cases(self, *kinds: str, split: str | None = None) -> list[str]:
        return [c for c in CROPS if (split is None or CROPS[c].split == split)
                and any(self.of(k, case=c) for k in kinds)]


def header(data: dict, rs: Records) -> list[str]:
    env = data.get("environment", {})
    dates = sorted({r["date"] for r in rs.all if r.get("date")})
    span = f"{dates[0]} to {dates[-1]}" if len(dates) > 1 else dates[0] if dates else "?"
    dip = [r for r in rs.ok if r["kind"] in ("denoise", "sr", "jpeg", "flash", "steps", "scale")]
    threads = ", ".join(map(str, sorted({r["threads"] for r in dip if r.get("threads")}))) or "?"
    threads += " torch thread" + ("" if threads == "1" else "s")
    count = (f"{threads}, set by `--threads`" if env.get("threads", "default") != "default"
             else f"the product's own thread count ({threads})")
    loads = [r["load"] for r in dip if r.get("load") is not None]
    devices = "/".join(sorted({r.get("device", "cpu") for r in dip})) or "cpu"
    jobs = env.get("jobs", "?")
    side_by_side = (f"{jobs} processes side by side, one torch thread each (bm3d picks its own threads), so their "
                    "seconds are upper bounds" if jobs != "1" else "one at a time")
    out = ["# Benchmarks: denoising and super-resolution on photos, JPEG, flash/no-flash, suggested masks", ""]
    if data.get("quick"):
        out += ["**A smoke run (`--quick`): tiny images and a few steps; the numbers say nothing about quality or "
                "speed.**", ""]
    out += [
        "Written by `benchmarks/restoration.py` (raw records: `benchmarks-restoration.json` beside this file).  To "
        "run it, or a part of it (a partial run replaces only its own records):", "", "```", *_usage(), "```", "",
        f"Measured {span} on {env.get('cpu', '?')}, {env.get('cpu_count', '?')} cores available, "
        f"{env.get('system', '?')}; Python {env.get('python', '?')}, torch {env.get('torch', '?')}, NumPy "
        f"{env.get('numpy', '?')}, scikit-image {env.get('skimage', '?')}, Pillow {env.get('pillow', '?')}, bm3d "
        f"{env.get('bm3d', '?')}.",
        "",
        f"Deep Image Prior runs one at a time, nothing else of the benchmark running, on the {devices} with {count}.  "
        f"The cheap runs (classical anchors, suggested masks) ran before, {side_by_side}."
        + (f"  Load average (1 min) at the end of the DIP runs: {min(loads):.1f} to {max(loads):.1f}; the machine "
           "may have been shared with other work, so times are indicative." if loads else ""),
        "",
    ]
    return out


def cases_section(data: dict) -> list[str]:
    side = data.get("photo_size", SIDE)
    rows = [[name, c.split, f"`{c.source.removeprefix('sk:')}`", str(c.width), f"({c.centre[0]}, {c.centre[1]})",
             *SOURCES[c.source]] for name, c in CROPS.items()]
    return [
        "## Photo cases", "",
        "Denoising and super-resolution use 256×256 RGB crops of ten real photos: each photo is resized to the "
        "given width with Pillow's Lanczos filter (the height keeps the aspect ratio, rounded), then cut to 256×256 "
        "centred at (fx·width, fy·height), moved inside the image where it would stick out.  Presets may be tuned "
        "on the tuning split, never on the validation split.  `.jpg` photos: the Debian package "
        "`lomiri-wallpapers-16.04` (`/usr/share/backgrounds/`, read with `ImageOps.exif_transpose`; credits and "
        "licences from `/usr/share/doc/lomiri-wallpapers-16.04/copyright`); the others: scikit-image's bundled "
        "`skimage.data`." + (f"  (This run: each crop resized to {side}×{side} with Lanczos.)" if side != SIDE
                                else ""), "",
        *table(["case", "split", "photo", "width", "centre (fx, fy)", "credit", "licence"], rows),
    ]


def denoise_section(rs: Records) -> list[str]:
    presets = rs.presets("denoise")
    main = "fast" if "fast" in presets else presets[0] if presets else None
    env_size = next((r["size"] for r in rs.of("denoise-anchors") + rs.of("denoise")), SIDE)
    out = [
        f"## Denoising, σ = 25, {env_size}×{env_size} photo crops", "",
        "Gaussian noise of σ = 25/255 (NumPy `default_rng(0)`), added to the crop in [0, 1], clipped to [0, 1], "
        "float32.  PSNR in dB over RGB.  Deep Image Prior is blind: `denoise(noisy, preset=...)` gets neither the "
        "noise level nor a step count and stops by itself (held-out pixels and the noise level it estimates).",
        "",
        "- **CBM3D**: `bm3d.bm3d_rgb(noisy, sigma_psd=25/255)` (PyPI `bm3d`, Mäkinen, Azzari and Foi), output "
        "clipped to [0, 1].  It is given the **true** σ, which DIP is not.  Its licence (Tampere University: "
        "non-commercial use only) rules it out as a runtime dependency: it is a benchmark anchor only.",
        "- **NLM**: scikit-image `denoise_nl_means` (fast mode, 5×5 patches, 13×13 search, h = 0.6, 0.8 or 1.0 × σ̂, "
        "σ̂ from `estimate_sigma`), the best of the three strengths picked with the clean image.",
        "- **TV**: scikit-image `denoise_tv_chambolle` (weight 0.5, 1 or 1.5 × σ̂), the best of three likewise.",
        "",
        "Seconds: CBM3D, one run; NLM and TV, the mean of their three runs.",
        "",
    ]
    for split in ("tuning", "validation"):
        cases = rs.cases("denoise-anchors", "denoise", split=split)
        if not cases:
            continue
        rows, cols = [], []
        for c in cases:
            a = rs.one("denoise-anchors", case=c) or {}
            d = rs.one("denoise", case=c, preset=main) if main else None
            get = lambda m, k, a=a: (a.get(m) or {}).get(k)  # noqa: E731
            dip = d["psnr"] if d else None
            noisy = a.get("noisy", d["noisy"] if d else None)
            col = [noisy, get("tv", "psnr"), get("nlm", "psnr"), get("cbm3d", "psnr"), dip,
                   None if dip is None or get("cbm3d", "psnr") is None else dip - get("cbm3d", "psnr"),
                   None if dip is None or get("nlm", "psnr") is None else dip - get("nlm", "psnr"),
                   get("tv", "seconds"), get("nlm", "seconds"), get("cbm3d", "seconds"), d["seconds"] if d else None]
            cols.append(col)
            rows.append([c, *(_f(v) for v in col[:5]), *(_f(v, "+.2f") for v in col[5:7]),
                         f"~{d['steps']}" if d else "–", *(_seconds(v) for v in col[7:])])
        means = [_mean(col[i] for col in cols) for i in range(11)]
        rows.append(["**mean**", *(_f(v) for v in means[:5]), *(_f(v, "+.2f") for v in means[5:7]), "",
                     *(_seconds(v) for v in means[7:])])
        out += [f"### {split.title()} split", "",
                *table(["case", "noisy", "TV", "NLM", "CBM3D", f"DIP {main or ''}".strip(), "DIP − CBM3D",
                        "DIP − NLM", "DIP steps", "s TV", "s NLM", "s CBM3D", "s DIP"], rows)]
    other = [r for p in presets if p != main for r in rs.of("denoise", preset=p)]
    if other:
        rows = []
        for r in other:
            cb = ((rs.one("denoise-anchors", case=r["case"]) or {}).get("cbm3d") or {}).get("psnr")
            rows.append([r["case"], r["split"], r["preset"], _f(r["psnr"]),
                         _f(None if cb is None else r["psnr"] - cb, "+.2f"), f"~{r['steps']}", _seconds(r["seconds"])])
        out += ["### Other presets", "", *table(["case", "split", "preset", "DIP", "DIP − CBM3D", "steps", "s"], rows)]
    return out


def sr_section(rs: Records) -> list[str]:
    presets = rs.presets("sr")
    main = "fast" if "fast" in presets else presets[0] if presets else None
    size = next((r["size"] for r in rs.of("sr-anchors") + rs.of("sr")), SIDE)
    out = [
        f"## Super-resolution ×4, {size // 4}×{size // 4} → {size}×{size} photo crops", "",
        "The crop is downscaled 4× with Pillow's Lanczos filter (not the engine's downsampler) and kept in 8 bits; "
        "the result is compared with the crop on the BT.601 luma (16–235), 4 pixels cropped off each border: Y-PSNR "
        "in dB (as in the paper) and SSIM (`skimage.metrics.structural_similarity`, data_range = 255, its default "
        "7×7 window).  Bicubic and Lanczos: Pillow's `resize`.  DIP: `super_resolve(lr, 4, preset=...)`.",
        "",
    ]
    for split in ("tuning", "validation"):
        cases = rs.cases("sr-anchors", "sr", split=split)
        if not cases:
            continue
        rows, cols = [], []
        for c in cases:
            a = rs.one("sr-anchors", case=c) or {}
            d = rs.one("sr", case=c, preset=main) if main else None
            get = lambda m, k, a=a: (a.get(m) or {}).get(k)  # noqa: E731
            dip, dssim = (d["psnr"], d["ssim"]) if d else (None, None)
            col = [get("bicubic", "psnr"), get("lanczos", "psnr"), dip,
                   None if dip is None or get("bicubic", "psnr") is None else dip - get("bicubic", "psnr"),
                   get("bicubic", "ssim"), get("lanczos", "ssim"), dssim,
                   None if dssim is None or get("bicubic", "ssim") is None else dssim - get("bicubic", "ssim"),
                   get("bicubic", "seconds"), get("lanczos", "seconds"), d["seconds"] if d else None]
            cols.append(col)
            rows.append([c, *(_f(v) for v in col[:3]), _f(col[3], "+.2f"), *(_f(v, ".4f") for v in col[4:7]),
                         _f(col[7], "+.4f"), *(_f(v and v * 1000, ".1f") for v in col[8:10]), _seconds(col[10])])
        m = [_mean(col[i] for col in cols) for i in range(11)]
        rows.append(["**mean**", *(_f(v) for v in m[:3]), _f(m[3], "+.2f"), *(_f(v, ".4f") for v in m[4:7]),
                     _f(m[7], "+.4f"), *(_f(v and v * 1000, ".1f") for v in m[8:10]), _seconds(m[10])])
        dip = f"DIP {main or ''}".strip()
        out += [f"### {split.title()} split", "",
                *table(["case", "Y-PSNR bicubic", "Lanczos", dip, "DIP − bicubic", "SSIM bicubic", "Lanczos", dip,
                        "DIP − bicubic", "ms bicubic", "ms Lanczos", "s DIP"], rows)]
    other = [r for p in presets if p != main for r in rs.of("sr", preset=p)]
    if other:
        rows = []
        for r in other:
            b = (rs.one("sr-anchors", case=r["case"]) or {}).get("bicubic") or {}
            rows.append([r["case"], r["split"], r["preset"], _f(r["psnr"]),
                         _f(None if b.get("psnr") is None else r["psnr"] - b["psnr"], "+.2f"), _f(r["ssim"], ".4f"),
                         _seconds(r["seconds"])])
        out += ["### Other presets", "",
                *table(["case", "split", "preset", "Y-PSNR", "− bicubic", "SSIM", "s"], rows)]
    return out


def scale_section(rs: Records) -> list[str]:
    runs = sorted(rs.of("scale"), key=lambda r: (("denoise", "sr", "jpeg").index(r["task"]), r["size"]))
    if not runs:
        return []
    rows = []
    for r in runs:
        inp = f"{r['size'] // 4}² → " if r["task"] == "sr" else ""
        k = max(1, r["steps_per_tile"])
        fit = r["steps_per_tile"] > 0
        rows.append([r["task"], r["preset"], f"{inp}{r['size']}²", str(r["tiles"]),
                     str(r["steps_per_tile"]) if fit else "none (classical)",
                     _seconds(r["seconds"]), f"{r['per_tile_step']:.3f}",
                     f"{r['seconds'] / (r['size'] ** 2 / 65536) / k:.3f}",
                     f"{r['per_tile_step'] * r['tiles'] * r['cap'] / 60:.1f} min" if fit else _seconds(r["seconds"])])
    steps = sorted({r["steps_per_tile"] for r in runs})
    stops = sorted({r["task"] for r in runs if r.get("early_stop")})
    stop_note = (f"; {' and '.join(stops)} stop{'s' if len(stops) == 1 else ''} early, usually well before it"
                 if stops else "")
    return [
        "## Seconds against image size", "",
        f"Each task's preset on an N×N random image (super-resolution: an N/4 × N/4 input), "
        f"{'/'.join(map(str, steps))} steps per tile, early stopping and held-out pixels off, after a 2-step "
        "warm-up on one tile.  Images are cut into tiles of at most 256×256 output pixels that overlap by 32 "
        "(super-resolution tiles its input: 64 px, overlap 8; see `plan_tiles` in `dip_plugin/engine/_restore.py`), "
        "each fitted by a fresh net, so time grows with the number of tiles; the seconds include each tile's "
        "set-up and the progress previews.  The last column is the time the preset's step cap would take"
        f"{stop_note}.  A preset that fits nothing (denoise `fast`: the classical estimate) is timed as it runs; "
        "its per-step columns are then per tile and per 256².", "",
        *table(["task", "preset", "size", "tiles", "steps per tile", "seconds", "s per tile-step",
                "s per step per 256²", "at the step cap"], rows),
    ]


def generated_sections(rs: Records) -> list[str]:
    out = []
    if runs := rs.of("jpeg"):
        size = runs[0]["size"]
        out += ["## JPEG artifacts, quality 10 (generated scenes)", "",
                f"Scenes of `dip_plugin.synthetic` ({size}×{size}, seed 3), Pillow JPEG at quality 10 (4:2:0); PSNR "
                "of RGB against the original.", "",
                *table(["scene", "preset", "JPEG", "DIP", "difference", "steps", "time"],
                       [[r["scene"], r["preset"], _f(r["jpeg"]), f"**{r['psnr']:.2f}**",
                         _f(r["psnr"] - r["jpeg"], "+.2f"), str(r["planned"]), f"{_seconds(r['seconds'])} s"]
                        for r in runs])]
    if runs := rs.of("flash", guided=True):
        size = runs[0]["size"]
        rows = []
        for r in runs:
            alone = rs.one("flash", guided=False, scene=r["scene"], preset=r["preset"])
            rows.append([r["scene"], r["preset"], _f(r["no_flash"]), _f(alone["psnr"] if alone else None),
                         f"**{r['psnr']:.2f}**", f"{_seconds(r['seconds'])} s"])
        out += ["## Flash/no-flash (generated scenes)", "",
                f"A {size}×{size} scene.  Truth: the scene under dim warm light (×0.45, tint 1.0/0.85/0.65).  No-flash "
                "photo: the truth plus noise of σ = 0.05.  Flash photo: the scene under a cool flash that falls off "
                "towards the corners, noise 0.01.  PSNR against the truth; \"denoise only\" fits the no-flash photo "
                "alone with the same preset.", "",
                *table(["scene", "preset", "no-flash", "denoise only", "flash/no-flash", "time"], rows)]
    if masks := rs.one("masks"):
        out += [
            "## Suggested scratch/dust masks", "",
            "`suggest_mask(image, grow=0)` with the default sensitivity, against the generated defect mask; pixels "
            "counted exactly (no tolerance).  Old photos: `synthetic.old_photo` (grain σ = 0.03, scratches and dust "
            "of mixed bright and dark pixels).  The last rows put 1–2 px dark scratches on textured scenes, where "
            "thin real features (mortar, window frames, eyebrows) compete.", "",
            *table(["case", "precision", "recall", "time per image"],
                   [[case, f"{p:.3f}", f"{r:.3f}", f"{t:.2f} s"] for case, p, r, t in masks["rows"]]),
        ]
    if steps := rs.of("steps"):
        size = steps[0]["size"]
        steps = sorted(steps, key=lambda r: (("denoise", "sr", "jpeg").index(r["task"]), PRESETS.index(r["preset"])))
        out += [
            "## Time per preset", "",
            f"Seconds per 100 steps on one {size}×{size} tile (super-resolution: a {size // 4}×{size // 4} input, "
            f"{size}×{size} output), run as the scale table's runs are, and the most steps a tile may take.  A tile "
            "is at most 256×256 (512×512 for `paper`); time grows with the number of tiles.  Denoising usually stops "
            "well before its cap.", "",
            *table(["task", "preset", "s / 100 steps", "step cap", "full cap, one tile"],
                   [[r["task"], r["preset"], f"{r['per_tile_step'] * 100:.1f}", str(r["cap"]),
                     f"{r['per_tile_step'] * r['cap'] / 60:.1f} min"] for r in steps]),
        ]
    return out


def targets_section(rs: Records, data: dict) -> list[str]:
    """Each target, what was measured, and whether it is met."""
    quick = bool(data.get("quick"))
    full = data.get("photo_size", SIDE) if quick else SIDE
    rows: list[list[str]] = []

    def verdict(ok: bool | None, measured: int = 0, wanted: int = 0) -> str:
        if ok is None:
            return "not measured"
        return ("met" if ok else "**not met**") + (f" ({measured} of {wanted} cases measured)"
                                                   if measured < wanted else "")

    def anchor(kind: str, case: str, method: str, value: str = "psnr") -> float | None:
        return ((rs.one(kind, case=case) or {}).get(method) or {}).get(value)

    def every_case(name: str, diffs: list[tuple[float, str]], threshold: float, fmt: str) -> None:
        if not diffs:
            rows.append([name, "–", verdict(None)])
            return
        worst = min(diffs)
        k = sum(d >= threshold for d, _ in diffs)
        rows.append([name, f"{k} of {len(diffs)} cases; worst {worst[0]:{fmt}} ({worst[1]})",
                     verdict(k == len(diffs), len(diffs), len(CROPS))])

    def seconds(name: str, runs: list[dict], label: str, wanted: int) -> None:
        if not runs:
            rows.append([name, "–", verdict(None)])
            return
        worst = max(runs, key=lambda r: r["seconds"])
        rows.append([name, f"max {worst['seconds']:.1f} s ({worst[label]}), mean "
                     f"{np.mean([r['seconds'] for r in runs]):.1f} s",
                     verdict(worst["seconds"] <= TARGET_SECONDS, len(runs), wanted)])

    dn = rs.of("denoise", preset="fast", size=full)
    seconds(f"denoise `fast` ≤ {TARGET_SECONDS} s per {full}×{full} image", dn, "case", len(CROPS))
    for split in ("tuning", "validation"):
        pairs = [(r["psnr"], cb) for r in dn if r["split"] == split
                 if (cb := anchor("denoise-anchors", r["case"], "cbm3d")) is not None]
        name = f"denoise `fast` PSNR ≥ CBM3D mean − 0.5 dB, {split} split"
        if not pairs:
            rows.append([name, "–", verdict(None)])
            continue
        dip, cb = float(np.mean([p[0] for p in pairs])), float(np.mean([p[1] for p in pairs]))
        rows.append([name, f"{dip:.2f} vs {cb:.2f} − 0.5 ({dip - cb:+.2f})",
                     verdict(dip >= cb - 0.5, len(pairs), sum(c.split == split for c in CROPS.values()))])
    every_case("denoise `fast` PSNR ≥ NLM on every case",
               [(r["psnr"] - nlm, r["case"]) for r in dn
                if (nlm := anchor("denoise-anchors", r["case"], "nlm")) is not None], 0.0, "+.2f")
    sr = rs.of("sr", preset="fast", size=full)
    seconds(f"super-resolution ×4 `fast` ≤ {TARGET_SECONDS} s per {full}×{full} output", sr, "case", len(CROPS))
    every_case("super-resolution `fast` Y-PSNR ≥ bicubic + 0.5 dB on every case",
               [(r["psnr"] - b, r["case"]) for r in sr
                if (b := anchor("sr-anchors", r["case"], "bicubic")) is not None], 0.5, "+.2f")
    every_case("super-resolution `fast` luma SSIM ≥ bicubic's on every case",
               [(r["ssim"] - b, r["case"]) for r in sr
                if (b := anchor("sr-anchors", r["case"], "bicubic", "ssim")) is not None], 0.0, "+.4f")
    jp = [r for r in rs.of("jpeg", preset="fast") if quick or r["size"] == SIDE]
    jsize = jp[0]["size"] if jp else full
    name = f"JPEG `fast` ≤ {TARGET_SECONDS} s per {jsize}×{jsize} image"
    sc = rs.one("scale", task="jpeg", preset="fast", size=full)
    if jp:
        seconds(name + " (generated scenes)", jp, "scene", 0)
    elif sc:
        projected = sc["per_tile_step"] * sc["tiles"] * sc["cap"]
        rows.append([name, f"≈ {projected:.0f} s, projected from the scale table ({sc['cap']} steps)",
                     verdict(projected <= TARGET_SECONDS)])
    else:
        rows.append([name, "–", verdict(None)])
    out = ["## Targets", "",
           "Filled from the records below.  \"On every case\" counts the cases measured; a verdict covers what was "
           "measured, and says so when cases are missing."]
    if quick:
        out[-1] += "  (A smoke run: the sizes and steps are not the targets', so neither are the verdicts.)"
    return [*out, "", *table(["target", "measured", "verdict"], rows)]


def report(data: dict) -> str:
    rs = Records(data["records"])
    out = header(data, rs)
    smoke = [r for r in rs.ok if r.get("iterations")]
    if smoke and not data.get("quick"):
        out += [f"**Note: {len(smoke)} DIP runs were capped with `--iterations` (a smoke run of the plumbing); "
                "their numbers say nothing.**", ""]
    out += targets_section(rs, data) + cases_section(data) + denoise_section(rs) + sr_section(rs)
    out += scale_section(rs) + generated_sections(rs)
    failed = [r for r in rs.all if "error" in r]
    if failed:
        out += ["## Failed runs", "", *(f"- {' '.join(str(v) for v in key(r) if v is not None)}: {r['error']}"
                                      for r in failed), ""]
    return "\n".join(out)


# --------------------------------------------------------------------------------------------- main


def _names(value: str | None, known, what: str, parser: argparse.ArgumentParser) -> list[str] | None:
    if value is None:
        return None
    names = [n.strip() for n in value.split(",") if n.strip()]
    if bad := [n for n in names if n not in known]:
        parser.error(f"unknown {what}: {', '.join(bad)} (choose from {', '.join(known)})")
    return names


def plan(args: argparse.Namespace) -> tuple[list[tuple], list[tuple]]:
    """(cheap jobs for the pool, DIP jobs to run one at a time); each job is (function name, arguments)."""
    q = args.quick
    photo, generated = (QUICK["photo"], QUICK["generated"]) if q else (SIDE, None)
    it, dev = args.iterations, args.device
    cheap: list[tuple] = []
    dip: list[tuple] = []
    if "denoise" in args.tasks:
        cheap += [("run_denoise_anchors", (c, photo)) for c in args.cases]
        dip += [("run_denoise", (c, p, photo, it, dev)) for p in args.presets for c in args.cases]
    if "sr" in args.tasks:
        cheap += [("run_sr_anchors", (c, photo)) for c in args.cases]
        dip += [("run_sr", (c, p, photo, it, dev)) for p in args.presets for c in args.cases]
    if "masks" in args.tasks:
        cheap += [("run_masks", (q,))]
    if "jpeg" in args.tasks:
        dip += [("run_jpeg", (n, p, generated or JPEG_SIZE, it, dev)) for p in args.presets for n in JPEG_SCENES]
    if "flash" in args.tasks:
        dip += [("run_flash", (n, p, generated or FLASH_SIZE, it, dev, g))
                for p in args.presets for n in FLASH_SCENES for g in (True, False)]
    if "steps" in args.tasks:
        dip += [("run_fixed_steps", ("steps", t, p, generated or STEP_SIZE, QUICK["steps"] if q else 20, dev))
                for t in ("denoise", "sr", "jpeg") for p in PRESETS]
    if "scale" in args.tasks:
        steps = QUICK["scale_steps"] if q else args.scale_steps
        dip += [("run_fixed_steps", ("scale", t, "fast", s, steps, dev))
                for t in ("denoise", "sr", "jpeg") for s in (QUICK["scale"] if q else SCALE_SIZES)]
    return cheap, dip


def _label(r: dict) -> str:
    name = " ".join(str(v) for v in key(r) if v is not None)
    if "error" in r:
        return f"{name}: FAILED {r['error']}"
    parts = [f"{r['psnr']:.2f} dB"] if r.get("psnr") is not None else []
    parts += [f"{m} {r[m]['psnr']:.2f} dB" for m in ("tv", "nlm", "cbm3d", "bicubic", "lanczos")
              if (r.get(m) or {}).get("psnr") is not None]
    parts += [f"SSIM {r['ssim']:.4f}"] if r.get("ssim") is not None else []
    parts += [f"{r['seconds']:.1f} s"] if r.get("seconds") is not None else []
    parts += [f"{r['tiles']} tiles"] if r.get("tiles") else []
    return f"{name}: {', '.join(parts) or 'done'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", help=f"comma-separated, of: {','.join(TASKS)} (default: all)")
    parser.add_argument("--cases", help=f"photo cases, comma-separated, of: {','.join(CROPS)} (default: all; "
                        f"--quick: {','.join(QUICK['cases'])})")
    parser.add_argument("--presets", default="fast", help="DIP presets for denoise, sr, jpeg and flash, "
                        "comma-separated (default: fast); steps always covers every preset, scale uses fast")
    parser.add_argument("--scale-steps", type=int, default=20, help="steps per tile in the scale table (default 20)")
    parser.add_argument("--jobs", type=int, default=2, help="processes for the cheap runs (default 2; 1: one at a "
                        "time in this process)")
    parser.add_argument("--iterations", type=int, help="cap the DIP runs' steps per tile (smoke runs only)")
    parser.add_argument("--device", default="cpu", help="device for the DIP runs (default cpu)")
    parser.add_argument("--threads", type=int, help="torch threads for the DIP runs (default: the product's own "
                        "count; --quick: 1, its times mean nothing and a busy CPU makes more threads crawl)")
    parser.add_argument("--quick", action="store_true",
                        help=f"a smoke run: {QUICK['photo']}×{QUICK['photo']} crops, {QUICK['iterations']} steps, two "
                        "cases; written to the temp folder unless --output is given")
    parser.add_argument("--report-only", action="store_true", help="rewrite the markdown from the JSON")
    parser.add_argument("--output", help="markdown path, the JSON beside it (default docs/benchmarks-restoration.md; "
                        "--quick: benchmarks-restoration-quick.md in the temp folder)")
    args = parser.parse_args(argv)
    args.tasks = _names(args.tasks, TASKS, "task(s)", parser) or list(TASKS)
    args.cases = _names(args.cases, CROPS, "case(s)", parser) or list(QUICK["cases"] if args.quick else CROPS)
    args.presets = _names(args.presets, PRESETS, "preset(s)", parser)
    if args.quick:
        args.iterations = QUICK["iterations"] if args.iterations is None else args.iterations
        args.threads = args.threads or 1
    default = (Path(tempfile.gettempdir()) / "benchmarks-restoration-quick.md" if args.quick
               else ROOT / "docs" / "benchmarks-restoration.md")
    md = Path(args.output) if args.output else default
    path = md.with_suffix(".json")
    if args.report_only and not path.exists():
        parser.error(f"{path} does not exist: nothing to report")
    data = load_json(path)
    if data["records"] and bool(data.get("quick")) != args.quick and not args.report_only:
        parser.error(f"{path} holds {'smoke' if data.get('quick') else 'full'}-run records; write this run "
                     "elsewhere with --output")
    if not args.report_only:
        if os.environ.get("OMP_NUM_THREADS") and not args.threads:
            print(f"note: OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']} replaces the product's own thread count "
                  "in the DIP runs", file=sys.stderr)
        if {"denoise", "sr"} & set(args.tasks):
            for c in args.cases:
                if not CROPS[c].source.startswith("sk:"):
                    wallpaper(CROPS[c].source)  # or exit, saying which package to install
        try:
            bm3d_version = metadata.version("bm3d")
        except metadata.PackageNotFoundError:
            bm3d_version = "not installed"
        data["environment"] = environment(bm3d=bm3d_version, jobs=str(args.jobs),
                                          threads=str(args.threads or "default"))
        data["quick"] = args.quick
        if args.quick:
            data["photo_size"] = QUICK["photo"]
        cheap, dip = plan(args)
        start = time.perf_counter()

        def keep(r: dict) -> None:
            data["records"] = merge(data["records"], [r], key)
            save_json(path, data)
            print(f"[{time.perf_counter() - start:6.0f} s] {_label(r)}", file=sys.stderr, flush=True)

        if cheap and args.jobs > 1:
            with mp.get_context("spawn").Pool(min(args.jobs, len(cheap))) as pool:
                for r in pool.imap_unordered(_pool_call, cheap):
                    keep(r)
        else:
            for fn, fn_args in cheap:
                keep(_guarded(fn, fn_args))
        if args.threads and dip:
            import torch

            os.environ["OMP_NUM_THREADS"] = str(args.threads)  # the product then keeps the count set here
            torch.set_num_threads(args.threads)
        for fn, fn_args in dip:  # one at a time: each DIP run has the CPU to itself
            keep(_guarded(fn, fn_args))
    md.parent.mkdir(parents=True, exist_ok=True)
    md.write_text(report(data))
    print(f"wrote {md} and {path.name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
