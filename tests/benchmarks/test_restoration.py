"""benchmarks/restoration.py: the photo crops, the targets table and a tiny run of the plumbing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import crops, restoration  # noqa: E402
from benchmarks.records import merge  # noqa: E402


def test_every_case_has_a_credited_source_and_both_splits_have_five():
    assert all(c.source in crops.SOURCES for c in crops.CROPS.values())
    assert [c.split for c in crops.CROPS.values()].count("tuning") == 5
    assert [c.split for c in crops.CROPS.values()].count("validation") == 5


def test_a_crop_is_256_rgb_and_stays_inside_the_photo():
    pytest.importorskip("skimage")
    crop = crops.load_crop("chelsea")
    assert crop.shape == (256, 256, 3) and crop.dtype == np.uint8
    # chelsea is 451×300 at width 451: a centre at fy = 0.45 would start at y = 7; at fy = 0.99, clamped to 44
    low = crops.photo_crop("sk:chelsea", 451, (0.5, 0.99))
    assert np.array_equal(low, crops.open_photo("sk:chelsea")[44:300, 98:354])
    assert crops.load_crop("chelsea", 64).shape == (64, 64, 3)


def _records(dip_psnr: float, dip_seconds: float) -> list[dict]:
    out = []
    for name, case in crops.CROPS.items():
        out.append({"kind": "denoise-anchors", "case": name, "split": case.split, "size": 256, "noisy": 20.0,
                    "tv": {"psnr": 27.0, "seconds": 0.1}, "nlm": {"psnr": 28.0, "seconds": 1.0},
                    "cbm3d": {"psnr": 30.0, "seconds": 10.0}})
        out.append({"kind": "denoise", "case": name, "split": case.split, "preset": "fast", "size": 256,
                    "noisy": 20.0, "psnr": dip_psnr, "seconds": dip_seconds, "steps": 500, "threads": 2})
        out.append({"kind": "sr-anchors", "case": name, "split": case.split, "size": 256,
                    "bicubic": {"psnr": 25.0, "ssim": 0.7, "seconds": 0.001},
                    "lanczos": {"psnr": 25.2, "ssim": 0.71, "seconds": 0.001}})
        out.append({"kind": "sr", "case": name, "split": case.split, "preset": "fast", "size": 256,
                    "psnr": 25.0 + (dip_psnr - 29.0), "ssim": 0.72, "seconds": dip_seconds, "threads": 2})
    return out


def test_targets_met_and_not_met():
    text = restoration.report({"records": _records(29.6, 50.0), "environment": {"jobs": "2"}})
    targets = text.split("## Targets")[1].split("## Photo cases")[0]
    assert "| denoise `fast` ≤ 60 s per 256×256 image | max 50.0 s" in targets
    assert "29.60 vs 30.00 − 0.5 (-0.40) | met |" in targets
    assert "| denoise `fast` PSNR ≥ NLM on every case | 10 of 10 cases; worst +1.60" in targets
    assert "Y-PSNR ≥ bicubic + 0.5 dB on every case | 10 of 10 cases; worst +0.60" in targets
    assert "JPEG `fast` ≤ 60 s per 256×256 image | – | not measured |" in targets
    assert "**not met**" not in targets

    records = merge(_records(29.6, 50.0), [{**_records(29.0, 90.0)[1], "case": "bridge", "split": "validation"}],
                    restoration.key)
    text = restoration.report({"records": records, "environment": {}})
    targets = text.split("## Targets")[1].split("## Photo cases")[0]
    assert "max 90.0 s (bridge), mean 54.0 s | **not met** |" in targets
    assert "29.60 vs 30.00 − 0.5 (-0.40) | met |" in targets  # tuning
    assert "29.48 vs 30.00 − 0.5 (-0.52) | **not met** |" in targets  # validation
    assert "10 of 10 cases; worst +1.00 (bridge)" in targets  # 29.0 − 28.0: still above NLM
    assert "### Tuning split" in text and "### Validation split" in text


@pytest.mark.slow
def test_a_quick_run_writes_the_report_and_a_partial_rerun_replaces_only_its_records(tmp_path):
    pytest.importorskip("skimage")
    out = tmp_path / "r.md"
    args = ["--quick", "--cases", "astronaut", "--jobs", "1", "--output", str(out)]
    assert restoration.main([*args, "--tasks", "sr"]) == 0
    assert restoration.main([*args, "--tasks", "sr,jpeg", "--iterations", "2"]) == 0
    data = json.loads(out.with_suffix(".json").read_text())
    kinds = sorted(r["kind"] for r in data["records"])
    assert kinds == ["jpeg", "jpeg", "sr", "sr-anchors"], kinds
    assert next(r for r in data["records"] if r["kind"] == "sr")["iterations"] == 2
    text = out.read_text()
    assert "A smoke run" in text and "| astronaut |" in text and "## JPEG artifacts" in text
    out.unlink()
    assert restoration.main(["--report-only", "--output", str(out)]) == 0
    assert out.read_text() == text
