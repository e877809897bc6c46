"""Several fits at once: equal-sized tiles, each with its own net, run as one batched net.

On a GPU a step on a 256×256 tile is bound by kernel launches, not arithmetic (docs/benchmarks-gpu.md),
so fitting one tile after another leaves most of the device idle.  :class:`BatchedFit` stacks the
parameters of B independently initialised nets (:func:`torch.func.stack_module_state`) and runs them
with :func:`torch.vmap`: one launch per layer for all B tiles.  Every tile keeps its own net, input,
perturbation noise, Adam state (Adam works element by element, so one optimiser over the stacked
parameters updates each net as its own optimiser would), running average and held-out best: the
results equal B separate :class:`~dip_plugin.engine.fit.Fit` runs up to rounding.

BatchNorm runs on batch statistics, as it does in a :class:`Fit` (which never switches to evaluation
mode); the running statistics, which nothing reads, are dropped so that vmap can run it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import replace

import torch
from torch.func import functional_call, replace_all_batch_norm_modules_, stack_module_state

from .fit import Problem, make_input, running_average
from .nets import build_net
from .presets import Settings

__all__ = ["BatchedFit"]


class BatchedFit:
    """Fits of ``problems`` (equal shapes, same ``degrade``), tile ``i`` seeded with ``seeds[i]``.

    After each step (``steps()`` yields the step number) ``output`` holds the running averages
    (B, C, H, W), and ``best[i]`` the average of tile ``i`` that did best on its held-out pixels.

    Example
    -------
    >>> from dip_plugin.engine.nets import NetSpec
    >>> s = Settings(net=NetSpec(input_depth=4, down=(8, 8), up=(8, 8), skip=(2, 2)), iterations=3)
    >>> p = Problem(target=torch.rand(1, 3, 16, 16), weight=torch.ones(1, 1, 16, 16), out_size=(16, 16))
    >>> fits = BatchedFit([p, p], s, seeds=[0, 1])
    >>> list(fits.steps()), fits.output.shape
    ([1, 2, 3], torch.Size([2, 3, 16, 16]))
    """

    def __init__(self, problems: list[Problem], settings: Settings, *, seeds: list[int],
                 device: torch.device | None = None) -> None:
        self.problems = problems
        self.settings = settings
        self.device = device or torch.device("cpu")
        first = problems[0]
        channels = first.target.shape[1]
        extra = 0 if first.guide is None else first.guide.shape[1]
        spec = replace(settings.net, input_depth=settings.net.input_depth + extra) if extra else settings.net
        nets, zs = [], []
        self.noise_gens = []
        for problem, seed in zip(problems, seeds, strict=True):
            # The same draws, in the same order, as Fit makes for this seed.
            torch.manual_seed(seed)
            gen = torch.Generator().manual_seed(seed)
            net = build_net(spec, channels)
            replace_all_batch_norm_modules_(net)
            nets.append(net.to(self.device))
            zs.append(make_input(settings, settings.net.input_shape(*problem.out_size), gen, self.device))
            self.noise_gens.append(torch.Generator(device=self.device).manual_seed(seed + 1))
        self.params, self.buffers = stack_module_state(nets)
        self._base = copy.deepcopy(nets[0]).to("meta")
        self.z = torch.cat(zs)
        self.guide = None if first.guide is None else torch.cat([p.guide for p in problems]).to(self.device)
        self.target = torch.cat([p.target for p in problems]).to(self.device)
        self.weight = torch.cat([p.weight for p in problems]).to(self.device)
        self.holdout = None
        if all(p.holdout is not None for p in problems):
            self.holdout = torch.cat([p.holdout for p in problems]).to(self.device).float()
        self.norm = (self.weight.sum((1, 2, 3)) * channels).clamp_min(1)
        self.opt = torch.optim.Adam(list(self.params.values()), lr=settings.lr)
        self.step = 0
        self.output: torch.Tensor | None = None
        self.best: list[torch.Tensor | None] = [None] * len(problems)
        self.best_error: list[float | None] = [None] * len(problems)
        self.best_step = [0] * len(problems)

    def _forward(self, inp: torch.Tensor) -> torch.Tensor:
        def one(p: dict, b: dict, x: torch.Tensor) -> torch.Tensor:
            return functional_call(self._base, (p, b), (x.unsqueeze(0),)).squeeze(0)

        return torch.vmap(one)(self.params, self.buffers, inp)

    def _one_step(self) -> None:
        s = self.settings
        inp = self.z
        if s.reg_noise_std > 0:
            noise = torch.cat([torch.randn(self.z[:1].shape, generator=g, device=self.device)
                               for g in self.noise_gens])
            inp = self.z + noise * s.reg_noise_std
        if self.guide is not None:
            inp = torch.cat([inp, self.guide], dim=1)
        self.opt.zero_grad(set_to_none=True)
        out = self._forward(inp)
        per_tile = (((self.problems[0].apply(out) - self.target) ** 2) * self.weight).sum((1, 2, 3)) / self.norm
        per_tile.sum().backward()  # the tiles share no parameters: each gets its own gradient
        self.opt.step()
        self.output = running_average(self.output, out, self.step, s.ema)

    def _check(self) -> bool:
        """Update every tile's held-out best; whether any improved."""
        with torch.no_grad():
            diff = (self.problems[0].apply(self.output) - self.target) ** 2
            count = (self.holdout.sum((1, 2, 3)) * self.target.shape[1]).clamp_min(1)
            errors = ((diff * self.holdout).sum((1, 2, 3)) / count).tolist()
        improved = False
        for i, err in enumerate(errors):
            if self.best_error[i] is None or err < self.best_error[i] * 0.999:
                self.best_error[i], self.best[i], self.best_step[i] = err, self.output[i : i + 1].clone(), self.step
                improved = True
        return improved

    def steps(self, count: int | None = None) -> Iterator[int]:
        """Advance up to ``count`` steps (default ``settings.iterations``), yielding the step after each.

        With ``settings.early_stop`` and held-out pixels, ends when no tile has improved on them for
        ``settings.patience`` steps (after ``settings.min_iterations``).
        """
        s = self.settings
        total = s.iterations if count is None else count
        last_improved = self.step
        for i in range(1, total + 1):
            self._one_step()
            self.step += 1
            if self.holdout is not None and (self.step % s.check_every == 0 or i == total):
                if self._check():
                    last_improved = self.step
                elif s.early_stop and i >= s.min_iterations and self.step - last_improved >= s.patience:
                    yield self.step
                    return
            yield self.step

    def result(self, i: int) -> torch.Tensor:
        """Tile ``i``'s result (1, C, H, W): its held-out best, or its running average without held-out pixels."""
        if self.holdout is not None and self.best[i] is not None:
            return self.best[i]
        return self.output[i : i + 1]
