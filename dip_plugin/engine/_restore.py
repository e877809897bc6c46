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
from types import SimpleNamespace

import numpy as np
import torch
from torch import nn

from .batched import BatchedFit
from .dct import classical_estimate, fill_held_out
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
    classical : start from a classical denoiser (:func:`~dip_plugin.engine.dct.classical_estimate`, at
        the estimated noise level).  With no steps to take (``settings.iterations`` 0) the estimate
        is the result.  Otherwise the net sees it as extra input, and each tile's result mixes the
        net's output with it in the proportion that predicts the held-out pixels best, at most
        :data:`MAX_NET_SHARE` (the estimate is made without those pixels, so the comparison is
        fair).  Only for tasks that fit the observation at its own size.
    batch : tiles of equal size fitted at once, each with its own net
        (:class:`~dip_plugin.engine.batched.BatchedFit`); 0 = 8 on CUDA, 1 elsewhere.
    guide_start : the net also sees the starting picture (``RestoreJob.start``) as input, so its fit
        starts from a good estimate instead of from noise (super-resolution: the back-projected
        upscale).
    """

    settings: Settings
    holdout_fraction: float = 0.0
    discrepancy: bool = False
    classical: bool = False
    guide_start: bool = False
    batch: int = 0
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
    # The classical estimate made without the held-out pixels (judged on them) and with them (kept).
    classical: tuple[torch.Tensor, torch.Tensor] | None = None


def _prepare_tile(job: RestoreJob, box: tuple[int, int, int, int], task: TaskPreset, multiple: int,
                  seed: int, sigma: float = 0.0) -> _Tile:
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
    extra = job.guide
    if task.guide_start:
        extra = job.start if extra is None else np.concatenate([extra, job.start], axis=2)
    if extra is not None:
        g = extra[y0 * s : y1 * s, x0 * s : x1 * s]
        g = np.pad(g, ((pt * s, pb * s), (pl * s, pr * s), (0, 0)), mode="symmetric")
        guide = torch.from_numpy(np.ascontiguousarray(g.transpose(2, 0, 1)))[None]
    classical = None
    if task.classical and s == 1 and sigma > 0:
        # Mirrored copies of held-out pixels in the padding are held out of the estimate too.
        seen = classical_estimate(obs, sigma)
        blind = seen
        if holdout.any() and task.settings.iterations > 0:
            blind = classical_estimate(fill_held_out(obs, np.pad(holdout, widths, mode="symmetric")), sigma)
        classical = tuple(torch.from_numpy(np.ascontiguousarray(e.transpose(2, 0, 1)))[None] for e in (blind, seen))
        guide = classical[0] if guide is None else torch.cat([guide, classical[0]], dim=1)
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
    return _Tile(y0, y1, x0, x1, (pt, pb, pl, pr), problem, blend[..., None], classical)


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
    noise_var = estimate_noise_var(job.observed, job.usable) if task.discrepancy or task.classical else None
    sigma = math.sqrt(noise_var) if noise_var else 0.0
    if not task.discrepancy:
        noise_var = None
    canvas = _Canvas(job.start.astype(np.float32), job.scale)
    # With no steps to take (the classical estimate alone), each tile counts as one step.
    per_tile = s.iterations or 1
    reporter = Reporter(on_progress, should_stop, total=per_tile * len(boxes), every=s.report_every,
                        min_interval=s.report_interval)
    reporter.report(0, float("nan"), lambda: to_image(canvas.result()), force=True)
    fit_settings = replace(s, early_stop=False)
    base = 0
    for group in _groups(boxes, _batch_size(task, device)):
        if reporter.stop_requested():
            break
        # Tiles are prepared a group at a time: the classical estimate of each costs about a second.
        tiles = [_prepare_tile(job, boxes[i], task, s.net.multiple, seed + i, sigma) for i in group]
        if s.iterations == 0:
            for tile in tiles:
                if tile.classical is not None:
                    canvas.add(tile, tile.classical[1])
            base += len(tiles)
            reporter.report(base, float("nan"), lambda: to_image(canvas.result()), force=base == len(boxes))
            continue
        if len(tiles) > 1:
            _fit_batch(tiles, [seed + i for i in group], s, device, reporter, canvas, to_image, base)
        else:
            run = Fit(tiles[0].problem, fit_settings, seed=seed + group[0], device=device)
            chosen = _fit_tile(run, tiles[0], s, noise_var, reporter, canvas, to_image, base)
            if chosen is not None:
                canvas.add(tiles[0], chosen)
        base += s.iterations * len(tiles)
        if reporter.stop_requested():
            break
    return canvas.result()


def _batch_size(task: TaskPreset, device: torch.device) -> int:
    """Tiles fitted at once: the preset's ``batch``, or by default 8 on CUDA and 1 elsewhere."""
    if task.batch:
        return task.batch
    return 8 if device.type == "cuda" else 1


def _groups(boxes: list[tuple[int, int, int, int]], batch: int) -> list[list[int]]:
    """Indices of ``boxes`` in runs of at most ``batch`` consecutive boxes of equal size.

    Example
    -------
    >>> _groups([(0, 8, 0, 8), (0, 8, 6, 14), (0, 8, 12, 19), (6, 14, 0, 8)], 2)
    [[0, 1], [2], [3]]
    """
    groups: list[list[int]] = []
    for i, (y0, y1, x0, x1) in enumerate(boxes):
        last = groups[-1] if groups else None
        if last is not None and len(last) < batch:
            a = boxes[last[0]]
            if (a[1] - a[0], a[3] - a[2]) == (y1 - y0, x1 - x0):
                last.append(i)
                continue
        groups.append([i])
    return groups


def _fit_batch(tiles: list[_Tile], seeds: list[int], s: Settings, device: torch.device, reporter: Reporter,
               canvas: _Canvas, to_image: Callable[[np.ndarray], np.ndarray], base: int) -> None:
    """Fit equal-sized ``tiles`` at once (:class:`~dip_plugin.engine.batched.BatchedFit`) and add them to
    ``canvas``.  Each keeps its held-out best (the noise-level rule of ``discrepancy`` is not applied)."""
    fits = BatchedFit([t.problem for t in tiles], s, seeds=seeds, device=device)
    stopped = False
    step = 0
    for step in fits.steps():
        stopped = reporter.stop_requested()

        def preview(step=step) -> np.ndarray:
            return to_image(canvas.result((tiles[0], fits.output[:1])))

        reporter.report(base + step * len(tiles), float("nan"), preview, force=stopped)
        if stopped:
            break
    if stopped and step < min(s.min_iterations, s.iterations):
        return  # stopped before the fits got anywhere: these tiles keep the starting picture
    for i, tile in enumerate(tiles):
        chosen = fits.result(i)
        if tile.classical is not None and tile.problem.holdout is not None:
            held = SimpleNamespace(holdout=fits.holdout[i : i + 1], target=fits.target[i : i + 1])
            chosen = _mix_classical(chosen, tile.classical, held)
        canvas.add(tile, chosen)


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
    chosen = state.best
    if disc_output is not None and disc_step is not None and disc_step > state.best_step:
        chosen = disc_output
    return chosen if tile.classical is None else _mix_classical(chosen, tile.classical, run)


def _mix_classical(output: torch.Tensor, classical: tuple[torch.Tensor, torch.Tensor], run: Fit | SimpleNamespace
                   ) -> torch.Tensor:
    """``a · output + (1 − a) · classical``, with the ``a`` in [0, 1] that fits the held-out pixels best.

    Neither the net's output nor the blind classical estimate has seen those pixels' noise, so the
    least-squares weight on them is an unbiased choice; the kept estimate has seen every pixel.
    """
    blind, seen = (c.to(output.device) for c in classical)
    held = run.holdout.float()
    d = (output - blind) * held
    a = float((d * (run.target - blind)).sum() / (d * d).sum().clamp_min(1e-12))
    a = min(MAX_NET_SHARE, max(0.0, a))
    return a * output + (1 - a) * seen


# The most weight the net's output gets against the classical estimate.  The held-out pixels judge
# both as interpolators of pixels they have not seen, which favours the net: on a photo of sky the
# held-out weight was 0.995 where 0.5 did best over the whole tile (docs/restoration.md).
MAX_NET_SHARE = 0.5
