"""Blind denoising: a classical estimate, refined by a Deep Image Prior fit of the noisy image.

The energy is ``‖f(z) − x₀‖²`` over all pixels.  A convolutional net reproduces image structure
long before it reproduces noise (Ulyanov, Vedaldi and Lempitsky, "Deep Image Prior", CVPR 2018,
§4), so the running average of its outputs, taken at the right moment, is a denoised image.  The
moment is found without a per-image iteration count: random single pixels are held out of the
energy and the average that predicts them best is kept (see :mod:`dip_plugin.engine._restore`).

From a random start that moment comes late on photos: thousands of steps, minutes per 256×256 tile
on a CPU.  ``fast`` and ``balanced`` therefore start from a classical estimate (two-stage DCT
shrinkage at the noise level estimated from the image, :mod:`dip_plugin.engine.dct`): ``fast``
returns it, ``balanced`` also fits a net that sees it as input and mixes the two as the held-out
pixels say.  ``quality`` and ``paper`` are the full fits from noise.
"""

from __future__ import annotations

import numpy as np
import torch

from ._restore import RestoreJob, TaskPreset, check_iterations, check_preset, run_tiled
from .device import select_device
from .nets import NetSpec
from .pixels import check_image_and_mask, to_pixels
from .presets import Settings, check_seed
from .progress import ProgressCallback, StopCallback

__all__ = ["DENOISE_PRESETS", "denoise"]


def _net(depth: int, width: tuple[int, ...], skip: int = 4) -> NetSpec:
    return NetSpec(input_depth=depth, down=width, up=width, skip=(skip,) * len(width))


# ``fast`` is the classical estimate alone (two-stage DCT shrinkage, dct.py): on the 256×256 photo
# crops of benchmarks/restoration.py a net fitted for 60 s on a 2-core CPU, seeing that estimate as
# input, added 0.0 to 0.3 dB to it, and a net from noise alone was still below non-local means
# after 800 steps (docs/restoration.md).  ``balanced`` adds that short guided fit, mixed with the
# estimate as the held-out pixels say; ``quality`` and ``paper`` are the full fits, for a GPU.
DENOISE_PRESETS: dict[str, TaskPreset] = {
    "fast": TaskPreset(
        Settings(net=_net(8, (16, 32, 64, 64, 64), skip=16), iterations=0, lr=0.01, patience=50, min_iterations=60),
        holdout_fraction=0.05,
        classical=True,
    ),
    "balanced": TaskPreset(
        Settings(net=_net(8, (16, 32, 64, 64, 64), skip=16), iterations=150, lr=0.01, patience=50, min_iterations=60),
        holdout_fraction=0.05,
        classical=True,
    ),
    "quality": TaskPreset(
        Settings(net=_net(32, (128,) * 5), iterations=4000, lr=0.01, patience=300, min_iterations=300),
        holdout_fraction=0.05,
        discrepancy=True,
    ),
    # Ulyanov et al. (2018), denoising: skip net, 5 levels x 128 channels, 4 skip channels,
    # bilinear upsampling, z ~ U(0, 0.1) with 32 channels, reg_noise_std 1/30, Adam lr 0.01,
    # 3000 iterations, output averaged with weight 0.99; no early stopping.
    "paper": TaskPreset(
        Settings(net=_net(32, (128,) * 5), iterations=3000, lr=0.01, reg_noise_std=1.0 / 30.0, ema=0.99,
                 early_stop=False),
        tile=512,
    ),
}


def denoise(
    image: np.ndarray,
    *,
    preset: str | Settings | TaskPreset = "balanced",
    iterations: int | None = None,
    seed: int = 0,
    device: str | torch.device = "auto",
    on_progress: ProgressCallback | None = None,
    should_stop: StopCallback | None = None,
) -> np.ndarray:
    """Remove noise from ``image`` with Deep Image Prior; the noise level need not be known.

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray, C in {1, 2, 3, 4}, uint8, uint16 or float32/64.
        A last channel of 4 (or 2) is alpha: passed through untouched; fully transparent
        pixels keep their colour and do not enter the fit.
    preset : ``"fast"``, ``"balanced"``, ``"quality"`` or ``"paper"`` (or a ``Settings``).
        All but ``"paper"`` stop by themselves (held-out pixels, and for ``"quality"`` the
        estimated noise level).
    iterations : most steps per tile; ``None`` or 0 uses the preset's.
    seed : seeds the net, its input and the held-out pixels; equal seeds give equal CPU results.
    device : ``"auto"`` (CUDA > MPS > CPU), ``"cpu"``, ``"cuda"`` or ``"mps"``.
    on_progress : called every few steps with a :class:`~dip_plugin.engine.progress.Progress`
        whose ``preview`` is the current result.
    should_stop : polled every step; when it returns True the best result so far is returned
        (tiles not reached yet keep the input).

    Returns
    -------
    ndarray with the shape and dtype of ``image``.

    Notes
    -----
    Images larger than the preset's tile (256 px a side) are done in overlapping tiles, so time
    grows with the pixel count.  On a 2-core CPU, per 256×256 pixels: about 2 s with ``"fast"``
    (the classical estimate; ``iterations`` > 0 adds a guided fit of that many steps), under a
    minute with ``"balanced"``, many minutes with ``"quality"`` (a GPU is much faster).

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> noisy = np.clip(128 + 25 * rng.standard_normal((32, 32, 3)), 0, 255).astype(np.uint8)
    >>> out = denoise(noisy, preset="fast", iterations=5, device="cpu")
    >>> out.shape, out.dtype
    ((32, 32, 3), dtype('uint8'))
    """
    check_image_and_mask(image)
    check_iterations(iterations)
    check_seed(seed)
    task = check_preset(preset, DENOISE_PRESETS, "denoising").with_iterations(iterations)
    dev = select_device(device)
    return restore_whole(image, task, seed=seed, device=dev, on_progress=on_progress, should_stop=should_stop)


def restore_whole(image: np.ndarray, task: TaskPreset, *, seed: int, device: torch.device,
                  on_progress: ProgressCallback | None, should_stop: StopCallback | None,
                  guide: np.ndarray | None = None) -> np.ndarray:
    """Fit ``image`` itself (energy ``‖f(z) − x₀‖²``), optionally with ``guide`` channels as input.

    Shared by denoising, JPEG artifact removal and flash/no-flash reconstruction.
    """
    pixels = to_pixels(image)
    usable = pixels.visible()
    if not usable.any():
        return image.copy()
    job = RestoreJob(observed=pixels.color, usable=usable, start=pixels.color, guide=guide)
    color = run_tiled(job, task, seed=seed, device=device, on_progress=on_progress, should_stop=should_stop,
                      to_image=pixels.to_image)
    color[~usable] = pixels.color[~usable]
    result = pixels.to_image(color)
    if pixels.alpha is not None:
        # Fully transparent pixels come back exactly as they were.
        result[~usable] = image[~usable]
    return result
