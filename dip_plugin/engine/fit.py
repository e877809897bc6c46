"""The Deep Image Prior fit loop, shared by every task.

A task describes its energy as a :class:`Problem`: the observation ``target``, a per-pixel
``weight`` (0 = ignore), an optional ``degrade`` operator applied to the net's output before the
comparison (identity for inpainting and denoising, a downsampler for super-resolution), and
optional ``holdout`` pixels that are left out of the energy and used only to judge the output.

:func:`fit` is a generator: after every step it yields a :class:`FitState`; a driver decides what to
do with it (previews, progress bars) and may simply stop iterating.  No threads, no UI.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from .nets import build_net
from .presets import Settings

__all__ = ["FitState", "Problem", "fit", "make_input"]


@dataclass
class Problem:
    """One energy ``Σ weight · (degrade(f(z)) − target)²`` to minimise.

    target : (1, C, h, w) observation.
    weight : (1, 1, h, w) per-pixel weight of the energy (0 for unknown or held-out pixels).
    out_size : (H, W) of the net's output (equals (h, w) unless ``degrade`` changes the size).
    degrade : maps the output (1, C, H, W) into the observation's space.
    holdout : (1, 1, h, w) bool, pixels kept out of the energy to judge the output by, or None.
    guide : (1, K, H, W) extra input channels concatenated to the noise (e.g. a flash image).
    """

    target: torch.Tensor
    weight: torch.Tensor
    out_size: tuple[int, int]
    degrade: Callable[[torch.Tensor], torch.Tensor] | None = None
    holdout: torch.Tensor | None = None
    guide: torch.Tensor | None = None

    def apply(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.degrade is None else self.degrade(x)

    def holdout_error(self, x: torch.Tensor) -> float:
        """Mean squared error of ``x`` on the held-out pixels."""
        assert self.holdout is not None
        diff = (self.apply(x) - self.target) ** 2
        count = self.holdout.sum() * self.target.shape[1]
        return float((diff * self.holdout).sum() / count.clamp_min(1))


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


def make_input(settings: Settings, shape: tuple[int, int, int, int], generator: torch.Generator,
               device: torch.device) -> torch.Tensor:
    """The fixed random input ``z ~ U(0, input_scale)``."""
    z = torch.rand(shape, generator=generator) * settings.input_scale
    return z.to(device)


def fit(problem: Problem, settings: Settings, *, seed: int = 0, device: torch.device | None = None,
        steps: int | None = None) -> Iterator[FitState]:
    """Fit a fresh net to ``problem``; yield a :class:`FitState` after every step.

    The state's ``output`` is the running average of outputs (or the last output when
    ``settings.ema`` is 0); ``best`` is the average that did best on the held-out pixels (the
    current one when there are none).  Iteration ends after ``steps`` (default
    ``settings.iterations``) or when early stopping decides the held-out error stopped improving;
    the last state has ``done=True``.
    """
    device = device or torch.device("cpu")
    total = settings.iterations if steps is None else steps
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    channels = problem.target.shape[1]
    net = build_net(settings.net, channels).to(device)
    z = make_input(settings, settings.net.input_shape(*problem.out_size), gen, device)
    noise_gen = torch.Generator(device=device).manual_seed(seed + 1)
    if problem.guide is not None:
        guide = problem.guide.to(device)
    target = problem.target.to(device)
    weight = problem.weight.to(device)
    norm = (weight.sum() * channels).clamp_min(1)
    opt = torch.optim.Adam(net.parameters(), lr=settings.lr)
    autocast = device.type == "cuda" and torch.cuda.is_bf16_supported()
    start = time.perf_counter()
    avg: torch.Tensor | None = None
    best: torch.Tensor | None = None
    best_error: float | None = None
    best_step = 0
    for step in range(1, total + 1):
        inp = z
        if settings.reg_noise_std > 0:
            inp = z + torch.randn(z.shape, generator=noise_gen, device=device) * settings.reg_noise_std
        if problem.guide is not None:
            inp = torch.cat([inp, guide], dim=1)
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
            out = net(inp)
        out = out.float()
        loss = (((problem.apply(out) - target) ** 2) * weight).sum() / norm
        loss.backward()
        opt.step()
        with torch.no_grad():
            out = out.detach()
            if settings.ema > 0 and avg is not None:
                avg.mul_(settings.ema).add_(out, alpha=1 - settings.ema)
            else:
                avg = out.clone()
        done = step == total
        if problem.holdout is not None and (step % settings.check_every == 0 or done):
            with torch.no_grad():
                err = problem.holdout_error(avg)
            if best_error is None or err < best_error * 0.999:
                best_error, best, best_step = err, avg.clone(), step
            elif (settings.early_stop and step >= settings.min_iterations
                  and step - best_step >= settings.patience):
                done = True
        yield FitState(
            step=step,
            total=total,
            loss=float(loss.detach()),
            elapsed=time.perf_counter() - start,
            output=avg,
            best=avg if best is None else best,
            best_step=step if best is None else best_step,
            best_error=best_error,
            done=done,
        )
        if done:
            return
