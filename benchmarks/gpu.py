"""Inpainting on a CUDA GPU: the presets, the paper's configuration run to its end, candidate settings.

    python -m benchmarks.gpu --save-cases .gpu/cases.npz    # here: the 8 cases of benchmarks/inpaint.py
    python -m benchmarks.gpu --cases .gpu/cases.npz --json run.json --budget 240 \
        --jobs steps,big,balanced:face/text,paper:face/text,fast:*,balanced:*   # on the GPU machine
    python -m benchmarks.gpu --report run1.json run2.json  # here: writes docs/benchmarks-gpu.md

The cases are made on the machine that made the CPU benchmark and carried as arrays, so that both
machines fit exactly the same pixels (text masks depend on the fonts Pillow finds).  Everything runs
in one process, job after job, until ``--budget`` seconds have passed (a fit running then is cut
and marked so); the JSON is rewritten after every measurement, so a run cut short keeps what it
measured.  Jobs (see :func:`measure`):

* ``PRESET:CASE`` – a preset as users get it on a GPU: hole PSNR, seconds, steps, peak GPU memory,
  progress curve; ``paper:CASE`` runs the paper's configuration for its full 6001 steps.
* ``CANDIDATE:CASE`` – other settings for the CPU presets (:func:`candidates`), fitted in float32
  without TF32 so that their PSNR predicts a CPU run's.  CUDA's random numbers differ from the CPU's,
  so a candidate equal to a preset also shows how much a different noise draw moves the result.
* ``steps`` / ``steps-large`` – milliseconds per step of the presets' nets at 256×256 / at 512 and
  1024, in float32 and in bf16 autocast.
* ``big`` – a 12-megapixel photo with a small hole.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import traceback
from dataclasses import replace
from pathlib import Path

from benchmarks.inpaint import CASES, CLASSICAL, TEXTURED, _case, _table, big_case, first_reached, hole_psnr


def candidates() -> dict:
    """Named settings to compare with the ``fast`` and ``balanced`` presets (CPU cost alike)."""
    from dip_plugin.engine.presets import PRESETS

    fast, bal = PRESETS["fast"], PRESETS["balanced"]
    narrow, wide, deep = (4,) * 5, (16,) * 5, (16, 32, 64, 128, 128)
    return {  # in order of interest: a run out of time drops the last ones
        "fast-skip4": replace(fast, net=replace(fast.net, skip=narrow)),
        "fast-skip16": replace(fast, net=replace(fast.net, skip=wide)),
        "balanced-skip16": replace(bal, net=replace(bal.net, skip=wide)),
        "fast-deep128-skip16-300": replace(fast, net=replace(fast.net, down=deep, up=deep, skip=wide),
                                           iterations=300),
        "fast-skip4-ema95": replace(fast, net=replace(fast.net, skip=narrow), ema=0.95),
        "fast-skip4-input32": replace(fast, net=replace(fast.net, input_depth=32, skip=narrow)),
        "fast-skip16-ema95": replace(fast, net=replace(fast.net, skip=wide), ema=0.95),
        "balanced-skip4": replace(bal, net=replace(bal.net, skip=narrow)),
    }


def _run(image, mask, preset, device: str, deadline: float | None = None) -> dict:
    import torch

    from dip_plugin.engine import inpaint

    curve: list = []

    def on_progress(p) -> None:
        curve.append((round(p.elapsed, 3), p.step, round(hole_psnr(p.preview, image, mask), 3)))

    def stop() -> bool:
        return deadline is not None and time.perf_counter() > deadline

    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    out = inpaint(image, mask, preset=preset, seed=0, device=device, on_progress=on_progress, should_stop=stop)
    seconds = time.perf_counter() - start
    rec = {"psnr": hole_psnr(out, image, mask), "seconds": seconds, "steps": curve[-1][1], "curve": curve,
           "first_fit_preview_s": next((t for t, s, _ in curve if s > 0), None), "cut": stop()}
    if device.startswith("cuda"):
        rec["peak_gpu_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return rec


def _tf32(on: bool) -> None:
    """TF32 convolutions (PyTorch's default on CUDA) or plain float32, as on a CPU."""
    import torch

    torch.backends.cudnn.allow_tf32 = on
    torch.backends.cuda.matmul.allow_tf32 = on


def step_times(device: str, sizes: tuple[int, ...], nets: tuple[str, ...], deadline: float) -> list[dict]:
    """Seconds per step of the presets' nets on a ``size``² crop, in float32 and in bf16 autocast."""
    import torch

    from dip_plugin.engine.fit import Fit, Problem

    rows = []
    for size in sizes:
        for name in nets:
            for mixed in (False, True):
                if time.perf_counter() > deadline:
                    return rows
                t = torch.rand(1, 3, size, size)
                settings = replace(_preset(name), mixed_precision=mixed)
                f = Fit(Problem(t, torch.ones(1, 1, size, size), (size, size)), settings,
                        device=torch.device(device))
                n = 20 if name == "paper" and size > 256 else 40
                for i, _ in enumerate(f.steps(n)):
                    if i == 4:
                        torch.cuda.synchronize()
                        t0 = time.perf_counter()
                torch.cuda.synchronize()
                rows.append({"net": name, "size": size, "mixed_precision": mixed,
                             "s_per_step": (time.perf_counter() - t0) / (n - 5)})
                print(rows[-1], flush=True)
                del f
                torch.cuda.empty_cache()
    return rows


def big_photo(device: str) -> dict:
    """A 12-megapixel photo with one small hole, ``fast`` preset."""
    import torch

    from dip_plugin.engine import inpaint

    image, mask = big_case()
    torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    inpaint(image, mask, preset="fast", device=device)
    return {"seconds": time.perf_counter() - start, "peak_gpu_mb": torch.cuda.max_memory_allocated() / 2**20}


DEFAULT_JOBS = "steps,big,fast:*,balanced:*,quality:*,fast-skip16:*,paper:*"


def measure(cases: dict, device: str, total: float, out: Path, jobs: str) -> dict:
    """Run ``jobs`` in order until ``total`` seconds have passed; a fit running at the deadline is cut.

    A job is ``steps`` (ms/step at 256×256), ``steps-large`` (512 and 1024), ``big``, or
    ``METHOD:CASE`` with METHOD a preset, ``paper`` or a :func:`candidates` name and CASE
    ``scene/mask`` or ``*`` for all eight.
    """
    import torch

    from dip_plugin.engine.device import describe_device

    deadline = time.perf_counter() + total
    data: dict = {"machine": f"{describe_device(device)}, torch {torch.__version__}, "
                             f"Python {platform.python_version()}",
                  "jobs": jobs, "runs": [], "steps": [], "big": None, "errors": []}
    cands = candidates()

    def save() -> None:
        out.write_text(json.dumps(data, indent=1))

    # Warm-up: the first fit pays for CUDA's start.
    image, mask = cases["/".join(CASES[0])]
    _run(image, mask, replace(_preset("fast"), iterations=20), device)
    for job in jobs.split(","):
        if time.perf_counter() > deadline:
            break
        try:
            if job in ("steps", "steps-large"):
                sizes, nets = ((256,), ("fast", "balanced", "quality", "paper")) if job == "steps" else \
                    ((512, 1024), ("quality", "paper"))
                data["steps"] += step_times(device, sizes, nets, deadline)
            elif job == "big":
                data["big"] = big_photo(device)
            else:
                method, which = job.split(":")
                for sc, mk in CASES if which == "*" else [tuple(which.split("/"))]:
                    if time.perf_counter() > deadline:
                        break
                    image, mask = cases[f"{sc}/{mk}"]
                    kind = "preset" if method in _presets() else "candidate"
                    _tf32(kind == "preset")
                    try:
                        rec = _run(image, mask, method if kind == "preset" else cands[method], device, deadline)
                    finally:
                        _tf32(True)
                    data["runs"].append({"kind": kind, "method": method, "scene": sc, "mask": mk, **rec})
                    print(f"{method:22s} {sc}/{mk}: {rec['psnr']:.2f} dB, {rec['steps']} steps in "
                          f"{rec['seconds']:.1f} s{' (cut)' if rec['cut'] else ''}", flush=True)
                    save()
        except Exception:  # a job that breaks must not lose the others
            data["errors"].append({"job": job, "traceback": traceback.format_exc()})
            print(traceback.format_exc(), file=sys.stderr, flush=True)
        save()
    save()
    return data


def _presets() -> dict:
    from dip_plugin.engine.presets import PRESETS

    return PRESETS


def _preset(name: str):
    return _presets()[name]


def save_cases(path: Path) -> None:
    import numpy as np

    arrays = {}
    for sc, mk in CASES:
        image, mask = _case(sc, mk)
        arrays[f"{sc}/{mk}/image"] = image
        arrays[f"{sc}/{mk}/mask"] = mask
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)


def load_cases(path: Path | None) -> dict:
    import numpy as np

    if path is None:
        return {f"{sc}/{mk}": _case(sc, mk) for sc, mk in CASES}
    data = np.load(path)
    return {f"{sc}/{mk}": (data[f"{sc}/{mk}/image"], data[f"{sc}/{mk}/mask"]) for sc, mk in CASES}


def merge(runs: list[dict]) -> dict:
    """Several runs' JSON as one: later measurements of the same thing replace earlier ones."""
    out: dict = {"machine": runs[-1]["machine"], "runs": [], "steps": [], "big": None, "errors": []}
    seen: dict = {}
    for data in runs:
        for r in data["runs"]:
            seen[(r["kind"], r["method"], r["scene"], r["mask"])] = r
        if data["steps"]:
            out["steps"] = data["steps"]
        out["big"] = data["big"] or out["big"]
        out["errors"] += data["errors"]
    out["runs"] = list(seen.values())
    return out


def report(data: dict, cpu: dict) -> str:
    """The GPU results as markdown, next to the classical fills and CPU presets of ``cpu``
    (``docs/benchmarks.json``)."""
    cpu_by = {(r["method"], r["scene"], r["mask"]): r for r in cpu.get("results", [])}
    runs = [r for r in data["runs"] if r["kind"] == "preset"]
    by = {(r["method"], r["scene"], r["mask"]): r for r in runs}
    presets = [p for p in ("fast", "balanced", "quality") if any(r["method"] == p for r in runs)]
    out = ["# Inpainting on a GPU", "",
           f"Machine: {data['machine']}.  Command: `python -m benchmarks.gpu` (see its docstring).  "
           "Same 256×256 cases as [benchmarks.md](benchmarks.md) (arrays made there and carried), DIP seed 0, "
           "presets as users get them on a GPU (float32 with PyTorch's default TF32 convolutions).  Hole PSNR in "
           "dB; the classical fills and the CPU figures are those of benchmarks.md.  `paper` is the paper's "
           "configuration run for its 6001 steps (cut: stopped when the run's time was up).", "",
           "## Hole PSNR (dB) and seconds", ""]
    rows = []
    for sc, mk in CASES:
        if not any((p, sc, mk) in by for p in [*presets, "paper"]):
            continue
        best = max((cpu_by[(m, sc, mk)]["psnr"] for m in CLASSICAL if (m, sc, mk) in cpu_by), default=None)
        row = [f"{sc} / {mk}"]
        for p in [*presets, "paper"]:
            r = by.get((p, sc, mk))
            cut = f", cut at step {r['steps']}" if r and r.get("cut") else ""
            row.append("–" if r is None else f"{r['psnr']:.2f} ({r['seconds']:.1f} s{cut})")
        row.append("–" if best is None else f"{best:.2f}")
        for p in presets[:2]:
            c = cpu_by.get((p, sc, mk))
            row.append("–" if c is None else f"{c['psnr']:.2f} ({c['seconds']:.0f} s)")
        rows.append(row)
    out.append(_table(rows, ["case", *presets, "paper (6001 steps)", "best classical",
                             *(f"{p} on the CPU" for p in presets[:2])]))
    out += ["", "## Time per preset", ""]
    rows = []
    for p in [*presets, "paper"]:
        rs = [r for r in runs if r["method"] == p and not r.get("cut")]
        if rs:
            rows.append([p, str(len(rs)), f"{sum(r['seconds'] for r in rs) / len(rs):.1f}",
                         f"{max(r['seconds'] for r in rs):.1f}", f"{sum(r['steps'] for r in rs) / len(rs):.0f}",
                         f"{sum(r['seconds'] / max(1, r['steps']) for r in rs) / len(rs) * 1000:.1f}",
                         f"{max((r['first_fit_preview_s'] or 0) for r in rs):.2f}",
                         f"{max(r.get('peak_gpu_mb', 0) for r in rs):.0f}"])
    out.append(_table(rows, ["method", "cases", "mean s", "max s", "mean steps", "ms/step",
                             "first fitted preview s (max)", "peak GPU MB"]))
    full = [r for r in runs if r["method"] == "paper" and not r.get("cut")]
    if full:
        out += ["", "## How much sooner than the paper's configuration", "",
                "The `paper` preset run to its end (6001 steps) against the `balanced` preset on the same GPU: when "
                "balanced's previews first reach the paper's final hole PSNR.", ""]
        rows = []
        for r in full:
            bal = by.get(("balanced", r["scene"], r["mask"]))
            if bal is None:
                continue
            t = first_reached(bal["curve"], r["psnr"])
            rows.append([f"{r['scene']} / {r['mask']}", f"{r['psnr']:.2f} after {r['seconds']:.1f} s",
                         f"{bal['psnr']:.2f} after {bal['seconds']:.1f} s",
                         "never" if t is None else f"{t:.2f} s", "–" if t is None else f"{r['seconds'] / t:.0f}×"])
        out.append(_table(rows, ["case", "paper", "balanced", "balanced reaches paper's PSNR at", "sooner by"]))
    if data["steps"]:
        out += ["", "## Milliseconds per step", "",
                "One step of the presets' nets on a square crop, after 5 warm-up steps.", ""]
        cells: dict = {}
        for r in data["steps"]:
            cells.setdefault((r["net"], r["size"]), {})[r["mixed_precision"]] = r["s_per_step"] * 1000
        rows = [[net, f"{size}×{size}", f"{v.get(False, float('nan')):.1f}", f"{v.get(True, float('nan')):.1f}"]
                for (net, size), v in cells.items()]
        out.append(_table(rows, ["net", "crop", "float32 (TF32)", "bf16 autocast"]))
        pairs = [(k, v) for k, v in cells.items() if len(v) == 2]
        faster = [f"{net} at {size}×{size}" for (net, size), v in pairs if v[True] < v[False]]
        small = [v[False] for (_, size), v in pairs if size == 256]
        if small:
            out += ["", f"At 256×256 a float32 step takes {min(small):.1f}–{max(small):.1f} ms whatever the net "
                        "(the paper's does 29 times the arithmetic of `fast`'s, 193 against 6.7 GFLOP a step): the "
                        "time goes to launching many small kernels, not to arithmetic.  bf16 autocast "
                        f"was faster in {len(faster)} of {len(pairs)} cases"
                        f"{' (' + ', '.join(faster) + ')' if faster else ''}, so the presets run in float32."]
    if data["big"]:
        b = data["big"]
        out += ["", f"12-megapixel photo (4000×3000) with one 60×40 hole, `fast`: {b['seconds']:.1f} s, "
                    f"peak GPU memory {b['peak_gpu_mb']:.0f} MB."]
    cands = [r for r in data["runs"] if r["kind"] == "candidate"]
    if cands:
        out += candidates_section(cands, cpu_by)
    if data["errors"]:
        out += ["", "## Errors", ""] + [f"- {e.get('job', e.get('section'))}: "
                                        f"`{e['traceback'].strip().splitlines()[-1]}`" for e in data["errors"]]
    return "\n".join(out) + "\n"


def candidates_section(rows_in: list[dict], cpu_by: dict) -> list[str]:
    names = list(dict.fromkeys(r["method"] for r in rows_in))
    by = {(r["method"], r["scene"], r["mask"]): r for r in rows_in}
    out = ["", "## Candidate settings (float32 without TF32: predicts a CPU run)", "",
           "Hole PSNR minus the best classical fill, per case; the last columns count the textured or "
           "object-sized cases at ≥ +0.5 dB and give the mean margin over them.  `skip4`/`skip16`: channels "
           "of the skip connections; `ema95`: output average with weight 0.95 instead of 0.99; `input32`: 32 "
           "input channels; `deep128`: 128 channels on the two coarsest levels.", ""]
    rows = []
    for name in names:
        row, margins = [name], []
        for sc, mk in CASES:
            r = by.get((name, sc, mk))
            classic = [cpu_by[(m, sc, mk)]["psnr"] for m in CLASSICAL if (m, sc, mk) in cpu_by]
            if r is None or not classic:
                row.append("–")
                continue
            d = r["psnr"] - max(classic)
            row.append(f"{d:+.2f}")
            if sc in TEXTURED or mk == "object":
                margins.append(d)
        row += [f"{sum(m >= 0.5 for m in margins)} of {len(margins)}",
                f"{sum(margins) / len(margins):+.2f}" if margins else "–"]
        rows.append(row)
    return [*out, _table(rows, ["settings", *(f"{s}/{m}" for s, m in CASES), "≥ +0.5", "mean"])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--save-cases", type=Path, metavar="NPZ", help="write the cases and exit")
    parser.add_argument("--cases", type=Path, metavar="NPZ", help="read the cases from here (else generate them)")
    parser.add_argument("--json", type=Path, default=Path("benchmarks-gpu.json"), help="where measurements go")
    parser.add_argument("--budget", type=float, default=450, help="seconds for all jobs together")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--jobs", default=DEFAULT_JOBS, help=f"comma-separated (default {DEFAULT_JOBS})")
    parser.add_argument("--report", type=Path, nargs="+", metavar="JSON",
                        help="write docs/benchmarks-gpu.md (and .json) from these runs, later ones first in line")
    args = parser.parse_args(argv)
    if args.save_cases:
        save_cases(args.save_cases)
        return 0
    if args.report:
        data = merge([json.loads(p.read_text()) for p in args.report])
        cpu = json.loads(Path("docs/benchmarks.json").read_text())
        Path("docs/benchmarks-gpu.md").write_text(report(data, cpu))
        Path("docs/benchmarks-gpu.json").write_text(json.dumps(data, indent=1))
        return 0
    measure(load_cases(args.cases), args.device, args.budget, args.json, args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
