"""The public inpaint() contract: shapes, dtypes, alpha, identity outside the hole, seeds, stop, progress."""

from __future__ import annotations

import dataclasses
import importlib

import numpy as np
import pytest
from patterns import streaks, weave

from dip_plugin.engine import PRESETS, InpaintSession, inpaint
from dip_plugin.synthetic import hole_mask, scene

TINY = dataclasses.replace(PRESETS["fast"], iterations=8, thin_iterations=None)


def _case(size: int = 48, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    img = scene("bricks", size, seed=seed)
    mask = np.zeros((size, size), bool)
    mask[size // 3 : size // 2, size // 4 : size // 2] = True
    return img, mask


def _as(img: np.ndarray, dtype: type) -> np.ndarray:
    if dtype is np.uint8:
        return (img * 255).round().astype(np.uint8)
    if dtype is np.uint16:
        return (img * 65535).round().astype(np.uint16)
    return img.astype(np.float32)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
@pytest.mark.parametrize("layout", ["gray", "rgb", "rgba"])
def test_shape_dtype_and_identity_outside_hole(dtype, layout):
    img, mask = _case()
    img = _as(img, dtype)
    if layout == "gray":
        img = img[..., 0]
    elif layout == "rgba":
        alpha = np.linspace(0, 1, img.shape[0] * img.shape[1]).reshape(img.shape[:2])
        img = np.concatenate([img, _as(alpha, dtype)[..., None]], axis=-1)
    before = img.copy()
    out = inpaint(img, mask, preset=TINY, device="cpu")
    assert out.shape == img.shape and out.dtype == img.dtype
    assert np.array_equal(out[~mask], img[~mask])
    assert np.array_equal(img, before), "the input must not be modified"
    if layout == "rgba":
        assert np.array_equal(out[..., 3], img[..., 3]), "alpha passes through untouched"
    if np.issubdtype(out.dtype, np.floating):
        assert np.isfinite(out).all()


def test_float_outside_unit_range_is_mapped_back():
    img, mask = _case()
    hdr = img * 4.0 - 1.0
    out = inpaint(hdr, mask, preset=TINY, device="cpu")
    assert out[mask].min() >= hdr.min() - 1e-4 and out[mask].max() <= hdr.max() + 1e-4
    assert np.array_equal(out[~mask], hdr[~mask])


def test_seed_makes_cpu_results_identical():
    img, mask = _case()
    a = inpaint(img, mask, preset=TINY, seed=3, device="cpu")
    b = inpaint(img, mask, preset=TINY, seed=3, device="cpu")
    c = inpaint(img, mask, preset=TINY, seed=4, device="cpu")
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_progress_arrives_with_previews_shaped_like_the_result():
    img, mask = _case()
    img = _as(img, np.uint8)
    seen = []
    preset = dataclasses.replace(TINY, report_every=2, report_interval=0.0)
    out = inpaint(img, mask, preset=preset, iterations=8, device="cpu", on_progress=seen.append)
    assert seen[0].step == 0, "a first preview comes before the fit starts"
    assert len(seen) >= 3
    assert [p.step for p in seen] == sorted(p.step for p in seen)
    assert seen[-1].step == seen[-1].total == 8
    for p in seen:
        assert p.preview.shape == out.shape and p.preview.dtype == out.dtype
        assert p.elapsed >= 0 and p.total == 8
    assert np.isfinite(seen[-1].loss)


def test_stop_returns_best_result_so_far():
    img, mask = _case()
    calls = []

    def should_stop() -> bool:
        calls.append(1)
        return len(calls) > 4

    out = inpaint(img, mask, preset="fast", iterations=500, device="cpu", should_stop=should_stop)
    assert len(calls) < 20, "stop is polled every step and honoured at once"
    assert out.shape == img.shape
    assert np.array_equal(out[~mask], img[~mask])
    assert np.isfinite(out).all()


def test_session_resumes_the_same_fit():
    img, mask = _case()
    session = InpaintSession(img, mask, preset=TINY, device="cpu")
    session.run(4)
    net = session.jobs[0].fit.net
    session.run(4)
    assert session.jobs[0].fit.net is net
    assert session.jobs[0].fit.step == session.steps_done == 8


def test_empty_mask_returns_a_copy():
    img, _ = _case()
    mask = np.zeros(img.shape[:2], bool)
    out = inpaint(img, mask, preset=TINY, device="cpu")
    assert np.array_equal(out, img) and out is not img


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"preset": "nope"}, ValueError, "unknown preset"),
        ({"iterations": -1}, ValueError, "iterations"),
        ({"device": "tpu"}, ValueError, "unknown device"),
        ({"seed": 2**64 - 1}, ValueError, "seed must be between 0 and 4294967295"),
        ({"seed": -1}, ValueError, "seed must be between"),
        ({"seed": 1.5}, TypeError, "seed must be an int"),
    ],
)
def test_bad_options_are_named(kwargs, error, text):
    img, mask = _case()
    with pytest.raises(error, match=text):
        inpaint(img, mask, **kwargs)


@pytest.mark.parametrize(
    ("image", "mask", "text"),
    [
        (np.zeros((8, 8, 3), np.uint8), np.zeros((8, 9), bool), "does not match"),
        (np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8), np.uint8), "bool"),
        (np.zeros((8, 8, 3), np.int32), np.zeros((8, 8), bool), "dtype"),
        (np.zeros((8, 8, 5), np.uint8), np.zeros((8, 8), bool), "shape"),
        (np.zeros((8, 8, 3), np.uint8), np.ones((8, 8), bool), "nothing to fill"),
    ],
)
def test_bad_inputs_are_named(image, mask, text):
    with pytest.raises((ValueError, TypeError), match=text):
        inpaint(image, mask, preset=TINY, device="cpu")


def test_several_holes_in_a_large_image_are_fitted_as_small_crops():
    big = np.zeros((900, 1400, 3), np.uint8)
    big[..., 1] = 120
    mask = np.zeros(big.shape[:2], bool)
    mask[100:110, 100:130] = True
    mask[700:720, 1200:1210] = True
    session = InpaintSession(big, mask, preset=TINY, device="cpu")
    assert len(session.jobs) == 2
    assert all(j.crop.height * j.crop.width < 200 * 200 for j in session.jobs)
    out = session.run(2)
    assert np.array_equal(out[~mask], big[~mask])


def test_a_short_fit_lowers_the_hole_error_of_the_net_output():
    from dip_plugin.engine.fit import Fit
    from dip_plugin.engine.resample import from_tensor

    img = scene("weave", 64, seed=2)
    mask = hole_mask("scribble", 64, seed=2)
    preset = dataclasses.replace(PRESETS["fast"], guard=False, early_stop=False, reg_noise_std=0.0,
                                 guide_max_thickness=0)
    session = InpaintSession(img, mask, preset=preset, device="cpu")
    job = session.jobs[0]
    fit = Fit(job.problem(preset), preset, device=session.device)

    def hole_error() -> float:
        with __import__("torch").no_grad():
            out = from_tensor(fit.net(fit.z))
        return float(np.mean((out[mask] - img[mask]) ** 2))

    initial = hole_error()
    for _ in fit.steps(60):
        pass
    assert hole_error() < 0.5 * initial


def test_deep_decoder_fills_thin_holes_without_the_full_resolution_guide():
    from dip_plugin.engine.nets import NetSpec

    img = scene("face", 64, seed=0)
    mask = hole_mask("thin", 64, seed=0)
    preset = dataclasses.replace(PRESETS["fast"], net=NetSpec(kind="decoder", up=(16,) * 4), iterations=3)
    out = inpaint(img, mask, preset=preset, device="cpu")
    assert out.shape == img.shape and np.array_equal(out[~mask], img[~mask])


def _guard_case(img: np.ndarray):
    from dip_plugin.engine.resample import to_tensor

    mask = np.zeros(img.shape[:2], bool)
    mask[22:42, 22:42] = True
    # Against the biharmonic fill alone: FSR continues these patterns nearly exactly by itself.
    preset = dataclasses.replace(PRESETS["fast"], fsr=False)
    job = InpaintSession(img, mask, preset=preset, device="cpu").jobs[0]
    assert (job.crop.height, job.crop.width, job.crop.scale) == (64, 64, 1.0) and job.holdout is not None
    return job, to_tensor(img[job.crop.slices]), (~job.known).expand_as(job.smooth)


def test_guard_keeps_the_smooth_fill_where_the_net_invents_structure_in_smooth_content():
    import torch

    from dip_plugin.engine.inpaint import _guarded

    ramp = np.linspace(0.2, 0.8, 64, dtype=np.float32)
    job, truth, hole = _guard_case(np.repeat(np.add.outer(ramp, ramp)[..., None] / 2, 3, axis=-1))
    wander = job.smooth.clone()
    wander[hole] += 0.2 * torch.sign(torch.sin(torch.arange(int(hole.sum()), dtype=torch.float32)))
    guarded = _guarded(job, wander)
    assert float((guarded - truth)[hole].abs().max()) < 0.02
    assert float((wander - truth)[hole].abs().max()) > 0.15


def test_guard_keeps_a_net_fill_that_continues_the_texture():
    from dip_plugin.engine.inpaint import _guarded

    stripes = (0.5 + 0.4 * np.sign(np.sin(np.arange(64) / 2.0))).astype(np.float32)
    job, truth, hole = _guard_case(np.repeat(np.tile(stripes, (64, 1))[..., None], 3, axis=-1))
    guarded = _guarded(job, truth)
    assert float((guarded - truth)[hole].abs().max()) < 1e-5
    assert float((job.smooth - truth)[hole].abs().max()) > 0.2


def test_guard_damps_a_net_that_wanders_deeper_than_the_held_out_pixels_reach():
    import torch

    from dip_plugin.engine.holdout import depth_in_hole
    from dip_plugin.engine.inpaint import _guarded

    stripes = (0.5 + 0.4 * np.sign(np.sin(np.arange(64) / 2.0))).astype(np.float32)
    job, truth, hole = _guard_case(np.repeat(np.tile(stripes, (64, 1))[..., None], 3, axis=-1))
    depth = depth_in_hole(~(job.known & ~job.holdout))
    reach = int(depth[job.holdout].max())
    deep = (~job.known & (depth > reach)).expand_as(truth)
    assert bool(deep.any())
    wander = truth.clone()
    wander[deep] += 0.8 * torch.sign(torch.sin(torch.arange(int(deep.sum()), dtype=torch.float32)))
    guarded = _guarded(job, wander)
    shallow = hole & ~deep
    assert float((guarded - truth)[shallow].abs().max()) < 1e-5  # checked depths keep the net
    assert float((guarded - truth)[deep].square().mean()) < 0.5 * float((wander - truth)[deep].square().mean())


def test_fsr_is_cut_where_it_wanders_deeper_than_the_held_out_pixels_reach(monkeypatch):
    import torch

    from dip_plugin.engine.holdout import depth_in_hole

    module = importlib.import_module("dip_plugin.engine.inpaint")
    stripes = (0.5 + 0.4 * np.sign(np.sin(np.arange(64) / 2.0))).astype(np.float32)
    job, truth, hole = _guard_case(np.repeat(np.tile(stripes, (64, 1))[..., None], 3, axis=-1))
    fit_known = job.known & ~job.holdout
    depth = depth_in_hole(~fit_known)
    deep = (~job.known & (depth > int(depth[job.holdout].max()))).expand_as(truth)
    wander = truth.clone()  # right wherever it was checked, wild deeper in
    wander[deep] += 0.8 * torch.sign(torch.sin(torch.arange(int(deep.sum()), dtype=torch.float32)))
    monkeypatch.setattr(module, "fsr_fill", lambda image, known: wander)
    fill = module._classical_fill(job.target, job.biharmonic, fit_known, job.holdout, depth, TINY)
    shallow = hole & ~deep
    assert float((fill - truth)[shallow].abs().max()) < 1e-4  # checked depths take FSR in full
    assert float((fill - truth)[deep].square().mean()) < 0.5 * float((wander - truth)[deep].square().mean())


def _weave_case(size: int = 96) -> tuple[np.ndarray, np.ndarray]:
    img = weave(size)
    mask = np.zeros((size, size), bool)
    mask[30:33, 10:80] = True  # a text-like stroke across the pattern
    mask[45:70, 50:53] = True
    return img, mask


def _hole_psnr(out: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> float:
    return float(10 * np.log10(1.0 / max(float(np.mean((out[mask] - truth[mask]) ** 2)), 1e-12)))


def test_a_thin_hole_in_a_repeating_pattern_takes_copies_of_the_pattern():
    img, mask = _weave_case()
    plain = dataclasses.replace(TINY, fsr=False)  # FSR alone also continues this pattern (next test)
    with_copies = inpaint(img, mask, preset=plain, device="cpu")
    without = inpaint(img, mask, preset=dataclasses.replace(plain, copy_max_thickness=0), device="cpu")
    assert _hole_psnr(with_copies, img, mask) > 40.0
    assert _hole_psnr(without, img, mask) < 25.0


def test_the_classical_fill_takes_fsr_where_it_predicts_the_held_out_pixels_better():
    from dip_plugin.engine.fsr import fsr_available

    assert fsr_available()  # OpenCV contrib is a dependency of the project
    img, mask = _weave_case()
    with_fsr = InpaintSession(img, mask, preset=TINY, device="cpu").result()
    without = InpaintSession(img, mask, preset=dataclasses.replace(TINY, fsr=False), device="cpu").result()
    assert _hole_psnr(with_fsr, img, mask) > _hole_psnr(without, img, mask) + 10.0


def test_copies_of_stochastic_texture_do_not_make_the_fill_worse():
    rng = np.random.default_rng(0)
    img = rng.random((96, 96, 3)).astype(np.float32)
    _, mask = _weave_case()
    with_copies = inpaint(img, mask, preset=TINY, device="cpu")
    without = inpaint(img, mask, preset=dataclasses.replace(TINY, copy_max_thickness=0), device="cpu")
    assert _hole_psnr(with_copies, img, mask) > _hole_psnr(without, img, mask) - 0.2


def test_thick_holes_take_no_copies():
    img, _ = _weave_case()
    mask = np.zeros(img.shape[:2], bool)
    mask[30:60, 30:60] = True
    job = InpaintSession(img, mask, preset=TINY, device="cpu")
    job.run()
    assert job.jobs[0].thickness > TINY.copy_max_thickness and job.jobs[0].copies is None


def _stroke_session(img: np.ndarray, width: int) -> InpaintSession:
    mask = np.zeros(img.shape[:2], bool)
    for y in range(mask.shape[0]):  # a slanting stroke, as a brush leaves it
        x0 = 20 + y // 4
        mask[y, x0 : x0 + width] = True
    return InpaintSession(img, mask, preset=TINY, device="cpu")


def test_a_stroke_over_streaks_is_filled_along_them():
    import torch

    from dip_plugin.engine.inpaint import _judged
    from dip_plugin.engine.resample import to_tensor

    img = streaks(96)
    session = _stroke_session(img, 11)
    job = session.jobs[0]
    assert TINY.guide_max_thickness < job.thickness <= TINY.oriented_max_thickness
    truth = to_tensor(img[job.crop.slices])
    hole = (~job.known).expand_as(truth)
    judged = _judged(job, job.smooth, TINY)  # a net that learnt nothing: only the oriented fill can help
    assert float((judged - truth)[hole].square().mean()) < 0.85 * float((job.smooth - truth)[hole].square().mean())
    held_out = job.holdout.expand_as(truth)  # judged there too, with the same mix, for the copies that follow
    assert not torch.equal(judged[held_out], job.smooth[held_out])


@pytest.mark.parametrize("width", [3, 30])
def test_thin_and_thick_holes_are_not_mixed_by_depth(width):
    import torch

    from dip_plugin.engine.inpaint import _guarded, _judged

    job = _stroke_session(streaks(96), width).jobs[0]
    assert not TINY.guide_max_thickness < job.thickness <= TINY.oriented_max_thickness
    assert torch.equal(_judged(job, job.smooth, TINY), _guarded(job, job.smooth)) and job.oriented is None


def test_small_crops_get_more_steps_unless_the_count_is_given():
    settings = dataclasses.replace(TINY, iterations=3, iterations_pixels=4 * 64 * 64, early_stop=False)
    img, mask = _case(64)
    session = InpaintSession(img, mask, preset=settings, device="cpu")
    expected = settings.iterations_for(session.jobs[0].pixels)
    assert expected > 3
    totals: list[int] = []
    session.run(on_progress=lambda p: totals.append(p.total))
    assert totals[-1] == expected and session.steps_done == expected
    session.run(2, on_progress=lambda p: totals.append(p.total))
    assert totals[-1] == 2 and session.steps_done == expected + 2


def test_thin_holes_in_an_image_larger_than_a_crop_are_fitted_at_full_resolution():
    img = (scene("street", 320, seed=3) * 255).astype(np.uint8)
    mask = np.zeros((320, 320), bool)
    mask[20::60, :] = True  # text-like lines across the whole frame, 2 px thick
    mask[21::60, :] = True
    mask[:, 150:152] = True
    small = dataclasses.replace(TINY, max_fit_pixels=96 * 96, tile_pixels=128 * 128, fsr=False)
    session = InpaintSession(img, mask, preset=small, device="cpu")
    assert len(session.jobs) > 1  # more than one fit's worth of pixels: tiled, not shrunk
    assert all(job.crop.scale == 1.0 for job in session.jobs)
    assert all(job.crop.height * job.crop.width <= small.tile_pixels for job in session.jobs)
    owned = np.zeros_like(mask)
    for job in session.jobs:
        assert not (owned[job.crop.slices] & job.hole).any()  # each hole pixel written once
        owned[job.crop.slices] |= job.hole
    assert np.array_equal(owned, mask)
    out = session.run(1)
    assert np.array_equal(out[~mask], img[~mask])


def test_a_large_hole_is_fitted_at_reduced_scale_and_thin_ones_beside_it_at_full():
    img = np.zeros((400, 400, 3), np.uint8)
    mask = np.zeros((400, 400), bool)
    mask[40:140, 40:140] = True  # an object
    mask[300:303, 20:380] = True  # a scratch
    small = dataclasses.replace(TINY, max_fit_pixels=96 * 96, tile_pixels=128 * 128, fsr=False)
    session = InpaintSession(img, mask, preset=small, device="cpu")
    thick = [j for j in session.jobs if not j.crop.thin]
    thin = [j for j in session.jobs if j.crop.thin]
    assert len(thick) == 1 and thick[0].crop.scale < 1.0
    assert thin and all(j.crop.scale == 1.0 for j in thin)
    assert sum(int(j.hole.sum()) for j in session.jobs) == int(mask.sum())


@pytest.mark.slow
def test_fast_is_no_worse_than_its_classical_candidate_on_a_textured_case():
    img = weave(96) * 0.7 + streaks(96, seed=4) * 0.3
    mask = hole_mask("scribble", 96, seed=5)
    session = InpaintSession(img, mask, preset="fast", device="cpu")
    classical = session.result()  # before any fit the holes hold the classical candidate
    out = inpaint(img, mask, preset="fast", device="cpu")
    assert _hole_psnr(out, img, mask) >= _hole_psnr(classical, img, mask)


def test_a_preset_without_thin_steps_fills_thin_holes_from_the_candidates_alone():
    img, mask = _weave_case()
    preset = dataclasses.replace(TINY, thin_iterations=0)
    session = InpaintSession(img, mask, preset=preset, device="cpu")
    assert all(job.crop.thin for job in session.jobs)
    seen = []
    out = session.run(on_progress=lambda p: seen.append((p.step, p.total)))
    assert all(job.fit is None for job in session.jobs)
    assert seen[-1][0] == seen[-1][1] >= 1
    assert _hole_psnr(out, img, mask) > 40.0  # the copies of the repeating pattern come back
    assert np.array_equal(out[~mask], img[~mask])
    session.run()  # "run more": now the net is fitted too
    assert all(job.fit is not None and job.fit.step == preset.iterations_for(job.pixels) for job in session.jobs)


def test_a_fit_that_cannot_catch_up_with_the_candidates_is_given_up_and_leaves_them_the_hole():
    # A smooth ramp: the classical fill is near exact, and a short fit of a fresh net is far from it.
    ramp = np.linspace(0.2, 0.8, 64, dtype=np.float32)
    img = np.repeat(np.add.outer(ramp, ramp)[..., None] / 2, 3, axis=-1)
    mask = np.zeros((64, 64), bool)
    mask[17:47, 17:47] = True  # thick: fitted by the net, not thin-tiled
    preset = dataclasses.replace(PRESETS["fast"], iterations=120, iterations_pixels=0, min_iterations=40)
    candidates = inpaint(img, mask, preset=dataclasses.replace(preset, iterations=0), device="cpu")
    session = InpaintSession(img, mask, preset=preset, device="cpu")
    assert [job.crop.thin for job in session.jobs] == [False]
    out = session.run()
    assert session.steps_done < 120
    np.testing.assert_array_equal(out, candidates)
    kept = InpaintSession(img, mask, preset=dataclasses.replace(preset, catch_up=False), device="cpu")
    kept.run()
    assert kept.steps_done == 120  # without the criterion the fit runs all its steps
