"""Fit settings and the named presets (``fast``, ``balanced``, ``quality``, ``paper``).

The numbers come from the benchmark in ``benchmarks/inpaint.py`` (see ``docs/benchmarks.md``);
``paper`` reproduces the inpainting configuration of Ulyanov et al. (2018) for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .nets import NetSpec

__all__ = ["MAX_SEED", "PRESETS", "Settings", "check_iterations", "check_seed", "get_preset"]


@dataclass(frozen=True)
class Settings:
    """Everything that decides a fit.

    iterations : most optimisation steps per crop (early stopping may end sooner).
    iterations_pixels : when set, ``iterations`` is the count for a crop fitted at this many pixels,
        and a smaller crop, whose steps cost less, gets more of them: ``(iterations_pixels /
        pixels)^0.75`` times as many, at most 3 times (see :meth:`iterations_for`).  0 = the same
        count for every crop.  An explicit count (:meth:`with_iterations`) is never scaled.
    lr : Adam learning rate.
    reg_noise_std : std of the Gaussian perturbation added to the input each step (paper: 1/30).
    input_scale : the fixed input is ``U(0, input_scale)`` noise (paper: 0.1).
    ema : weight of the running average of outputs (paper: 0.99); 0 disables averaging.
    early_stop : stop when the held-out pixels' error has not improved for ``patience`` steps.
    catch_up : give a fit up when, at the rate its held-out error fell since half its steps, it would
        not get down to the candidate fills' held-out error within its steps (checked from
        ``min_iterations`` on); the crop then keeps the candidate fills.  Only for holes at most
        ``catch_up_max_thickness`` thick (pixels, at fit scale): deeper in a thicker hole than the held-out
        patches reach (at most 16 pixels thick), their verdict says little.  On an object in the fig
        photo (`fig_object`, 61 px thick) a fit 10 % worse than the candidates on the held-out pixels
        was 7 dB better than them over the whole hole.  On the photo
        benchmark a fast fit of a thick stroke was still 3 to 4 times worse than the classical fill
        on the held-out pixels after its 340 steps, and the candidates alone scored as well or
        better (see docs/engine.md).
    guard : blend with a smooth fill where that predicts the held-out pixels better.
    guide_max_thickness : holes at most this thick (pixels, at fit scale) are filled by a net that
        also sees the smooth fill as input: thin holes (text, scratches) are mostly interpolation,
        and the extra input makes the fit converge several times faster.  Thicker holes need the
        net's own texture synthesis, which that input would suppress.  0 = never.
    guide_max_fraction : ... and only where at most this share of the crop is missing.
    copy_max_thickness : with ``guard``, holes at most this thick (pixels, at fit scale) also take
        pixels copied from matching known windows (an exemplar fill), as far as they match and as
        far as the held-out pixels confirm them: a repeating pattern under text or a scratch comes
        back exactly, where a smooth fill blurs it.  Thicker holes are the net's alone: its held-out
        patches (at most 16 pixels) no longer tell how copies fare deep inside them.  0 = never.
    oriented_max_thickness : with ``guard``, holes thicker than ``guide_max_thickness`` and at most
        this thick (scribbles, strokes over fur or foliage) are filled by mixing the net's output, an
        oriented fill (:func:`~dip_plugin.engine.oriented.oriented_fill`) and the smooth fill with
        weights for each depth into the hole, fitted on the held-out pixels at that depth.  The held-out
        patches (at most 16 pixels) hold every depth of such a hole.  0 = never.
    mixed_precision : on CUDA, run the net in bfloat16 autocast (never on a CPU or MPS).  Off in every
        preset: at these sizes a GPU step is bound by kernel launches, not arithmetic, and the casts
        made steps slower on an H200 (fast 21.2 against 18.6 ms, balanced 22.3 against 15.3 ms at
        256×256; see docs/benchmarks-gpu.md).
    crop : fit crops around the holes instead of the whole image.
    max_fit_pixels : a crop larger than this is fitted at a reduced scale, unless its holes are thin.
    full_res_max_thickness : holes at most this thick (pixels, at image scale: text, scratches,
        dust) are always fitted at full resolution: a crop of them larger than ``max_fit_pixels`` is
        split into tiles of ``tile_pixels`` (each fitted on its own, writing the holes of its core).
        0 = never tile.
    thin_iterations : most steps for a crop of thin holes (None = ``iterations``; 0 = no fit: the
        candidate fills alone, mixed as the held-out pixels say).  Thin holes are mostly interpolation,
        which the candidate fills do well; on the photo benchmark a fast fit of text over a 512×512
        photo gave the same result after 1, 60 and 150 steps (see docs/engine.md).
    fsr : the classical fill the net is judged against also takes the frequency-selective
        reconstruction (:mod:`~dip_plugin.engine.fsr`), as far as the held-out pixels favour it.
    stroke_context : the context around a thick hole is ``context`` × its size, its size being its
        box's longer side but at most this many times its stroke width (a long brush stroke needs
        context for its width, not its length).
    detail_allowance : how far the net's fill may depart from the classical fill, in units of the
        detail the content has (judged on the held-out pixels), before its weight is cut.
    min_depth_pixels : a depth of a stroke with fewer held-out pixels than this takes the mixing
        weights of the nearest depth that has them.
    copy_tolerance : an exemplar copy is trusted fully where its window matched the surroundings to
        within this share of the content's detail (mean squared), exponentially less beyond.
    report_every, report_interval : progress goes out every ``report_every`` steps, but at most
        once per ``report_interval`` seconds (a preview can cost a full-image conversion).
    """

    net: NetSpec = field(default_factory=NetSpec)
    iterations: int = 1000
    iterations_pixels: int = 0
    lr: float = 0.01
    reg_noise_std: float = 1.0 / 30.0
    input_scale: float = 0.1
    ema: float = 0.99
    early_stop: bool = True
    catch_up: bool = True
    catch_up_max_thickness: int = 32
    min_iterations: int = 100
    patience: int = 200
    check_every: int = 10
    guard: bool = True
    crop: bool = True
    context: float = 0.75
    min_context: int = 24
    max_fit_pixels: int = 384 * 384
    report_every: int = 10
    report_interval: float = 0.2
    guide_max_thickness: int = 6
    guide_max_fraction: float = 0.3
    copy_max_thickness: int = 16
    oriented_max_thickness: int = 16
    mixed_precision: bool = False
    fsr: bool = True
    stroke_context: int = 4
    detail_allowance: float = 2.0
    min_depth_pixels: int = 100
    copy_tolerance: float = 1.0
    full_res_max_thickness: int = 16
    thin_iterations: int | None = None
    tile_pixels: int = 256 * 256

    def with_iterations(self, iterations: int | None) -> Settings:
        """A copy with a fixed iteration count (``None`` or 0 keeps the preset's)."""
        if not iterations:
            return self
        return replace(self, iterations=int(iterations), iterations_pixels=0, thin_iterations=None,
                       min_iterations=min(self.min_iterations, int(iterations)))

    def iterations_for(self, pixels: int, thin: bool = False) -> int:
        """The most steps for a crop fitted at ``pixels`` pixels (see ``iterations_pixels``), of thin
        holes when ``thin`` (see ``thin_iterations``).

        Example
        -------
        >>> s = Settings(iterations=100, iterations_pixels=256 * 256)
        >>> s.iterations_for(256 * 256), s.iterations_for(128 * 128), s.iterations_for(16 * 16)
        (100, 283, 300)
        """
        if thin and self.thin_iterations is not None:
            return min(self.thin_iterations, self.iterations_for(pixels))
        if self.iterations_pixels <= 0 or pixels >= self.iterations_pixels:
            return self.iterations
        return round(self.iterations * min(MAX_ITERATION_SCALE, (self.iterations_pixels / pixels) ** 0.75))


# A small crop gets at most this many times the preset's steps (its steps cost less; see Settings.iterations_for).
MAX_ITERATION_SCALE = 3.0


PRESETS: dict[str, Settings] = {
    # 0.08-0.16 s per step on a 256×256 crop on a 2-core CPU (thin holes spread over the crop
    # cost the most): under a minute per 256×256 crop.  Smaller crops, whose steps cost less, get
    # more steps in about the same time (a 192×192 crop: 523 steps at about 0.095 s).  16-channel
    # skip connections carry fine structure (window frames, mortar lines) into the fill: against
    # 4 channels, +0.6 dB on bricks/object and +1.4 dB on street/thin on the CPU benchmark, at the
    # same time per step.
    "fast": Settings(
        net=NetSpec(input_depth=8, down=(16, 32, 64, 64, 64), up=(16, 32, 64, 64, 64), skip=(16,) * 5),
        iterations=340,
        iterations_pixels=256 * 256,
        thin_iterations=0,
        lr=0.02,
        patience=100,
        max_fit_pixels=256 * 256,
    ),
    # 1.5x the cost of a fast step, with more room to fit detail and up to 2.5x the steps.
    "balanced": Settings(
        net=NetSpec(input_depth=8, down=(16, 48, 96, 128, 128), up=(16, 48, 96, 128, 128), skip=(16,) * 5),
        iterations=1000,
        thin_iterations=300,
        lr=0.01,
        patience=250,
    ),
    # 3x the cost of a fast step; for large holes in texture, or a GPU.  Its 4-channel skips: 16
    # made its steps a third slower here and measured no better on its two benchmark cases.
    "quality": Settings(
        net=NetSpec(input_depth=16, down=(32, 64, 128, 128, 128), up=(32, 64, 128, 128, 128), skip=(4,) * 5),
        iterations=2000,
        lr=0.01,
        patience=400,
        max_fit_pixels=512 * 512,
    ),
    # Ulyanov et al. (2018), text inpainting: skip net, 5 levels x 128 channels, 128 skip
    # channels, nearest upsampling, z ~ U(0, 0.1) with 32 channels, reg_noise_std 0.03,
    # Adam lr 0.01, 6001 iterations on the whole image; the last iterate is the result.
    "paper": Settings(
        net=NetSpec(input_depth=32, down=(128,) * 5, up=(128,) * 5, skip=(128,) * 5, upsample="nearest"),
        iterations=6001,
        lr=0.01,
        reg_noise_std=0.03,
        ema=0.0,
        early_stop=False,
        guard=False,
        crop=False,
        max_fit_pixels=10**9,
    ),
}


def get_preset(name: str | Settings) -> Settings:
    """Look up a preset by name (a :class:`Settings` passes through)."""
    if isinstance(name, Settings):
        return name
    try:
        return PRESETS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}") from None


def check_iterations(iterations: int | None) -> None:
    """Raise ``TypeError``/``ValueError`` unless ``iterations`` is None or an int ≥ 0."""
    if iterations is None:
        return
    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)):
        raise TypeError(f"iterations must be an int or None, got {type(iterations).__name__}")
    if iterations < 0:
        raise ValueError(f"iterations must be ≥ 0 (0 = the preset's default), got {iterations}")


# Seeds are 32-bit, as NumPy's legacy ones; each crop or tile adds a small offset for its own net.
MAX_SEED = 2**32 - 1


def check_seed(seed: int) -> None:
    """Raise ``TypeError``/``ValueError`` unless ``seed`` is an int in 0 … :data:`MAX_SEED`."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be between 0 and {MAX_SEED}, got {seed}")
