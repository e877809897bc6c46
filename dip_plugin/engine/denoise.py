"""Blind denoising: fit the noisy image itself and stop before the net reproduces the noise.

The energy is ``‖f(z) − x₀‖²`` over all pixels.  A convolutional net reproduces image structure
long before it reproduces noise (Ulyanov, Vedaldi and Lempitsky, "Deep Image Prior", CVPR 2018,
§4), so the running average of its outputs, taken at the right moment, is a denoised image.  The
moment is found without a per-image iteration count: random single pixels are held out of the
energy and the average that predicts them best is kept, and the fit runs at least until its
residual has come down to the noise level estimated from the image (see
:mod:`dip_plugin.engine._restore`).
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


DENOISE_PRESETS: dict[str, TaskPreset] = {
    "fast": TaskPreset(
        Settings(net=_net(8, (16, 32, 64, 64, 64)), iterations=2000, lr=0.01, patience=200, min_iterations=200),
        holdout_fraction=0.05,
        discrepancy=True,
    ),
    "balanced": TaskPreset(
        Settings(net=_net(16, (32, 64, 64, 128, 128)), iterations=3000, lr=0.01, patience=250, min_iterations=200),
        holdout_fraction=0.05,
        discrepancy=True,
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
        All but ``"paper"`` stop by themselves (held-out pixels and the estimated noise level).
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
    Images larger than the preset's tile (256 px a side) are fitted in overlapping tiles, so time
    grows with the pixel count: on a CPU, about a minute or two per 128×128 pixels with
    ``"fast"``; a GPU is much faster.

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
