"""Inpainting: fill the masked pixels of an image with Deep Image Prior."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from .classical import smooth_fill
from .device import select_device
from .exemplar import exemplar_fill
from .fit import Fit, Problem
from .fsr import fsr_fill
from .holdout import depth_in_hole, hole_thickness, square_patches
from .oriented import oriented_fill
from .pixels import Pixels, check_image_and_mask, to_pixels
from .presets import Settings, check_iterations, check_seed, get_preset
from .progress import ProgressCallback, Reporter, StopCallback
from .regions import Crop, plan_crops, thin_holes, thin_limit
from .resample import from_tensor, resize, resize_mask, to_tensor

__all__ = ["InpaintSession", "inpaint"]


@dataclass
class _CropJob:
    """One crop's fit: tensors at fit resolution and the smooth fill to fall back on."""

    crop: Crop
    hole: np.ndarray  # (h, w) bool at image resolution, the hole pixels this crop writes
    target: torch.Tensor
    known: torch.Tensor
    holdout: torch.Tensor | None
    smooth: torch.Tensor
    thickness: int
    fit: Fit | None = None
    copies: tuple[torch.Tensor, torch.Tensor] | None = None  # exemplar fill and its match error, once made
    oriented: torch.Tensor | None = None  # the oriented fill, once made
    settings: Settings = field(default_factory=Settings)  # the mixing tunables (detail_allowance, ...)
    biharmonic: torch.Tensor | None = None  # the biharmonic fill, where ``smooth`` also took FSR
    _depth: torch.Tensor | None = None

    @property
    def depth(self) -> torch.Tensor:
        """How deep each pixel lies among the pixels the fit does not see (hole and held-out)."""
        if self._depth is None:
            fit_known = self.known if self.holdout is None else self.known & ~self.holdout
            self._depth = depth_in_hole(~fit_known)
        return self._depth

    @property
    def pixels(self) -> int:
        """How many pixels the fit has (its cost per step follows it)."""
        return int(self.target.shape[-2] * self.target.shape[-1])

    def problem(self, settings: Settings, baseline: float | None = None) -> Problem:
        weight = self.known if self.holdout is None else self.known & ~self.holdout
        # The guide is concatenated to the full-resolution input; a Deep Decoder's input is coarser.
        # Where holes are dense (e.g. half the pixels missing) the smooth fill is a poor guess that
        # the net would pass through; the known pixels constrain the fit well enough without it.
        hole_fraction = 1.0 - float(self.known.float().mean())
        thin = self.thickness <= settings.guide_max_thickness and hole_fraction <= settings.guide_max_fraction
        guide = self.smooth if thin and settings.net.kind == "skip" else None
        return Problem(self.target, weight.float(), out_size=tuple(self.target.shape[-2:]), holdout=self.holdout,
                       guide=guide, baseline=baseline)

    def holdout_error(self, fill: torch.Tensor) -> float | None:
        """Mean squared error of ``fill`` on the held-out pixels (as the fit measures it), or None."""
        if self.holdout is None:
            return None
        return float((fill - self.target)[self.holdout.expand_as(fill)].square().mean())

    def paste(self, canvas: np.ndarray, fill: torch.Tensor) -> None:
        """Write ``fill`` (fit resolution) into the hole pixels of ``canvas`` (image resolution)."""
        up = from_tensor(resize(fill, (self.crop.height, self.crop.width)))
        region = canvas[self.crop.slices]
        region[self.hole] = np.clip(up[self.hole], 0.0, 1.0)


def _plan(mask: np.ndarray, settings: Settings) -> tuple[list[Crop], np.ndarray]:
    """The crops to fit, and which hole pixels are thin (fitted at full resolution, see
    :func:`~dip_plugin.engine.regions.plan_crops`)."""
    h, w = mask.shape
    if not settings.crop:
        return [Crop(0, h, 0, w, min(1.0, (settings.max_fit_pixels / (h * w)) ** 0.5))], np.zeros_like(mask)
    thin = thin_holes(mask, settings.full_res_max_thickness)
    crops = plan_crops(
        mask,
        context=settings.context,
        min_context=settings.min_context,
        max_pixels=settings.max_fit_pixels,
        multiple=settings.net.multiple,
        thin=thin,
        tile_pixels=max(settings.tile_pixels, settings.max_fit_pixels),
        stroke_context=settings.stroke_context,
    )
    return crops, thin


def _owned_holes(mask: np.ndarray, thin: np.ndarray, crops: list[Crop]) -> list[np.ndarray]:
    """For each crop, the hole pixels it writes: a crop of thin holes writes the thin ones (a tile,
    those in its core), any other crop the others; each pixel is written by the first crop that may."""
    taken = np.zeros_like(mask)
    owned = []
    for crop in crops:
        part = thin[crop.slices] if crop.thin else ~thin[crop.slices]
        region = mask[crop.slices] & part & ~taken[crop.slices]
        if crop.core is not None:  # a tile writes only the holes of its core
            y0, y1, x0, x1 = crop.core
            inside = np.zeros_like(region)
            inside[y0 - crop.y0 : y1 - crop.y0, x0 - crop.x0 : x1 - crop.x0] = True
            region &= inside
        owned.append(region)
        taken[crop.slices] |= region
    return owned


def _prepare(pixels: Pixels, mask: np.ndarray, crop: Crop, hole: np.ndarray, settings: Settings,
             seed: int) -> _CropJob:
    size = crop.fit_size(settings.net.multiple)
    color = to_tensor(pixels.color[crop.slices])
    valid = to_tensor(pixels.visible()[crop.slices] & ~mask[crop.slices])
    valid_f = valid.float()
    small_valid = resize(valid_f, size)
    target = resize(color * valid_f, size) / small_valid.clamp_min(1e-6)
    known = resize_mask(valid, size, any_=False)
    small_hole = resize_mask(to_tensor(mask[crop.slices]), size, any_=True)
    target = torch.where(known, target, torch.zeros_like(target))
    thickness = hole_thickness(small_hole)
    if crop.thin:  # the count also sees thick holes of other crops in the tile, and a glyph's joints
        thickness = min(thickness, thin_limit(settings.full_res_max_thickness))
    holdout = None
    if settings.guard or settings.early_stop:
        holdout = square_patches(small_hole, known, seed=seed, thickness=thickness)
        if not bool(holdout.any()):
            holdout = None
    fit_known = known if holdout is None else known & ~holdout
    biharmonic = smooth_fill(target, fit_known, iters=200)
    depth = depth_in_hole(~fit_known)  # the job's depth too (see _CropJob.depth)
    smooth = _classical_fill(target, biharmonic, fit_known, holdout, depth, settings)
    return _CropJob(crop, hole, target, known, holdout, smooth, thickness, settings=settings, biharmonic=biharmonic,
                    _depth=depth)


def _classical_fill(target: torch.Tensor, smooth: torch.Tensor, fit_known: torch.Tensor,
                    holdout: torch.Tensor | None, depth: torch.Tensor, settings: Settings) -> torch.Tensor:
    """The best classical fill of the crop: the biharmonic fill ``smooth``, moved towards the frequency-selective
    reconstruction (:mod:`~dip_plugin.engine.fsr`) as far as that predicts the held-out pixels better, and
    deeper in the hole than they reach, no further than it departs at the depths they checked
    (:func:`_capped_by_depth`)."""
    if not settings.fsr or holdout is None:
        return smooth
    fsr = fsr_fill(target, fit_known)
    if fsr is None:
        return smooth
    step = fsr - smooth
    alpha = _holdout_weight(step, target - smooth, holdout.expand_as(target), empty=0.0)
    hole = ~(fit_known | holdout)
    if alpha <= 0.0 or not bool(hole.any()):
        return smooth + alpha * step
    return smooth + _capped_by_depth(alpha, step.square().mean(1, keepdim=True), hole, depth, holdout) * step


def _holdout_weight(step: torch.Tensor, residual: torch.Tensor, sel: torch.Tensor, empty: float) -> float:
    """The weight in [0, 1] of ``step`` that best predicts ``residual`` on the held-out pixels ``sel``
    (least squares); ``empty`` where ``step`` is zero there."""
    d = step[sel]
    denom = float((d * d).sum())
    if denom <= 1e-12:
        return empty
    return float(np.clip(float((d * residual[sel]).sum()) / denom, 0.0, 1.0))


def _guarded(job: _CropJob, dip: torch.Tensor) -> torch.Tensor:
    """Blend the DIP output with the smooth fill, judged on the held-out pixels the fit never saw.

    The weight is the one that best predicts the held-out pixels: 1 where the net is better, 0 where
    the smooth fill is, in between where mixing helps.  The held-out pixels also tell how much detail
    the content has (how far the truth departs from the smooth fill there).  A net that departs from
    the smooth fill inside the hole by much more than that invents structure the surroundings lack —
    a large net wandering in the middle of a big hole in a clear sky — and its weight is cut to
    ``(detail_allowance × detail / departure)²``: the wilder the net, the less of it is kept.  A net
    that continues a texture departs about as much as the texture does, and keeps its weight.

    Deeper in the hole than the held-out patches reach, nothing checked the net; there it keeps no
    more departure from the smooth fill than it has at the depths that were checked: at each deeper
    depth its weight is scaled by (largest mean squared departure at a checked depth / mean squared
    departure at this depth), at most 1.  A texture's departure levels off a few pixels in; a
    wandering net's keeps growing.
    """
    if job.holdout is None:
        return dip
    sel = job.holdout.expand_as(dip)
    alpha = _holdout_weight(dip - job.smooth, job.target - job.smooth, sel, empty=1.0)
    hole = ~job.known
    if not bool(hole.any()):
        return alpha * dip + (1.0 - alpha) * job.smooth
    # Detail and departure are measured from the biharmonic fill: how much structure the content has
    # beyond a smooth continuation, and how much the net puts into the hole.
    plain = job.smooth if job.biharmonic is None else job.biharmonic
    departure = (dip - plain).square().mean(1, keepdim=True)
    spread = float(departure[hole].mean().sqrt())
    detail = float((job.target - plain)[sel].square().mean().sqrt())
    if spread > 0:
        alpha = min(alpha, (job.settings.detail_allowance * detail / spread) ** 2)
    weight = _capped_by_depth(alpha, departure, hole, job.depth, job.holdout)
    return weight * dip + (1.0 - weight) * job.smooth


def _capped_by_depth(alpha: float, departure: torch.Tensor, hole: torch.Tensor, depth: torch.Tensor,
                     holdout: torch.Tensor) -> torch.Tensor | float:
    """The weight ``alpha`` of a fill, cut deeper in the hole than the held-out patches reach: there it keeps
    no more mean ``departure`` (squared, from the fill it is mixed with) than at the depths that were checked.

    At each deeper depth the weight is ``alpha`` × (largest mean departure at a checked depth / mean departure
    at this depth), at most ``alpha``.  A texture's departure levels off a few pixels in; a fill that wanders
    (a net inventing structure, FSR's Fourier model far from the known pixels of a smooth crop) keeps
    growing.  ``alpha`` itself (a float) where the hole is no deeper than the patches reach.
    """
    reach = int(depth[holdout].max())
    at_depths = [hole & (depth == k) for k in range(1, reach + 1)]
    checked = [float(departure[at].mean()) for at in at_depths if bool(at.any())]
    deepest = int(depth[hole].max())
    if deepest <= reach or not checked:
        return alpha
    checked_departure = max(checked)
    weight = torch.full_like(departure, alpha)
    for k in range(reach + 1, deepest + 1):
        at = hole & (depth == k)
        if bool(at.any()):
            weight[at] = alpha * min(1.0, checked_departure / max(float(departure[at].mean()), 1e-20))
    return weight


def _blended_by_depth(job: _CropJob, dip: torch.Tensor) -> torch.Tensor | None:
    """Mix the DIP output, an oriented fill and the smooth fill, with weights for each depth in the hole.

    How much each fill is worth depends on how far a pixel lies from the known ones: next to them the
    smooth fill continues what is there, a few pixels in the texture's direction (the oriented fill)
    or the net's structure matter more.  The held-out patches are as thick as the hole, so they hold
    pixels at every depth the hole has; at each depth, the weights of the net and of the oriented fill
    (each in [0, 1], on top of the smooth fill) are those that best predict the held-out pixels at that
    depth.  None where no depth has enough held-out pixels.
    """
    if job.holdout is None:
        return None
    fit_known = job.known & ~job.holdout
    if job.oriented is None:
        job.oriented = oriented_fill(job.target, fit_known)
    depth = job.depth
    hole = ~job.known
    cols = (dip - job.smooth, job.oriented - job.smooth)
    truth = job.target - job.smooth
    deepest = int(depth[hole].max()) if bool(hole.any()) else 0
    weights: dict[int, list[float]] = {}
    for k in range(1, deepest + 1):
        ring = job.holdout & (depth == k)
        if int(ring.sum()) >= job.settings.min_depth_pixels:
            sel = ring.expand_as(dip)
            a = torch.stack([c[sel] for c in cols], 1).cpu().double()
            # gelsd (by SVD) copes with a column of zeros, e.g. a net that returned the smooth fill.
            w = torch.linalg.lstsq(a, truth[sel].cpu().double()[:, None], driver="gelsd").solution.flatten()
            weights[k] = [float(v) for v in w.clamp(0.0, 1.0)]
    if not weights:
        return None
    out = job.smooth.clone()  # the held-out pixels get the same mix, for what is judged on them after this
    for k in range(1, int(depth.max()) + 1):
        w = weights[min(weights, key=lambda s: (abs(s - k), s))]
        at = (depth == k).expand_as(dip)
        out = torch.where(at, job.smooth + w[0] * cols[0] + w[1] * cols[1], out)
    return out


def _judged(job: _CropJob, dip: torch.Tensor, settings: Settings) -> torch.Tensor:
    """The fill to keep for ``dip``, judged on the held-out pixels: by depth where the hole is thick
    enough for the net to fit it unguided and thin enough for the held-out patches to match it,
    else :func:`_guarded`."""
    if settings.guide_max_thickness < job.thickness <= _for_thin(job, settings.oriented_max_thickness):
        blended = _blended_by_depth(job, dip)
        if blended is not None:
            return blended
    return _guarded(job, dip)


def _with_copies(job: _CropJob, fill: torch.Tensor, max_thickness: int,
                 device: torch.device | None = None) -> torch.Tensor:
    """Move ``fill`` towards pixels copied from matching known windows, as far as the held-out pixels allow.

    Only for holes at most ``max_thickness`` thick: the held-out patches are as thick as such a hole,
    so how well copies predict them says how well they predict the hole.  Each copied pixel is
    weighted by how well its window matched (:func:`~dip_plugin.engine.exemplar.exemplar_fill`):
    on a repeating pattern the copies are near exact and are kept, on stochastic texture they are
    one plausible draw among many and mostly dropped; one overall weight, fitted on the held-out
    pixels, then decides how much of the weighted copies to add.
    """
    if job.holdout is None or job.thickness > max_thickness:
        return fill
    sel = job.holdout.expand_as(fill)
    detail = float((job.target - job.smooth)[sel].square().mean())
    if job.copies is None:  # searched on the fit's device, kept on the CPU
        pixels, error = exemplar_fill(job.target.to(device), (job.known & ~job.holdout).to(device))
        job.copies = pixels.cpu(), error.cpu()
    pixels, error = job.copies
    if detail <= 0 or not bool(torch.isfinite(error).all()):
        return fill
    step = torch.exp(-error / (job.settings.copy_tolerance * detail)) * (pixels - fill)
    return fill + _holdout_weight(step, job.target - fill, sel, empty=0.0) * step


def _final(job: _CropJob, output: torch.Tensor, settings: Settings, device: torch.device | None) -> torch.Tensor:
    """The fill kept for a net's ``output``: the net and the candidate fills mixed as the held-out pixels say."""
    if not settings.guard:
        return output
    return _with_copies(job, _judged(job, output, settings), _for_thin(job, settings.copy_max_thickness), device)


def _for_thin(job: _CropJob, max_thickness: int) -> int:
    """A candidate's thickness limit for ``job``: a crop of thin holes takes every candidate fill, whatever
    its strokes' width (see :func:`~dip_plugin.engine.regions.thin_limit`); on the photo benchmark, brush
    strokes 17 to 24 pixels wide gained 0.1 to 0.6 dB from the copies and the oriented fill."""
    if job.crop.thin and max_thickness > 0:
        return max(max_thickness, thin_limit(job.settings.full_res_max_thickness))
    return max_thickness


class InpaintSession:
    """A resumable inpainting: :meth:`run` fits, and a later :meth:`run` continues the same fit.

    The Qt app uses it for "run more"; :func:`inpaint` is a single ``run``.

    Example
    -------
    >>> img = np.zeros((32, 32, 3), np.uint8); img[:, 16:] = 200
    >>> hole = np.zeros((32, 32), bool); hole[12:20, 12:20] = True
    >>> session = InpaintSession(img, hole, preset="fast", device="cpu")
    >>> first = session.run(3)
    >>> more = session.run(3)  # continues from step 3
    >>> session.steps_done
    6
    """

    def __init__(self, image: np.ndarray, mask: np.ndarray, *, preset: str | Settings = "balanced",
                 seed: int = 0, device: str | torch.device = "auto") -> None:
        check_image_and_mask(image, mask)
        check_seed(seed)
        self.settings = get_preset(preset)
        self.seed = int(seed)
        self.device = select_device(device)
        self.image = image.copy()
        self.mask = mask.copy()
        self.steps_done = 0
        self.runs = 0
        self.pixels = to_pixels(image, known=~mask)
        self.canvas = self.pixels.color.copy()
        self.jobs: list[_CropJob] = []
        if not mask.any():
            return
        if not (self.pixels.visible() & ~mask).any():
            raise ValueError("the mask covers every visible pixel: there is nothing to fill the hole from")
        crops, thin = _plan(mask, self.settings)
        holes = _owned_holes(mask, thin, crops)
        self.jobs = [
            _prepare(self.pixels, mask, c, h, self.settings, self.seed + i)
            for i, (c, h) in enumerate(zip(crops, holes, strict=True))
        ]
        for job in self.jobs:
            job.paste(self.canvas, job.smooth)

    def result(self) -> np.ndarray:
        """The current result, shaped and typed like the input; outside the mask, the input."""
        out = self.pixels.to_image(self.canvas)
        out[~self.mask] = self.image[~self.mask]
        return out

    def run(self, iterations: int | None = None, *, on_progress: ProgressCallback | None = None,
            should_stop: StopCallback | None = None) -> np.ndarray:
        """Fit up to ``iterations`` more steps per crop (``None``/0: the preset's, for a preset whose count
        follows the crop's size: :meth:`~dip_plugin.engine.presets.Settings.iterations_for`) and return the result."""
        check_iterations(iterations)
        if not self.jobs:
            return self.image.copy()
        settings = self.settings.with_iterations(iterations)
        # A preset may leave thin holes to the candidate fills (thin_iterations); running more fits them too.
        counts = [settings.iterations_for(job.pixels, job.crop.thin and self.runs == 0) for job in self.jobs]
        self.runs += 1
        units = [max(1, c) for c in counts]  # progress: a crop filled without a fit counts as one step
        reporter = Reporter(on_progress, should_stop, total=sum(units), every=settings.report_every,
                            min_interval=settings.report_interval)
        reporter.report(0, float("nan"), self.result, force=True)
        for i, (job, per_job) in enumerate(zip(self.jobs, counts, strict=True)):
            if reporter.stop_requested():
                break
            if per_job == 0:  # no fit for this crop: its candidate fills, mixed
                job.paste(self.canvas, _final(job, job.smooth, settings, self.device))
                reporter.report(sum(units[: i + 1]), float("nan"), self.result, force=True)
                continue
            if job.fit is None:
                # The bar a fit has to catch up with: the candidate fills alone, mixed.
                judged = settings.guard and job.thickness <= settings.catch_up_max_thickness
                baseline = job.holdout_error(_final(job, job.smooth, settings, self.device)) if judged else None
                job.fit = Fit(job.problem(settings, baseline), settings, seed=self.seed + i, device=self.device)
            else:
                job.fit.settings = settings
            state = None
            stopped = False
            offset = sum(units[:i])
            for state in job.fit.steps(per_job):
                stopped = reporter.stop_requested()
                step = offset + (per_job if state.done else state.step)

                def preview(state=state, job=job) -> np.ndarray:
                    # What stopping now would keep: the best output so far, mixed as at the end.
                    job.paste(self.canvas, _final(job, state.best.cpu(), settings, self.device))
                    return self.result()

                reporter.report(step, state.loss, preview, force=state.done or stopped)
                if stopped:
                    break
            if state is not None:
                self.steps_done += state.step
                # A fit given up as not catching up with the candidates leaves them the crop.
                output = job.smooth if state.lost else state.best.cpu()
                job.paste(self.canvas, _final(job, output, settings, self.device))
            if stopped:
                break
        return self.result()


def inpaint(
    image: np.ndarray,
    mask: np.ndarray,
    *,
    preset: str | Settings = "balanced",
    iterations: int | None = None,
    seed: int = 0,
    device: str | torch.device = "auto",
    on_progress: ProgressCallback | None = None,
    should_stop: StopCallback | None = None,
) -> np.ndarray:
    """Fill the pixels of ``image`` where ``mask`` is True, with Deep Image Prior.

    A randomly initialised encoder–decoder is fitted to the known pixels around each hole; its
    structure fills the hole with content that continues the surroundings (Ulyanov, Vedaldi and
    Lempitsky, "Deep Image Prior", CVPR 2018, doi:10.1109/CVPR.2018.00984).

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray, C in {3, 4} (also 1 or 2), uint8, uint16 or float32.
        A last channel of 4 (or 2) is alpha: passed through untouched.
    mask : (H, W) bool ndarray, True = hole.
    preset : ``"fast"``, ``"balanced"``, ``"quality"`` or ``"paper"`` (or a ``Settings``).
    iterations : most steps per fitted crop; ``None`` or 0 uses the preset's.  Early stopping
        may end the fit sooner (not with ``"paper"``).
    seed : seeds the net, its input and held-out pixels; equal seeds give equal CPU results.
    device : ``"auto"`` (CUDA > MPS > CPU), ``"cpu"``, ``"cuda"`` or ``"mps"``.
    on_progress : called every few steps with a :class:`~dip_plugin.engine.progress.Progress`
        whose ``preview`` is the current result.
    should_stop : polled every step; when it returns True the best result so far is returned.

    Returns
    -------
    ndarray with the shape and dtype of ``image``; pixels outside ``mask`` equal the input's.

    Example
    -------
    >>> img = np.zeros((32, 32, 3), np.uint8); img[:, 16:] = 200
    >>> hole = np.zeros((32, 32), bool); hole[12:20, 12:20] = True
    >>> out = inpaint(img, hole, preset="fast", iterations=5, device="cpu")
    >>> out.shape, out.dtype, bool((out[~hole] == img[~hole]).all())
    ((32, 32, 3), dtype('uint8'), True)
    """
    check_iterations(iterations)
    session = InpaintSession(image, mask, preset=preset, seed=seed, device=device)
    return session.run(iterations, on_progress=on_progress, should_stop=should_stop)
