"""The Deep Image Prior fit loop, shared by every task.

A task describes its energy as a :class:`Problem`: the observation ``target``, a per-pixel
``weight`` (0 = ignore), an optional ``degrade`` operator applied to the net's output before the
comparison (identity for inpainting and denoising, a downsampler for super-resolution), and
optional ``holdout`` pixels that are left out of the energy and used only to judge the output.

:func:`fit` is a generator: after every step it yields a :class:`FitState`; a driver decides what to
do with it (previews, progress bars) and may simply stop iterating.  No threads, no UI.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import torch

from .nets import build_net
from .presets import Settings

__all__ = ["Fit", "FitState", "Problem", "behind_baseline", "fit", "make_input", "running_average"]


@dataclass
class Problem:
    """One energy ``Σ weight · (degrade(f(z)) − target)²`` to minimise.

    target : (1, C, h, w) observation.
    weight : (1, 1, h, w) per-pixel weight of the energy (0 for unknown or held-out pixels).
    out_size : (H, W) of the net's output (equals (h, w) unless ``degrade`` changes the size).
    degrade : maps the output (1, C, H, W) into the observation's space.
    holdout : (1, 1, h, w) bool, pixels kept out of the energy to judge the output by, or None.
    guide : (1, K, H, W) extra input channels concatenated to the noise (e.g. a flash image).
    baseline : the held-out error of the fill the output will be judged against (e.g. a classical
        fill), or None.  With ``settings.catch_up``, a fit whose held-out error is not on course to
        reach it within its steps is given up (:attr:`FitState.lost`).
    """

    target: torch.Tensor
    weight: torch.Tensor
    out_size: tuple[int, int]
    degrade: Callable[[torch.Tensor], torch.Tensor] | None = None
    holdout: torch.Tensor | None = None
    guide: torch.Tensor | None = None
    baseline: float | None = None

    def apply(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.degrade is None else self.degrade(x)


@dataclass
class FitState:
    """Where a fit stands after ``step`` steps."""

    step: int
    total: int
    loss: float
    elapsed: float
    output: torch.Tensor
    best: torch.Tensor
    best_step: int
    best_error: float | None
    done: bool = False
    lost: bool = False  # given up: not on course to beat ``Problem.baseline`` within its steps


def running_average(average: torch.Tensor | None, out: torch.Tensor, step: int, ema: float) -> torch.Tensor:
    """``average`` moved towards ``out`` (in place), or a copy of ``out`` to start one (or when ``ema`` is 0).

    Warmed up: the first outputs are noise, and a plain 0.99 average would carry them for hundreds of
    steps (on a photo crop: held-out error 16× that of the last output after 100 steps).
    """
    with torch.no_grad():
        out = out.detach()
        if ema <= 0 or average is None:
            return out.clone()
        decay = min(ema, (1.0 + step) / (10.0 + step))
        return average.mul_(decay).add_(out, alpha=1 - decay)


def make_input(settings: Settings, shape: tuple[int, int, int, int], generator: torch.Generator,
               device: torch.device) -> torch.Tensor:
    """The fixed random input ``z ~ U(0, input_scale)``."""
    z = torch.rand(shape, generator=generator) * settings.input_scale
    return z.to(device)


class Fit:
    """A fit of a fresh net to ``problem`` that can be advanced, paused and resumed.

    ``output`` is the running average of outputs (or the last output when ``settings.ema`` is 0);
    ``best`` is the average that did best on the held-out pixels (the current one when there are
    none).  Each call to :meth:`steps` continues where the previous one stopped.
    """

    def __init__(self, problem: Problem, settings: Settings, *, seed: int = 0,
                 device: torch.device | None = None) -> None:
        self.problem = problem
        self.settings = settings
        self.device = device or torch.device("cpu")
        torch.manual_seed(seed)
        gen = torch.Generator().manual_seed(seed)
        channels = problem.target.shape[1]
        extra = 0 if problem.guide is None else problem.guide.shape[1]
        net_spec = settings.net
        if extra:
            net_spec = replace(net_spec, input_depth=net_spec.input_depth + extra)
        # channels-last memory makes the convolutions about a quarter faster on CPUs and GPUs alike.
        fmt = torch.channels_last
        self.net = build_net(net_spec, channels).to(self.device, memory_format=fmt)
        self.z = make_input(settings, settings.net.input_shape(*problem.out_size), gen, self.device)
        self.z = self.z.contiguous(memory_format=fmt)
        self.guide = None if problem.guide is None else problem.guide.to(self.device).contiguous(memory_format=fmt)
        self.noise_gen = torch.Generator(device=self.device).manual_seed(seed + 1)
        self.target = problem.target.to(self.device)
        self.weight = problem.weight.to(self.device)
        self.holdout = None if problem.holdout is None else problem.holdout.to(self.device)
        self.norm = (self.weight.sum() * channels).clamp_min(1)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=settings.lr)
        self.autocast = settings.mixed_precision and self.device.type == "cuda" and torch.cuda.is_bf16_supported()
        self.step = 0
        self.elapsed = 0.0
        self.output: torch.Tensor | None = None
        self.best: torch.Tensor | None = None
        self.best_error: float | None = None
        self.best_step = 0
        self.history: dict[int, float] = {}  # held-out error at each check (step → error)

    def _holdout_error(self, x: torch.Tensor) -> float:
        diff = (self.problem.apply(x) - self.target) ** 2
        count = self.holdout.sum() * self.target.shape[1]
        return float((diff * self.holdout).sum() / count.clamp_min(1))

    def _one_step(self) -> float:
        s = self.settings
        inp = self.z
        if s.reg_noise_std > 0:
            inp = self.z + torch.randn(self.z.shape, generator=self.noise_gen, device=self.device) * s.reg_noise_std
        if self.guide is not None:
            inp = torch.cat([inp, self.guide], dim=1)
        self.opt.zero_grad(set_to_none=True)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.autocast):
            out = self.net(inp)
        out = out.float()
        loss = (((self.problem.apply(out) - self.target) ** 2) * self.weight).sum() / self.norm
        loss.backward()
        self.opt.step()
        self.output = running_average(self.output, out, self.step, s.ema)
        return float(loss.detach())

    def steps(self, count: int | None = None) -> Iterator[FitState]:
        """Advance up to ``count`` steps (default ``settings.iterations``), yielding after each.

        Ends early when the held-out error has not improved for ``settings.patience`` steps
        (counted from the start of this call), or, with ``settings.catch_up``, when it is not on
        course to catch up with ``problem.baseline`` by the end of this call (:func:`behind_baseline`);
        the last state has ``done=True``.
        """
        s = self.settings
        total = s.iterations if count is None else count
        first = self.step
        last_improved = self.step
        lost = False
        start = time.perf_counter() - self.elapsed
        for i in range(1, total + 1):
            loss = self._one_step()
            self.step += 1
            done = i == total
            if self.holdout is not None and (self.step % s.check_every == 0 or done):
                with torch.no_grad():
                    err = self._holdout_error(self.output)
                self.history[self.step] = err
                if self.best_error is None or err < self.best_error * 0.999:
                    self.best_error, self.best, self.best_step = err, self.output.clone(), self.step
                    last_improved = self.step
                elif (s.early_stop and self.step - first >= s.min_iterations
                      and self.step - last_improved >= s.patience):
                    done = True
                if (not done and s.catch_up and self.problem.baseline is not None and i >= s.min_iterations
                        and behind_baseline(self.history, self.step, first + total, self.problem.baseline)):
                    done = lost = True
            self.elapsed = time.perf_counter() - start
            yield FitState(
                step=i,
                total=total,
                loss=loss,
                elapsed=self.elapsed,
                output=self.output,
                best=self.output if self.best is None else self.best,
                best_step=self.step if self.best is None else self.best_step,
                best_error=self.best_error,
                done=done,
                lost=lost,
            )
            if done:
                return


def behind_baseline(history: dict[int, float], step: int, total: int, baseline: float) -> bool:
    """Whether a fit whose held-out errors so far are ``history`` (step → error) will not get down to
    ``baseline`` by step ``total``, going on as it did since half its steps.

    A DIP fit's held-out error falls about as a power of the step, ``e ∝ step^-a``; the exponent
    measured between ``step / 2`` and ``step`` says where it will be at ``total``.

    Example
    -------
    >>> behind_baseline({50: 8.0, 100: 2.0}, 100, 1000, 0.1)  # e ∝ step⁻²: 0.1 at step 447
    False
    >>> behind_baseline({50: 8.0, 100: 2.0}, 100, 400, 0.1)
    True
    """
    now = history[step]
    if now <= baseline:
        return False
    earlier = [k for k in history if k <= step / 2]
    if not earlier:
        return False
    half = max(earlier)
    exponent = math.log(history[half] / now) / math.log(step / half)
    if exponent <= 0 or baseline <= 0:
        return True
    return math.log(step) + math.log(now / baseline) / exponent > math.log(total)


def fit(problem: Problem, settings: Settings, *, seed: int = 0, device: torch.device | None = None,
        steps: int | None = None) -> Iterator[FitState]:
    """Fit a fresh net to ``problem``; yield a :class:`FitState` after every step.

    Shorthand for ``Fit(problem, settings, seed=seed, device=device).steps(steps)``.
    """
    return Fit(problem, settings, seed=seed, device=device).steps(steps)
