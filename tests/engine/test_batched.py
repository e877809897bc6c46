"""Tiles fitted at once: each keeps its own net and gets what a fit of its own would give."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from dip_plugin.engine import denoise, super_resolve
from dip_plugin.engine._restore import TaskPreset, _batch_size
from dip_plugin.engine.batched import BatchedFit
from dip_plugin.engine.fit import Fit, Problem
from dip_plugin.engine.nets import NetSpec
from dip_plugin.engine.presets import Settings
from dip_plugin.synthetic import scene

TINY = NetSpec(input_depth=4, down=(8, 16, 16), up=(8, 16, 16), skip=(4, 4, 4))


def problems(guide: bool = False) -> list[Problem]:
    out = []
    for k, name in enumerate(("face", "street")):
        target = torch.from_numpy(scene(name, 32, seed=k)).permute(2, 0, 1)[None].float()
        holdout = torch.rand(1, 1, 32, 32, generator=torch.Generator().manual_seed(k)) < 0.1
        out.append(Problem(target=target, weight=(~holdout).float(), out_size=(32, 32), holdout=holdout,
                           guide=target.flip(-1) if guide else None))
    return out


# Adam divides each gradient by its own running size, so rounding differences (one batched convolution
# against several) grow from about 1e-6 after one step to 1e-2 after a dozen, as between two runs on
# different thread counts (a parameter whose gradient is about 0 can step ±lr either way): results are
# compared after one step exactly, and after more by quality.


@pytest.mark.parametrize("guide", [False, True])
def test_each_tile_gets_what_its_own_fit_gives(guide):
    s = Settings(net=TINY, iterations=1, lr=0.02, check_every=1, early_stop=False)
    probs = problems(guide)
    fits = BatchedFit(probs, s, seeds=[5, 9])
    list(fits.steps())
    for i, (p, seed) in enumerate(zip(probs, (5, 9), strict=True)):
        alone = Fit(p, s, seed=seed)
        *_, last = alone.steps()
        torch.testing.assert_close(fits.output[i : i + 1], last.output, atol=1e-5, rtol=1e-4)
        assert fits.best_step[i] == last.best_step
        torch.testing.assert_close(fits.result(i), last.best, atol=1e-5, rtol=1e-4)


def test_stops_when_no_tile_improves_on_its_held_out_pixels():
    s = Settings(net=TINY, iterations=400, lr=0.05, check_every=5, early_stop=True, min_iterations=20, patience=20)
    # Pure noise: nothing on the held-out pixels can be predicted, so their error soon stops falling.
    noise = [replace(p, target=torch.rand(p.target.shape, generator=torch.Generator().manual_seed(k)))
             for k, p in enumerate(problems())]
    fits = BatchedFit(noise, s, seeds=[0, 1])
    steps = list(fits.steps())
    assert steps[-1] < 400
    assert steps[-1] - max(fits.best_step) >= 20


def test_batched_tiles_give_the_image_sequential_tiles_give():
    clean = scene("face", 64, seed=1)
    noisy = np.clip(clean + np.random.default_rng(0).normal(0, 0.1, clean.shape), 0, 1).astype(np.float32)
    task = TaskPreset(Settings(net=TINY, iterations=1, lr=0.02, check_every=1, early_stop=False),
                      holdout_fraction=0.05, classical=True, tile=40, overlap=16)
    one = denoise(noisy, preset=replace(task, batch=1), device="cpu")
    four = denoise(noisy, preset=replace(task, batch=4), device="cpu")
    np.testing.assert_allclose(four, one, atol=1e-4)
    assert np.abs(one - noisy).mean() > 0.02  # the tiles were done, not left as they were
    # Longer fits: as good as one after another.
    longer = replace(task, settings=replace(task.settings, iterations=40, check_every=5))
    one = denoise(noisy, preset=replace(longer, batch=1), device="cpu")
    four = denoise(noisy, preset=replace(longer, batch=4), device="cpu")
    err_one, err_four = (float(np.mean((x - clean) ** 2)) for x in (one, four))
    assert abs(err_four - err_one) < 0.1 * err_one


def test_super_resolution_tiles_batch_too():
    img = scene("street", 24, seed=2).astype(np.float32)
    task = TaskPreset(Settings(net=TINY, iterations=1, early_stop=False), tile=32, overlap=8, guide_start=True)
    seen = []
    one = super_resolve(img, 2, preset=replace(task, batch=1), device="cpu")
    three = super_resolve(img, 2, preset=replace(task, batch=3), device="cpu", on_progress=seen.append)
    np.testing.assert_allclose(three, one, atol=1e-4)
    assert seen[-1].step == seen[-1].total == 1 * 4


def test_default_batch_follows_the_device():
    task = TaskPreset(Settings())
    assert _batch_size(task, torch.device("cpu")) == 1
    assert _batch_size(task, torch.device("cuda")) == 8
    assert _batch_size(replace(task, batch=3), torch.device("cpu")) == 3
