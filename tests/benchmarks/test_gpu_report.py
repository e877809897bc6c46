"""benchmarks/gpu.py's report: runs merge, cut runs are marked and left out of catch-up times."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import gpu  # noqa: E402


def _run(method, psnr, seconds, steps, curve=(), cut=False, kind="preset", scene="face", mask="text"):
    return {"kind": kind, "method": method, "scene": scene, "mask": mask, "psnr": psnr, "seconds": seconds,
            "steps": steps, "curve": list(curve), "first_fit_preview_s": 0.3, "cut": cut, "peak_gpu_mb": 100.0}


def _data(runs, steps=()):
    return {"machine": "CUDA (test GPU)", "runs": runs, "steps": list(steps), "big": None, "errors": []}


CPU = {"results": [{"method": m, "scene": "face", "mask": "text", "psnr": 34.0, "seconds": 0.1}
                   for m in ("biharmonic", "telea", "ns")]}


def test_later_runs_replace_earlier_measurements_of_the_same_thing():
    first = _data([_run("fast", 30.0, 8.0, 340), _run("fast-skip4", 33.0, 8.0, 340, kind="candidate")])
    second = _data([_run("fast", 35.0, 7.0, 340)])
    merged = gpu.merge([first, second])
    by = {(r["kind"], r["method"]): r["psnr"] for r in merged["runs"]}
    assert by == {("preset", "fast"): 35.0, ("candidate", "fast-skip4"): 33.0}


def test_catch_up_uses_only_complete_paper_runs():
    balanced = _run("balanced", 35.0, 14.0, 1000, curve=[(0.0, 0, 30.0), (2.0, 100, 34.0), (5.0, 300, 34.6)])
    complete = _run("paper", 34.5, 100.0, 6001)
    text = gpu.report(_data([balanced, complete]), CPU)
    assert "| face / text | 34.50 after 100.0 s | 35.00 after 14.0 s | 5.00 s | 20× |" in text
    cut = _run("paper", 34.5, 50.0, 3000, cut=True)
    text = gpu.report(_data([balanced, cut]), CPU)
    assert "cut at step 3000" in text
    assert "How much sooner" not in text


def test_step_table_and_candidate_margins():
    steps = [{"net": "fast", "size": 256, "mixed_precision": False, "s_per_step": 0.014},
             {"net": "fast", "size": 256, "mixed_precision": True, "s_per_step": 0.021}]
    cand = _run("fast-skip16", 34.6, 7.0, 340, kind="candidate")
    text = gpu.report(_data([_run("fast", 34.8, 7.0, 340), cand], steps), CPU)
    assert "| fast | 256×256 | 14.0 | 21.0 |" in text
    assert "| fast-skip16 | – | – | – | – | – | +0.60 |" in text
