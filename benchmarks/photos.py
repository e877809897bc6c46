"""Inpainting on real photographs at real sizes: DIP presets against the strongest classical fills.

    python -m benchmarks.photos                        # all cases and methods -> docs/benchmarks-photos.{json,md}
    python -m benchmarks.photos --methods fast,balanced --cases brick_object   # a subset, merged into the JSON
    python -m benchmarks.photos --report-only          # rewrite the markdown from the JSON
    python -m benchmarks.photos --save-cases /tmp/cases  # write each case's image and mask as PNG; print hole sizes
    python -m benchmarks.photos --save /tmp/results    # also keep every result as /tmp/results/CASE_METHOD.png
    python -m benchmarks.photos --methods fast --cases brick_object --iterations 3   # a smoke run of the plumbing

A tuning split (presets may be tuned on it) and a validation split (never tuned on).  Photos: scikit-image's
bundled data and the Debian package ``lomiri-wallpapers-16.04`` (CC-BY-4.0 wallpaper-contest photos).  Holes come
from seeded generators (text, brush strokes, scribbles, scratches with dust, object-sized blobs).  Each method runs
in its own process (``--one METHOD CASE``, JSON on the last stdout line) with a timeout, so that its peak RSS is its
own and a timeout or crash is recorded, not fatal; records replace those of the same case and method in the JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from benchmarks.crops import SOURCES, open_photo, wallpaper
from benchmarks.records import environment as common_environment
from benchmarks.records import load_json, merge, save_json, table

ROOT = Path(__file__).resolve().parents[1]
DIP = ("fast", "balanced")
PEERS = ("biharmonic", "telea", "ns", "fsr_fast", "fsr_best", "gmic_patch", "gmic_multiscale")
METHODS = (*DIP, *PEERS)
GMIC = {  # G'MIC-Qt "Inpaint [Patch-Based]" defaults, and the multi-scale patch matcher; image 0, mask 1 (255 = hole)
    "gmic_patch": "channels[1] 0 ge[1] 128 inpaint[0] [1],7,112,0.1,1,8,0,0.05,10,1 keep[0] cut 0,255",
    "gmic_multiscale": "channels[1] 0 ge[1] 128 srand 0 inpaint_matchpatch[0] [1],0,9,10,5,1 keep[0] cut 0,255",
}
WORDS = "deep image prior the quick brown fox jumps over lazy dog SAMPLE copyright 2024 photo summer Hello #42".split()


# ---- masks: each maker takes (rng, height, width) and returns a bool hole mask -------------------------------
def _canvas(h: int, w: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("L", (w, h), 0)
    return img, ImageDraw.Draw(img)


def _spread(rng: np.random.Generator, n: int, h: int, w: int, margin: float = 0) -> list[tuple[float, float]]:
    """``n`` points spread over the frame: one in each of ``n`` random cells of a grid."""
    rows = max(1, round(math.sqrt(n * h / w)))
    cols = math.ceil(n / rows)  # a grid of rows × cols ≥ n cells, about square
    cells = rng.choice(rows * cols, n, replace=False)
    return [(margin + (c % cols + rng.uniform()) * (w - 2 * margin) / cols,
             margin + (c // cols + rng.uniform()) * (h - 2 * margin) / rows) for c in cells]


def _curve(rng: np.random.Generator, start: tuple[float, float], length: float, bend: float,
           h: int, w: int, step: float = 4.0) -> list[tuple[float, float]]:
    """A smooth random path: its turning rate wanders (``bend`` per step); it bounces off the frame's edges."""
    (x, y), heading, turn = start, rng.uniform(0, 2 * math.pi), 0.0
    points = [start]
    for _ in range(int(length / step)):
        turn = 0.9 * turn + rng.normal(0, bend)
        heading += turn
        if not 0 <= x + step * math.cos(heading) < w:
            heading = math.pi - heading
        if not 0 <= y + step * math.sin(heading) < h:
            heading = -heading
        x = min(max(x + step * math.cos(heading), 0), w - 1)
        y = min(max(y + step * math.sin(heading), 0), h - 1)
        points.append((x, y))
    return points


def strokes(rng: np.random.Generator, h: int, w: int, count: tuple[int, int] = (6, 8),
            width: tuple[int, int] = (14, 24), length: tuple[int, int] = (200, 500), bend: float = 0.006) -> np.ndarray:
    """Brush strokes: smooth curves with round ends, spread over the whole frame."""
    img, draw = _canvas(h, w)
    for start in _spread(rng, int(rng.integers(count[0], count[1] + 1)), h, w):
        points = _curve(rng, start, rng.uniform(*length), bend, h, w)
        thick = int(rng.integers(width[0], width[1] + 1))
        draw.line(points, fill=255, width=thick, joint="curve")
        for x, y in (points[0], points[-1]):
            draw.ellipse([x - thick / 2, y - thick / 2, x + thick / 2, y + thick / 2], fill=255)
    return np.asarray(img) > 0


def scribbles(rng: np.random.Generator, h: int, w: int, count: int = 5) -> np.ndarray:
    """Scribbles: wiggly strokes 7–12 px thick."""
    return strokes(rng, h, w, count=(count, count), width=(7, 12), length=(150, 350), bend=0.05)


def scratches(rng: np.random.Generator, h: int, w: int, count: int = 12, specks: int = 40) -> np.ndarray:
    """Old-print damage: long thin scratches (1–4 px wide, 300–1200 px long) and dust specks (radius 1–4)."""
    img, draw = _canvas(h, w)
    for start in _spread(rng, count, h, w):
        draw.line(_curve(rng, start, rng.uniform(300, 1200), 0.002, h, w), fill=255,
                  width=int(rng.integers(1, 5)), joint="curve")
    for x, y, r in zip(rng.uniform(0, w, specks), rng.uniform(0, h, specks), rng.uniform(1, 4, specks), strict=True):
        draw.ellipse([x - r, y - r, x + r, y + r], fill=255)
    return np.asarray(img) > 0


def blobs(rng: np.random.Generator, h: int, w: int, count: int = 3, across: tuple[int, int] = (50, 90),
          centres: tuple[tuple[int, int], ...] = ()) -> np.ndarray:
    """Object-sized holes: irregular filled ellipses, at ``centres`` (x, y) or spread over the frame."""
    img, draw = _canvas(h, w)
    t = np.linspace(0, 2 * np.pi, 90, endpoint=False)
    for cx, cy in centres or _spread(rng, count, h, w, margin=across[1] / 2):
        a = rng.uniform(*across) / 2  # semi-axes a, b; a wobbly radius; a rotation
        b, rot = a * rng.uniform(0.6, 1.0), rng.uniform(0, np.pi)
        wobble = 1 + sum(rng.normal(0, 0.06) * np.cos(k * t + rng.uniform(0, 2 * np.pi)) for k in (2, 3, 5))
        x, y = a * wobble * np.cos(t), b * wobble * np.sin(t)
        xs, ys = cx + x * np.cos(rot) - y * np.sin(rot), cy + x * np.sin(rot) + y * np.cos(rot)
        draw.polygon(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=255)
    return np.asarray(img) > 0


def text(rng: np.random.Generator, h: int, w: int, size: int = 26, spacing: int = 120) -> np.ndarray:
    """Lines of words across the whole frame, one every ``spacing`` px, stroke 1, dilated by 1 px."""
    font = ImageFont.load_default(size=size)
    img, draw = _canvas(h, w)
    draw.fontmode = "1"  # no anti-aliasing: a crisp mask
    for top in range(int(rng.integers(0, spacing - size)), h - size // 2, spacing):
        words: list[str] = []
        while draw.textlength(" ".join(words), font=font) < w + 40:
            words.append(str(rng.choice(WORDS)))
        draw.text((-rng.uniform(0, 40), top), " ".join(words), font=font, fill=255, stroke_width=1, stroke_fill=255)
    return np.asarray(img.filter(ImageFilter.MaxFilter(3))) > 0


# ---- cases ---------------------------------------------------------------------------------------------------
class Case(NamedTuple):
    split: str
    source: str
    size: tuple[int, int]  # width, height
    mask: Callable[[np.random.Generator, int, int], np.ndarray]  # (rng, height, width) -> hole
    seed: int


CASES: dict[str, Case] = {
    "astronaut_text": Case("tuning", "sk:astronaut", (512, 512), partial(text, size=26), 11),
    "friends_strokes": Case("tuning", "friends_by_Aitzol_Berasategi.jpg", (1024, 1536), strokes, 12),
    "brick_object": Case("tuning", "sk:brick", (512, 512), blobs, 13),
    "life_scratches": Case("tuning", "life_by_Aitzol_Berasategi.jpg", (2000, 1332), scratches, 14),
    "coffee_scribble": Case("tuning", "sk:coffee", (600, 400), scribbles, 15),
    "fig_object": Case("validation", "Picture_0B_by_freespace.jpg", (2000, 1353),  # fig, plate, plate's tip, concrete
                       partial(blobs, across=(80, 160), centres=((1180, 720), (1420, 380), (480, 680), (330, 1060))),
                       21),
    "aitzgorri_text": Case("validation", "aitzgorri_by_Aitzol_Berasategi.jpg", (1024, 682), partial(text, size=28), 22),
    "wine_strokes": Case("validation", "Wine_by_Jakkub_Mede.jpg", (1024, 1535), strokes, 23),
    "picos_scratches": Case("validation", "picosdeeuropa_by_Aitzol_Berasategi.jpg", (2000, 1500), scratches, 24),
}


def load_case(name: str) -> tuple[np.ndarray, np.ndarray, str]:
    """The case's photo (uint8, H×W×3, or H×W for gray), its hole mask (bool H×W, True = hole) and its split."""
    case = CASES[name]
    image = open_photo(case.source)
    if case.source.startswith("sk:"):
        assert image.shape[1::-1] == case.size, (name, image.shape)
    else:
        image = np.asarray(Image.fromarray(image).resize(case.size, Image.LANCZOS))
    return image, case.mask(np.random.default_rng(case.seed), *image.shape[:2]), case.split


def save_cases(names: list[str], folder: Path) -> None:
    """Write CASE_image.png, CASE_mask.png (white = hole) and CASE_masked.png (hole in red); print hole fractions."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        image, mask, split = load_case(name)
        Image.fromarray(image).save(folder / f"{name}_image.png")
        Image.fromarray(mask.astype(np.uint8) * 255).save(folder / f"{name}_mask.png")
        shown = np.stack([image] * 3, -1) if image.ndim == 2 else image.copy()
        shown[mask] = (255, 0, 0)
        Image.fromarray(shown).save(folder / f"{name}_masked.png")
        print(f"{name:16s} {split:10s} {image.shape[1]}×{image.shape[0]}  hole {mask.mean():.1%}")


# ---- metrics -------------------------------------------------------------------------------------------------
def hole_psnr(result: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> float:
    """PSNR (dB) over the hole's pixels and channels, on values in [0, 1]."""
    err = float(np.mean((result[mask].astype(np.float64) / 255 - truth[mask].astype(np.float64) / 255) ** 2))
    return float(10 * np.log10(1.0 / max(err, 1e-12)))


def _gradient(image: np.ndarray) -> np.ndarray:
    """Gradient magnitude (central differences) per pixel, averaged over channels."""
    f = image.astype(np.float64) / 255
    f = f[..., None] if f.ndim == 2 else f
    return np.mean([np.hypot(*np.gradient(f[..., c])) for c in range(f.shape[-1])], axis=0)


def detail_ratio(result: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> float:
    """Mean gradient magnitude in the hole, result over truth: 1 = as much detail as the truth, ≪ 1 = a smear."""
    return float(_gradient(result)[mask].mean() / max(_gradient(truth)[mask].mean(), 1e-12))


# ---- methods -------------------------------------------------------------------------------------------------
def _classical(image: np.ndarray, mask: np.ndarray, method: str) -> np.ndarray:
    """scikit-image's biharmonic fill, OpenCV's Telea, Navier–Stokes and FSR fills; uint8 in, uint8 out."""
    import cv2

    if method == "biharmonic":
        from skimage.restoration import inpaint_biharmonic

        out = inpaint_biharmonic(image / 255.0, mask, channel_axis=-1 if image.ndim == 3 else None)
        return np.clip(np.rint(out * 255), 0, 255).astype(np.uint8)
    if method in ("telea", "ns"):
        return cv2.inpaint(image, mask.astype(np.uint8), 3, cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS)
    flag = cv2.xphoto.INPAINT_FSR_FAST if method == "fsr_fast" else cv2.xphoto.INPAINT_FSR_BEST
    src = cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 else image
    dst = np.zeros_like(src)
    cv2.xphoto.inpaint(src, (~mask).astype(np.uint8) * 255, dst, flag)  # its mask: non-zero = known
    return cv2.cvtColor(dst, cv2.COLOR_BGR2RGB) if image.ndim == 3 else dst


def _gmic(image: np.ndarray, mask: np.ndarray, method: str) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        src, hole, out = (str(Path(tmp) / n) for n in ("image.png", "mask.png", "out.png"))
        Image.fromarray(image).save(src)
        Image.fromarray(mask.astype(np.uint8) * 255).save(hole)
        subprocess.run(["gmic", src, hole, *GMIC[method].split(), "o", out], check=True, capture_output=True)
        with Image.open(out) as im:
            result = np.asarray(im.convert("L" if image.ndim == 2 else "RGB"))
    assert result.shape == image.shape, (result.shape, image.shape)
    return result


def run_one(method: str, name: str, iterations: int | None = None, save: str | None = None) -> dict:
    """Run one method on one case in this process; return its record."""
    import resource

    image, mask, split = load_case(name)
    record: dict = {"case": name, "split": split, "method": method, "status": "ok",
                    "size": f"{image.shape[1]}x{image.shape[0]}", "hole_pixels": int(mask.sum())}
    given = image.copy()
    given[mask] = 0  # no method sees the truth in the hole
    start = time.perf_counter()
    if method in DIP:
        from dip_plugin.engine import inpaint

        record.update(steps=0, total=None, iterations=iterations)
        def on_progress(p) -> None:
            record["steps"], record["total"] = p.step, p.total

        extra = {"iterations": iterations} if iterations else {}
        out = inpaint(given, mask, preset=method, seed=0, device="auto", on_progress=on_progress, **extra)
    else:
        out = _gmic(given, mask, method) if method in GMIC else _classical(given, mask, method)
    record["seconds"] = time.perf_counter() - start
    out = np.where(mask[..., None] if image.ndim == 3 else mask, out, image)  # known pixels: the input's, for all
    record["psnr"], record["detail"] = hole_psnr(out, image, mask), detail_ratio(out, image, mask)
    record["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if save:
        Path(save).mkdir(parents=True, exist_ok=True)
        Image.fromarray(out).save(Path(save) / f"{name}_{method}.png")
    return record


def _spawn(method: str, name: str, args: argparse.Namespace) -> dict:
    """Run ``method`` on ``name`` in a child process; a timeout or a failure becomes the record's status."""
    cmd = [sys.executable, "-m", "benchmarks.photos", "--one", method, name]
    cmd += ["--iterations", str(args.iterations)] if args.iterations else []
    cmd += ["--save", str(Path(args.save).resolve())] if args.save else []
    start = time.perf_counter()
    child = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        stdout, stderr = child.communicate(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)  # the child and what it started (gmic)
        child.communicate()
        return {**_stub(method, name), "status": "timeout", "seconds": time.perf_counter() - start}
    lines = stdout.strip().splitlines()
    if child.returncode != 0 or not lines:
        return {**_stub(method, name), "status": "failed", "error": (stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(lines[-1])


def _stub(method: str, name: str) -> dict:
    """The record of a run that gave no result."""
    image, mask, split = load_case(name)
    return {"case": name, "split": split, "method": method, "size": f"{image.shape[1]}x{image.shape[0]}",
            "hole_pixels": int(mask.sum()), "seconds": None, "psnr": None, "detail": None, "peak_rss_mb": None}


# ---- report --------------------------------------------------------------------------------------------------
def environment() -> dict:
    import cv2

    try:
        found = re.search(r"Version ([0-9.]+)", subprocess.run(["gmic", "-version"], capture_output=True,
                                                               text=True, timeout=60).stdout)
    except (OSError, subprocess.TimeoutExpired):
        found = None
    return common_environment(cv2=cv2.__version__, gmic=found[1] if found else "?")


def _cell(r: dict | None, key: str, fmt: str) -> str:
    """A record's value, formatted; its status ("timeout", "failed") if it has none; "–" if it was not run."""
    if not _ok(r):
        return "–" if r is None else r["status"]
    return "–" if r.get(key) is None else format(r[key], fmt)


def _ok(r: dict | None) -> bool:
    return r is not None and r["status"] == "ok"


def _split_section(split: str, by: dict, records: list[dict]) -> list[str]:
    cases = [c for c in CASES if CASES[c].split == split and any(r["case"] == c for r in records)]
    methods = [m for m in METHODS if any((c, m) in by for c in cases)]
    if not cases:
        return []
    dips = [m for m in DIP if m in methods]
    out = [f"## {split.title()} split", "", "### Hole PSNR (dB, higher is better)", ""]
    rows = []
    for c in cases:
        peers = [(by[c, m]["psnr"], m) for m in PEERS if _ok(by.get((c, m)))]
        best = max(peers) if peers else None
        row = [c, *(_cell(by.get((c, m)), "psnr", ".2f") for m in methods)]
        row.append(f"{best[1]} ({best[0]:.2f})" if best else "–")
        row += [f"{by[c, d]['psnr'] - best[0]:+.2f}" if best and _ok(by.get((c, d))) else "–" for d in dips]
        rows.append(row)
    means = [[by[c, m]["psnr"] for c in cases if _ok(by.get((c, m)))] for m in methods]  # " (k/n)": k cases ran
    rows.append(["**mean**", *(f"{np.mean(v):.2f}" + (f" ({len(v)}/{len(cases)})" if len(v) < len(cases) else "")
                               if v else "–" for v in means), *[""] * (1 + len(dips))])
    out += table(["case", *methods, "best peer", *(f"{d} − best peer" for d in dips)], rows)
    out += ["### Detail ratio (hole gradient, result / truth; 1 = as detailed as the truth)", ""]
    out += table(["case", *methods], [[c, *(_cell(by.get((c, m)), "detail", ".2f") for m in methods)] for c in cases])
    out += ["### Seconds (and the largest peak RSS, MB)", ""]
    rows = [[c, *(_cell(by.get((c, m)), "seconds", ".1f") for m in methods)] for c in cases]
    rss = [max((by[c, m]["peak_rss_mb"] for c in cases if _ok(by.get((c, m)))), default=None) for m in methods]
    rows.append(["**peak RSS MB**", *("–" if v is None else f"{v:.0f}" for v in rss)])
    out += table(["case", *methods], rows)
    if dips:
        out += ["### DIP: seconds per 256×256 of hole area (steps done / planned)", ""]
        per = "{:.1f} ({}/{})".format
        out += table(["case", *dips], [[c, *(per(r["seconds"] * 65536 / r["hole_pixels"], r["steps"], r["total"])
                                              if _ok(r := by.get((c, d))) else _cell(r, "seconds", ".1f")
                                              for d in dips)] for c in cases])
    return out


def report(data: dict) -> str:
    records, env = data["records"], data.get("environment", {})
    by = {(r["case"], r["method"]): r for r in records}
    holes = {r["case"]: r for r in records if r.get("hole_pixels")}
    out = [
        "# Inpainting benchmark on real photographs", "",
        "Written by `benchmarks/photos.py` (raw records: `docs/benchmarks-photos.json`).  To run it:", "", "```",
        *(ln.strip() for ln in (__doc__ or "").splitlines() if ln.strip().startswith("python -m")), "```", "",
        f"Environment ({env.get('date', '?')}): {env.get('cpu', '?')}, {env.get('cpu_count', '?')} CPUs, "
        f"CUDA {'yes' if env.get('cuda') else 'no'}; Python {env.get('python', '?')}, torch {env.get('torch', '?')}, "
        f"NumPy {env.get('numpy', '?')}, OpenCV {env.get('cv2', '?')}, scikit-image {env.get('skimage', '?')}, "
        f"Pillow {env.get('pillow', '?')}, G'MIC {env.get('gmic', '?')}.", "",
        "## Cases", "", "Presets may be tuned on the tuning split, never on the validation split.  `.jpg` photos: "
        "Debian package `lomiri-wallpapers-16.04` (`/usr/share/backgrounds/`; licences from its copyright file), "
        "resized with Pillow's LANCZOS after `ImageOps.exif_transpose`.  Masks are seeded.", "",
    ]
    rows = []
    for name, case in CASES.items():
        credit, licence = SOURCES[case.source]
        r = holes.get(name)
        frac = f"{r['hole_pixels'] / math.prod(map(int, r['size'].split('x'))):.1%}" if r else "–"
        rows.append([name, case.split, f"`{case.source.removeprefix('sk:')}`", f"{case.size[0]}×{case.size[1]}",
                     credit, licence, (case.mask.func if isinstance(case.mask, partial) else case.mask).__name__,
                     frac])
    out += table(["case", "split", "photo", "size", "credit", "licence", "mask", "hole"], rows)
    out += [
        "## Methods", "",
        "- `fast`, `balanced`: `dip_plugin.engine.inpaint(image_u8, mask, preset=..., seed=0, device=\"auto\")`.",
        "- `biharmonic`: `skimage.restoration.inpaint_biharmonic` (channel_axis=-1 for colour, None for gray).",
        "- `telea`, `ns`: `cv2.inpaint(image, mask, 3, cv2.INPAINT_TELEA / cv2.INPAINT_NS)`.",
        "- `fsr_fast`, `fsr_best`: `cv2.xphoto.inpaint(bgr_u8, known_u8, dst, cv2.xphoto.INPAINT_FSR_FAST / "
        "INPAINT_FSR_BEST)` (its mask is non-zero where known).",
        *(f"- `{m}`: `gmic image.png mask.png {GMIC[m]} o out.png` (mask PNG 255 = hole)." for m in GMIC),
        "  (`gmic_multiscale` is not deterministic despite `srand 0`: ±0.2 dB from run to run, seen on brick_object.)",
        "",
        "Every method gets the photo with its hole zeroed; its result is pasted into the photo outside the hole "
        "(G'MIC's patch fill blends a few pixels around it), then measured on the hole: PSNR over its pixels and "
        "channels on [0, 1]; detail ratio = mean gradient magnitude (central differences, averaged over channels) "
        "in the hole, result over truth.  Each method runs in its own process (peak RSS is its own); `timeout`: it "
        "ran past the time limit, `failed`: it crashed.", "",
    ]
    for split in ("tuning", "validation"):
        out += _split_section(split, by, records)
    smoke = sorted({r["method"] for r in records if r.get("iterations")})
    if smoke:
        out += [f"Note: {', '.join(smoke)} ran with `--iterations` (a smoke run), not the preset's own steps.", ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", help=f"comma-separated, of: {','.join(METHODS)} (default: all)")
    parser.add_argument("--cases", help=f"comma-separated, of: {','.join(CASES)} (default: all)")
    parser.add_argument("--iterations", type=int, help="steps for the DIP presets (smoke runs only)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per method and case (default 1800)")
    parser.add_argument("--save", metavar="DIR", help="also save each result as DIR/CASE_METHOD.png")
    parser.add_argument("--save-cases", metavar="DIR", help="write each case's image and mask PNGs, then stop")
    parser.add_argument("--report-only", action="store_true", help="rewrite the markdown from the JSON")
    parser.add_argument("--out", default="docs/benchmarks-photos.md", help="markdown path; the JSON sits beside it")
    parser.add_argument("--one", nargs=2, metavar=("METHOD", "CASE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(*args.one, iterations=args.iterations, save=args.save)))
        return 0
    methods = args.methods.split(",") if args.methods else list(METHODS)
    cases = args.cases.split(",") if args.cases else list(CASES)
    for kind, names, known in (("method", methods, METHODS), ("case", cases, CASES)):
        if bad := [n for n in names if n not in known]:
            parser.error(f"unknown {kind}(s): {', '.join(bad)}")
    if args.save_cases:
        save_cases(cases, Path(args.save_cases))
        return 0
    md = ROOT / args.out  # an absolute --out stays as it is
    path = md.with_suffix(".json")
    data = load_json(path)
    if not args.report_only:
        for source in {CASES[c].source for c in cases if not CASES[c].source.startswith("sk:")}:
            wallpaper(source)  # or exit, saying which package to install
        data["environment"] = environment()
        for name in cases:
            for method in methods:
                r = _spawn(method, name, args)
                data["records"] = merge(data["records"], [r], key=lambda x: (x["case"], x["method"]))
                save_json(path, data)
                shown = r["status"] if r["status"] != "ok" else f"{r['psnr']:.2f} dB, detail {r['detail']:.2f}"
                print(f"{name:16s} {method:16s} {shown}, {r['seconds'] or 0:.1f} s", flush=True)
    md.write_text(report(data))
    print(f"wrote {md}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
