"""The fit loop: stopping when a fit cannot catch up with its baseline, and the warmed-up average."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from dip_plugin.engine.fit import Fit, Problem, behind_baseline
from dip_plugin.engine.nets import NetSpec
from dip_plugin.engine.presets import Settings


@pytest.mark.parametrize(
    ("history", "total", "behind"),
    [
        ({50: 8.0, 100: 2.0}, 1000, False),  # e ∝ step⁻²: 0.1 by step 447
        ({50: 8.0, 100: 2.0}, 400, True),
        ({50: 8.0, 100: 7.9}, 10**9, True),  # so slow it would reach 0.1 after ~10^106 steps
        ({50: 8.0, 100: 8.5}, 10**9, True),  # rising: never
        ({50: 8.0, 100: 0.05}, 200, False),  # already below the baseline
        ({100: 2.0}, 200, False),  # no earlier error to measure a rate with
    ],
)
def test_behind_baseline_extrapolates_a_power_law(history, total, behind):
    assert behind_baseline(history, 100, total, 0.1) is behind


def _problem(baseline: float | None) -> Problem:
    g = torch.Generator().manual_seed(0)
    target = torch.rand(1, 3, 32, 32, generator=g)
    holdout = torch.zeros(1, 1, 32, 32, dtype=torch.bool)
    holdout[..., ::4, ::4] = True
    return Problem(target, (~holdout).float(), out_size=(32, 32), holdout=holdout, baseline=baseline)


SMALL = Settings(net=NetSpec(input_depth=4, down=(8, 8), up=(8, 8), skip=(2, 2)), iterations=300, lr=0.01,
                 min_iterations=20, patience=1000, check_every=10)


def test_a_fit_that_cannot_reach_its_baseline_is_given_up():
    # White noise: the held-out pixels are unpredictable, so their error cannot fall to 1e-6.
    states = list(Fit(_problem(1e-6), SMALL).steps(300))
    assert states[-1].lost and states[-1].done
    assert len(states) < 300


@pytest.mark.parametrize("baseline, catch_up", [(None, True), (1e-6, False), (1.0, True)])
def test_a_fit_without_a_baseline_to_beat_runs_all_its_steps(baseline, catch_up):
    states = list(Fit(_problem(baseline), dataclasses.replace(SMALL, catch_up=catch_up)).steps(60))
    assert len(states) == 60 and not states[-1].lost


def test_the_average_of_outputs_forgets_the_first_ones_quickly():
    # A constant target: the net gets there within a few dozen steps.  A plain 0.99 average would
    # still hold ~75 % of the first (random) outputs after 30 steps; the warmed-up one keeps little.
    target = torch.full((1, 3, 32, 32), 0.3)
    problem = Problem(target, torch.ones(1, 1, 32, 32), out_size=(32, 32))
    settings = dataclasses.replace(SMALL, lr=0.05, reg_noise_std=0.0)
    averaged = Fit(problem, dataclasses.replace(settings, ema=0.99))
    last = Fit(problem, dataclasses.replace(settings, ema=0.0))
    for _ in averaged.steps(30):
        pass
    for _ in last.steps(30):
        pass
    first = Fit(problem, dataclasses.replace(settings, ema=0.0))
    for _ in first.steps(1):
        pass
    err = {name: float((f.output - target).abs().mean()) for name, f in
           [("averaged", averaged), ("last", last), ("first", first)]}
    assert err["last"] < 0.2 * err["first"]
    assert err["averaged"] < 0.5 * err["first"]
