"""The driver shared by whole-image tasks (denoising, JPEG, flash/no-flash, super-resolution).

A task hands over a :class:`RestoreJob`: the observation, which of its pixels may enter the
energy, an optional degradation (the super-resolution downsampler) with its scale, an optional
guide image fed to the net, and the picture to start from.  :func:`run_tiled` cuts the image into
overlapping tiles that each fit within the preset's budget, fits a fresh net to every tile, and
blends the tiles with linear ramps across the overlaps, so cost grows with the number of pixels
and memory stays bounded.

Stopping (``settings.early_stop``): a random ``holdout_fraction`` of the pixels is kept out of
the energy.  Their noise is independent of everything the net sees, so their error tracks the
error to the clean image plus the noise variance; the fit remembers the running average that did
best on them.  That signal undervalues fine texture (the net must *interpolate* the held-out
pixels, which is harder than denoising the ones it sees), so with ``discrepancy`` the fit also
runs at least until the residual on the fitted pixels has come down to the noise variance
estimated from the image (Morozov's discrepancy principle), and returns the later of the two
averages.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from .fit import Fit, Problem
from .holdout import random_pixels
from .presets import Settings, check_iterations
from .progress import ProgressCallback, Reporter, StopCallback

__all__ = ["RestoreJob", "TaskPreset", "check_iterations", "check_preset", "estimate_noise_var", "plan_tiles",
           "run_tiled"]


@dataclass(frozen=True)
class TaskPreset:
    """A task's preset: fit :class:`Settings` plus how the task stops and tiles.

    holdout_fraction : share of random pixels kept out of the energy to judge the fit by (0: none).
    discrepancy : also run until the residual reaches the estimated noise variance (denoising).
    tile : most pixels on a side of a tile's fit (at the output's resolution).
    overlap : pixels shared by neighbouring tiles (at the output's resolution).
    """

    settings: Settings
    holdout_fraction: float = 0.0
    discrepancy: bool = False
    tile: int = 256
    overlap: int = 32

    def with_iterations(self, iterations: int | None) -> TaskPreset:
        """A copy with a fixed most-steps-per-tile (``None`` or 0 keeps the preset's)."""
        return replace(self, settings=self.settings.with_iterations(iterations))


@dataclass
class RestoreJob:
    """What to fit.

    observed : (h, w, C) float32 in [0, 1], the degraded image.
    usable : (h, w) bool, pixels that may enter the energy.
    start : (H, W, C) float32, the picture shown (and kept) where no tile has been fitted.
    scale : output size / observation size (1 unless ``degrade`` downsamples).
    degrade : maps the net's output (1, C, H, W) to the observation's space.
    guide : (H, W, K) float32, extra input channels for the net (e.g. a flash photo).
    """

    observed: np.ndarray
    usable: np.ndarray
    start: np.ndarray
    scale: int = 1
    degrade: nn.Module | None = None
    guide: np.ndarray | None = None


def check_preset(preset: str | Settings | TaskPreset, table: dict[str, TaskPreset], task: str) -> TaskPreset:
    """Look up a task preset by name; a bare :class:`Settings` takes the rest from ``"balanced"``."""
    if isinstance(preset, TaskPreset):
        return preset
    if isinstance(preset, Settings):
        return replace(table["balanced"], settings=preset)
    if isinstance(preset, str) and preset in table:
        return table[preset]
    raise ValueError(f"unknown {task} preset {preset!r}; choose one of {', '.join(table)}")


def estimate_noise_var(color: np.ndarray, usable: np.ndarray | None = None) -> float:
    """Variance of white noise in ``color`` ((h, w, C) float), from the finest diagonal Haar band.

    The median absolute value of ``(a − b − c + d)/2`` over 2×2 blocks, divided by 0.6745, estimates
    the noise's standard deviation (Donoho & Johnstone, 1994); texture makes it an overestimate.

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> x = 0.5 + 0.1 * rng.standard_normal((128, 128, 3))
    >>> round(estimate_noise_var(x) ** 0.5, 2)
    0.1
    """
    h, w = color.shape[:2]
    h2, w2 = h // 2 * 2, w // 2 * 2
    if h2 == 0 or w2 == 0:
        return 0.0
    c = color[:h2, :w2]
    hh = (c[0::2, 0::2] - c[0::2, 1::2] - c[1::2, 0::2] + c[1::2, 1::2]) / 2
    if usable is not None:
        u = usable[:h2, :w2]
        keep = u[0::2, 0::2] & u[0::2, 1::2] & u[1::2, 0::2] & u[1::2, 1::2]
        hh = hh[keep]
    if hh.size == 0:
        return 0.0
    hh = hh.reshape(-1, color.shape[2])
    sigma = np.median(np.abs(hh), axis=0) / 0.6745
    return float(np.mean(sigma**2))


def _split(n: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """Cover ``[0, n)`` with equal segments of at most ``tile`` that overlap by about ``overlap``."""
    if n <= tile:
        return [(0, n)]
    count = math.ceil((n - overlap) / (tile - overlap))
    size = math.ceil((n + (count - 1) * overlap) / count)
    starts = np.linspace(0, n - size, count).round().astype(int)
    return [(int(s), int(s) + size) for s in starts]


def plan_tiles(h: int, w: int, tile: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """Tiles ``(y0, y1, x0, x1)`` covering an ``h``×``w`` image, each at most ``tile`` on a side.

    Example
    -------
    >>> plan_tiles(100, 300, 128, 16)
    [(0, 100, 0, 111), (0, 100, 94, 205), (0, 100, 189, 300)]
    """
    overlap = max(0, min(overlap, tile // 2))
    return [(y0, y1, x0, x1) for y0, y1 in _split(h, tile, overlap) for x0, x1 in _split(w, tile, overlap)]


def _ramp(n: int, lo_edge: bool, hi_edge: bool, width: int) -> np.ndarray:
    """Blend weights along one side: rising over ``width`` pixels at inner edges, 1 elsewhere."""
    r = np.ones(n, np.float32)
    if width <= 0:
        return r
    up = (np.arange(n, dtype=np.float32) + 0.5) / width
    if not lo_edge:
        r = np.minimum(r, up)
    if not hi_edge:
        r = np.minimum(r, up[::-1])
    return np.clip(r, 1e-3, 1.0)


def _pad_amounts(n: int, multiple: int, minimum: int) -> tuple[int, int]:
    """Padding that takes ``n`` to a multiple of ``multiple`` of at least ``minimum``, split evenly."""
    total = max(minimum, math.ceil(n / multiple) * multiple) - n
    return total // 2, total - total // 2


@dataclass
class _Tile:
    y0: int
    y1: int
    x0: int
    x1: int
    pad: tuple[int, int, int, int]  # top, bottom, left, right at observation resolution
    problem: Problem
    blend: np.ndarray  # (H_t, W_t, 1) weights at output resolution


def _prepare_tile(job: RestoreJob, box: tuple[int, int, int, int], task: TaskPreset, multiple: int,
                  seed: int) -> _Tile:
    y0, y1, x0, x1 = box
    h, w = job.observed.shape[:2]
    s = job.scale
    obs_multiple = multiple // math.gcd(multiple, s)
    # The net's deepest level needs at least 2×2 pixels (BatchNorm over a single value fails).
    minimum = math.ceil(2 * multiple / s / obs_multiple) * obs_multiple
    pt, pb = _pad_amounts(y1 - y0, obs_multiple, minimum)
    pl, pr = _pad_amounts(x1 - x0, obs_multiple, minimum)
    widths = ((pt, pb), (pl, pr))
    obs = np.pad(job.observed[y0:y1, x0:x1], (*widths, (0, 0)), mode="symmetric")
    usable = job.usable[y0:y1, x0:x1]
    holdout = np.zeros_like(usable)
    if task.holdout_fraction > 0 and usable.any():
        ho = random_pixels(torch.from_numpy(usable), fraction=task.holdout_fraction, seed=seed).numpy()
        if ho.any() and (usable & ~ho).any():
            holdout = ho
    # Padding mirrors the tile; mirrored copies of held-out pixels stay out of the energy too.
    weight = np.pad(usable & ~holdout, widths, mode="symmetric").astype(np.float32)
    holdout_p = np.pad(holdout, widths, mode="constant")
    target = torch.from_numpy(np.ascontiguousarray(obs.transpose(2, 0, 1)))[None]
    out_size = (target.shape[-2] * s, target.shape[-1] * s)
    guide = None
    if job.guide is not None:
        g = job.guide[y0 * s : y1 * s, x0 * s : x1 * s]
        g = np.pad(g, ((pt * s, pb * s), (pl * s, pr * s), (0, 0)), mode="symmetric")
        guide = torch.from_numpy(np.ascontiguousarray(g.transpose(2, 0, 1)))[None]
    problem = Problem(
        target=target,
        weight=torch.from_numpy(weight)[None, None],
        out_size=out_size,
        degrade=job.degrade,
        holdout=torch.from_numpy(holdout_p)[None, None] if holdout.any() else None,
        guide=guide,
    )
    ov = max(2, task.overlap // s) * s
    blend = np.outer(_ramp((y1 - y0) * s, y0 == 0, y1 == h, ov), _ramp((x1 - x0) * s, x0 == 0, x1 == w, ov))
    return _Tile(y0, y1, x0, x1, (pt, pb, pl, pr), problem, blend[..., None])


class _Canvas:
    """Weighted sum of finished tiles at output resolution, over the starting picture."""

    def __init__(self, start: np.ndarray, scale: int) -> None:
        self.start = start
        self.scale = scale
        self.num = np.zeros_like(start)
        self.den = np.zeros((*start.shape[:2], 1), np.float32)

    def _crop(self, tile: _Tile, out: torch.Tensor) -> tuple[tuple[slice, slice], np.ndarray]:
        s = self.scale
        pt, _, pl, _ = tile.pad
        arr = out[0].detach().float().cpu().permute(1, 2, 0).numpy()
        hh, ww = (tile.y1 - tile.y0) * s, (tile.x1 - tile.x0) * s
        arr = np.clip(arr[pt * s : pt * s + hh, pl * s : pl * s + ww], 0.0, 1.0)
        return (slice(tile.y0 * s, tile.y1 * s), slice(tile.x0 * s, tile.x1 * s)), arr

    def add(self, tile: _Tile, out: torch.Tensor) -> None:
        sl, arr = self._crop(tile, out)
        self.num[sl] += tile.blend * arr
        self.den[sl] += tile.blend

    def result(self, extra: tuple[_Tile, torch.Tensor] | None = None) -> np.ndarray:
        num, den = self.num, self.den
        if extra is not None:
            sl, arr = self._crop(*extra)
            num, den = num.copy(), den.copy()
            num[sl] += extra[0].blend * arr
            den[sl] += extra[0].blend
        covered = den[..., 0] > 0
        out = self.start.copy()
        out[covered] = num[covered] / den[covered]
        return out


def run_tiled(job: RestoreJob, task: TaskPreset, *, seed: int, device: torch.device,
              on_progress: ProgressCallback | None, should_stop: StopCallback | None,
              to_image: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Fit every tile of ``job``; return the blended result, (H, W, C) float32 in [0, 1].

    ``to_image`` turns a result into what ``on_progress`` previews show.
    """
    s = task.settings
    h, w = job.observed.shape[:2]
    sc = job.scale
    boxes = plan_tiles(h, w, max(8, task.tile // sc), max(2, task.overlap // sc))
    tiles = [_prepare_tile(job, box, task, s.net.multiple, seed + i) for i, box in enumerate(boxes)]
    noise_var = estimate_noise_var(job.observed, job.usable) if task.discrepancy else None
    canvas = _Canvas(job.start.astype(np.float32), job.scale)
    reporter = Reporter(on_progress, should_stop, total=s.iterations * len(tiles), every=s.report_every,
                        min_interval=s.report_interval)
    reporter.report(0, float("nan"), lambda: to_image(canvas.result()), force=True)
    fit_settings = replace(s, early_stop=False)
    base = 0
    for i, tile in enumerate(tiles):
        if s.iterations == 0 or reporter.stop_requested():
            break
        run = Fit(tile.problem, fit_settings, seed=seed + i, device=device)
        chosen = _fit_tile(run, tile, s, noise_var, reporter, canvas, to_image, base)
        if chosen is not None:
            canvas.add(tile, chosen)
        base += s.iterations
        if reporter.stop_requested():
            break
    return canvas.result()


def _fit_tile(run: Fit, tile: _Tile, s: Settings, noise_var: float | None, reporter: Reporter, canvas: _Canvas,
              to_image: Callable[[np.ndarray], np.ndarray], base: int) -> torch.Tensor | None:
    """Advance one tile's fit until it stops; return the output to keep."""
    problem = run.problem
    weight = run.weight
    norm = run.norm
    target = run.target
    disc_step: int | None = None
    disc_output: torch.Tensor | None = None
    state = None
    for state in run.steps():
        step = state.step
        stop = reporter.stop_requested()
        finished = state.done or stop
        if step % s.check_every == 0 and not finished:
            if noise_var is not None and disc_step is None:
                with torch.no_grad():
                    res = float((((problem.apply(state.output) - target) ** 2) * weight).sum() / norm)
                if res <= noise_var:
                    disc_step, disc_output = step, state.output.clone()
            if (s.early_stop and problem.holdout is not None and step >= s.min_iterations
                    and step - state.best_step >= s.patience and (noise_var is None or disc_step is not None)):
                finished = True

        def preview(state=state) -> np.ndarray:
            return to_image(canvas.result((tile, state.output)))

        shown = base + (s.iterations if finished and not stop else step)
        reporter.report(shown, state.loss, preview, force=finished)
        if finished:
            break
    if state is None or (reporter.stop_requested() and state.step < min(s.min_iterations, s.iterations)):
        return None  # stopped before the fit got anywhere: keep the starting picture here
    if problem.holdout is None:
        return state.output
    if disc_output is not None and disc_step is not None and disc_step > state.best_step:
        return disc_output
    return state.best
