"""benchmarks/inpaint.py's report: the targets table judges the measurements it is given."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import inpaint  # noqa: E402


def _dip(method, scene, psnr, seconds, curve):
    return {"method": method, "scene": scene, "mask": "object", "psnr": psnr, "seconds": seconds, "steps": 100,
            "s_per_iteration": seconds / 100, "first_preview_s": 0.0, "first_fit_preview_s": 1.5,
            "peak_rss_mb": 400, "curve": curve}


def _results(fast_psnr: float, fast_seconds: float) -> list[dict]:
    rows = [{"method": m, "scene": "bricks", "mask": "object", "psnr": 20.0, "seconds": 0.1, "peak_rss_mb": 90}
            for m in inpaint.CLASSICAL]
    rows.append(_dip("fast", "bricks", fast_psnr, fast_seconds, [[0.0, 0, 18.0], [fast_seconds, 100, fast_psnr]]))
    rows.append(_dip("balanced", "bricks", 22.0, 90.0, [[0.0, 0, 18.0], [10.0, 20, 21.0], [90.0, 100, 22.0]]))
    return rows


def _args(tmp_path: Path) -> argparse.Namespace:
    return argparse.Namespace(quick=False, paper_long=600, out=str(tmp_path / "benchmarks.md"))


def test_targets_met_are_reported_met(tmp_path):
    paper_long = [{"method": "paper", "scene": "bricks", "mask": "object", "psnr": 20.5, "seconds": 600, "steps": 250}]
    text = inpaint.report(_results(21.0, 40.0), ["fast", "balanced"], paper_long, None, _args(tmp_path))
    targets = text.split("## Targets")[1]
    assert "| `fast` ≤ 60 s per 256×256 case | max 40.0 s | yes |" in targets
    assert "1 of 1 cases ≥ +0.5" in targets
    # balanced passed 20.5 dB at 10 s; the paper preset took 600 s
    assert "stopped after 600 s: bricks / object 60× | yes |" in targets
    assert "Run `python benchmarks/restoration.py`" in text  # no restoration report beside it


def test_targets_missed_are_reported_missed(tmp_path):
    (tmp_path / "benchmarks-restoration.md").write_text("# Restoration\n\n## Denoising\n\nnumbers\n")
    paper_long = [{"method": "paper", "scene": "bricks", "mask": "object", "psnr": 23.0, "seconds": 600, "steps": 250}]
    text = inpaint.report(_results(19.0, 75.0), ["fast", "balanced"], paper_long, None, _args(tmp_path))
    targets = text.split("## Targets")[1]
    assert "| max 75.0 s | no |" in targets
    assert "0 of 1 cases ≥ +0.5; worst -1.00 (bricks / object) | partly |" in targets
    assert "stopped after 600 s: bricks / object never | no |" in targets
    assert "worst -1.00 dB (fast, bricks / object) | no |" in targets
    assert "### Denoising" in text and "# Restoration\n" not in text


def test_the_paper_presets_complete_run_from_the_gpu_counts_with_its_cpu_time(tmp_path):
    gpu = {"runs": [{"kind": "preset", "method": "paper", "scene": "bricks", "mask": "object", "psnr": 21.5,
                     "steps": 6001, "cut": False},
                    {"kind": "preset", "method": "paper", "scene": "fur", "mask": "scribble", "psnr": 30.0,
                     "steps": 900, "cut": True}]}
    (tmp_path / "benchmarks-gpu.json").write_text(json.dumps(gpu))
    paper_long = [{"method": "paper", "scene": "bricks", "mask": "object", "psnr": 23.0, "seconds": 600, "steps": 250,
                   "s_per_iteration": 2.4}]
    text = inpaint.report(_results(21.0, 40.0), ["fast", "balanced"], paper_long, None, _args(tmp_path))
    # 6001 steps × 2.4 s ≈ 4.0 h; balanced passes 21.5 dB at 90 s: 160× sooner.  The cut run is left out.
    assert "| bricks / object | 21.50 (≈ 4.0 h here) | 90.0 s | 160× |" in text
    assert "fur" not in text.split("## How much sooner")[1].split("## Targets")[0]
    targets = text.split("## Targets")[1]
    assert ("its result after 6001 steps: bricks / object 160×; stopped after 600 s: bricks / object never "
            "| partly |") in targets


def test_a_remeasured_preset_is_named_in_the_header_once_with_its_latest_date(tmp_path):
    remeasured = [{"presets": ["fast"], "date": "2026-01-02"},
                  {"presets": ["fast", "balanced"], "date": "2026-01-05"},
                  {"presets": ["quality"], "date": "2026-01-03"}]
    text = inpaint.report(_results(21.0, 40.0), ["fast", "balanced"], [], None, _args(tmp_path), remeasured)
    header = text.split("## Hole PSNR")[0]
    assert ("Measured again after a change to the preset (`--remeasure`; the baselines are those of the first "
            "run): `quality` on 2026-01-03; `fast`, `balanced` on 2026-01-05.") in header
    assert header.count("`fast`") == 1
