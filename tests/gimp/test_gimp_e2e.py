"""End to end in the real GIMP 3: ``dip gimp install``, then ``python-fu-dip-inpaint`` NONINTERACTIVE on images
built inside GIMP (one GIMP launch runs every case; see ``gimp_driver.py``), checked pixel for pixel here."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from gimp_chroot import HERE, dip_command, prepare_worker, run_gimp_batch

pytestmark = pytest.mark.gimp

FILLED = ["offsets", "group", "rgba", "u16", "gray_float_feather"]
FAILING = {  # case -> what the message must say
    "no_dip_plugin": "No module named",
    "no_torch": "cannot import 'torch'",
    "crash": "killed by signal 9",
}
DTYPES = {"u8": np.uint8, "u16": np.uint16, "float": np.float32}


@dataclass
class Case:
    record: dict
    source: np.ndarray
    source_after: np.ndarray
    mask: np.ndarray
    result: np.ndarray | None


@dataclass
class Report:
    data: dict
    out: Path
    log: str

    def case(self, name: str) -> Case:
        assert name not in self.data["errors"], self.data["errors"][name]
        assert name in self.data["cases"], f"case {name} did not run; GIMP said:\n{self.log}"
        record = json.loads((self.out / f"{name}.json").read_text())
        model, sample = record["format"].split()
        shape = (record["height"], record["width"], sum(ch.isalpha() for ch in model))

        def raw(kind: str, dtype=DTYPES[sample], shape=shape) -> np.ndarray | None:
            path = self.out / f"{name}.{kind}.raw"
            return np.frombuffer(path.read_bytes(), dtype).reshape(shape) if path.exists() else None

        return Case(record, raw("source"), raw("source_after"), raw("mask", np.float32, shape[:2]), raw("result"))


@pytest.fixture(scope="module")
def gimp(gimp_available: Path, tmp_path_factory: pytest.TempPathFactory) -> Report:
    """Install the plug-in into a fresh GIMP profile and run every case in one GIMP batch."""
    work = tmp_path_factory.mktemp("gimp")
    gimpdir = work / "gimpdir"
    installed = subprocess.run([*dip_command(), "gimp", "install", "--gimp-dir", str(gimpdir)],
                               capture_output=True, text=True, timeout=120)
    assert installed.returncode == 0, installed.stderr
    config = gimpdir / "plug-ins" / "dip-inpaint" / "dip-inpaint.json"
    mounts = prepare_worker(work, config)
    worker = json.loads(config.read_text())["python"]

    notorch = work / "notorch" / "torch"
    notorch.mkdir(parents=True)
    (notorch / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n")
    scripts = {
        "no_torch": f"#!/bin/sh\nexport PYTHONPATH={work / 'notorch'}\nexec {worker} \"$@\"\n",
        "crash": "#!/bin/sh\nkill -9 $$\n",
    }
    failing = {"no_dip_plugin": "/usr/bin/python3"}  # the chroot's own Python: no dip_plugin, no numpy
    for name, text in scripts.items():
        path = work / f"{name}-python"
        path.write_text(text)
        path.chmod(0o755)
        failing[name] = str(path)
    assert set(failing) == set(FAILING)

    out = work / "out"
    out.mkdir()
    plan = {"out": str(out), "config": str(config), "plugin": str(config.with_name("dip-inpaint.py")),
            "tmpdir": str(work / "tmp"), "preset": "fast", "iterations": 5, "failing_pythons": failing}
    (work / "plan.json").write_text(json.dumps(plan))
    ran = run_gimp_batch(gimp_available, work, HERE / "gimp_driver.py", {"DIP_GIMP_PLAN": str(work / "plan.json")},
                         mounts)
    log = f"exit status {ran.returncode}\n--- stdout\n{ran.stdout[-4000:]}\n--- stderr\n{ran.stderr[-8000:]}"
    if not (out / "report.json").exists():
        pytest.fail(f"GIMP wrote no report\n{log}")
    if os.environ.get("DIP_GIMP_LOG"):
        Path(os.environ["DIP_GIMP_LOG"]).write_text(log)
    return Report(json.loads((out / "report.json").read_text()), out, log)


def test_plugin_is_registered_with_its_arguments(gimp: Report) -> None:
    assert gimp.data["gimp"].startswith("3."), gimp.data["gimp"]
    assert gimp.data["registered"], f"python-fu-dip-inpaint is not registered\n{gimp.log}"
    assert {"preset", "iterations", "seed"} <= set(gimp.data["arguments"])
    assert gimp.data["errors"] == {}


@pytest.mark.parametrize("name", FILLED)
def test_result_is_a_new_layer_directly_above_the_source(gimp: Report, name: str) -> None:
    case = gimp.case(name)
    record = case.record
    assert record["status"] == "success", record["message"]
    new = record.get("new")
    assert new is not None, f"no DIP layer above the source: {record['tree_after']}"
    assert new["name"].startswith("DIP")
    assert (new["x"], new["y"], new["width"], new["height"]) == tuple(
        next(row[3:] for row in record["tree_before"] if row[0] == record["source_name"]))
    assert new["type"] == new["source_type"]
    # The tree after = the tree before with exactly one row, the new layer, just above the source.
    before = [row for row in record["tree_after"] if row[0] != new["name"]]
    source_parent = next(row[1] for row in record["tree_before"] if row[0] == record["source_name"])
    assert new["parent"] == source_parent
    assert new["position"] == record["source_position"] - 1
    assert [row[:2] + row[3:] for row in before] == [row[:2] + row[3:] for row in record["tree_before"]]
    assert len(record["tree_after"]) == len(record["tree_before"]) + 1


def test_group_case_puts_the_layer_inside_the_group(gimp: Report) -> None:
    new = gimp.case("group").record["new"]
    assert new["parent"] == "Group"
    assert new["position"] == 1  # "Above" stays on top of the group, the source moves down to 2
    assert gimp.case("group").record["source_position"] == 2


@pytest.mark.parametrize("name", FILLED)
def test_pixels_change_only_inside_the_selection(gimp: Report, name: str) -> None:
    case = gimp.case(name)
    assert case.result is not None
    outside, inside = case.mask == 0, case.mask >= 0.999
    assert outside.any() and inside.any()
    np.testing.assert_array_equal(case.result[outside], case.source[outside])
    changed = (case.result[inside] != case.source[inside]).any(axis=-1)
    assert changed.mean() > 0.5, f"only {changed.mean():.0%} of the selected pixels changed"
    np.testing.assert_array_equal(case.source_after, case.source)  # the source layer is untouched


def test_selection_outside_the_layer_is_ignored(gimp: Report) -> None:
    case = gimp.case("offsets")
    # The selection runs 12 px past the layer's right edge: those image pixels are not part of the layer mask.
    assert case.mask[:, -1].max() == 1.0 and case.mask.shape == (32, 40)
    assert int((case.mask > 0).sum()) == 16 * 12


def test_16_bit_precision_is_kept(gimp: Report) -> None:
    case = gimp.case("u16")
    outside, inside = case.mask == 0, case.mask >= 0.999
    assert case.result.dtype == np.uint16
    assert (case.source[outside] % 257 != 0).mean() > 0.9  # the test image is not 8-bit data in disguise
    np.testing.assert_array_equal(case.result[outside], case.source[outside])
    assert (case.result[inside] % 257 != 0).mean() > 0.5, "the fill looks squashed to 8 bits"


def test_rgba_keeps_alpha_and_transparent_colour(gimp: Report) -> None:
    case = gimp.case("rgba")
    assert (case.source[..., 3] == 0).any()
    np.testing.assert_array_equal(case.result[..., 3], case.source[..., 3])
    clear = (case.source[..., 3] == 0) & (case.mask == 0)
    np.testing.assert_array_equal(case.result[clear], case.source[clear])


def test_feathered_selection_blends_softly(gimp: Report) -> None:
    case = gimp.case("gray_float_feather")
    assert case.result.dtype == np.float32
    soft = (case.mask > 0.05) & (case.mask < 0.95)
    assert soft.sum() > 20, "the feathered selection has no soft edge"
    # At the soft edge the result moves away from the source, but less than in the fully selected middle.
    edge = np.abs(case.result[soft] - case.source[soft])
    middle = np.abs(case.result[case.mask >= 0.999] - case.source[case.mask >= 0.999])
    assert edge.max() > 0
    assert edge.mean() < middle.mean()


@pytest.mark.parametrize(("name", "words"), [("empty", "Nothing is selected"),
                                             ("outside", "does not touch the active layer")])
def test_unusable_selection_is_an_error_and_adds_nothing(gimp: Report, name: str, words: str) -> None:
    case = gimp.case(name)
    assert case.record["status"] == "execution-error"
    assert words in (case.record["message"] or "")
    assert case.record["tree_after"] == case.record["tree_before"]
    np.testing.assert_array_equal(case.source_after, case.source)


@pytest.mark.parametrize("name", sorted(FAILING))
def test_failing_worker_is_a_clear_error_and_leaves_the_image_alone(gimp: Report, name: str) -> None:
    case = gimp.case(name)
    assert case.record["status"] == "execution-error"
    message = case.record["message"] or ""
    assert message.startswith("Deep Image Prior failed"), message
    assert FAILING[name] in message, message
    assert case.record["seconds"] < 120
    assert case.record["tree_after"] == case.record["tree_before"]
    np.testing.assert_array_equal(case.source_after, case.source)


def test_every_precision_and_layer_type_has_a_lossless_pixel_format(gimp: Report) -> None:
    formats = gimp.data["formats"]
    assert len(formats) == 18 * 4  # {u8, u16, u32, half, float, double} × {linear, non-linear, perceptual}
    bad = {k: v for k, v in formats.items() if not (v.get("size_ok") and v.get("roundtrip"))}
    assert bad == {}
    assert formats["u16-non-linear/RGBA"]["format"] == "R'G'B'A u16"
    assert formats["float-linear/GRAY"]["format"] == "Y float"
    assert formats["half-perceptual/GRAYA"]["format"] == "Y~A half"


def test_temporary_files_are_removed(gimp: Report) -> None:
    assert gimp.data["leftovers"] == []
    assert len(gimp.data["cases"]) == len(FILLED) + 2 + len(FAILING)
