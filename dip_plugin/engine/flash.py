"""Flash/no-flash reconstruction: the no-flash photo's light, the flash photo's clean detail.

A photo taken without flash has the scene's natural light but is noisy; one taken with flash is
clean but lit harshly.  The net gets the flash photo as (part of) its input and is fitted to the
no-flash photo (energy ``‖f(z, flash) − x_noflash‖²``): structure is cheap to take from its input,
noise is not in it, so the fit reproduces the no-flash colours with the flash photo's detail
(Ulyanov, Vedaldi and Lempitsky, "Deep Image Prior", CVPR 2018, §4, "Flash-no flash
reconstruction").  Stopping works as for denoising.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from ._restore import TaskPreset, check_iterations, check_preset
from .denoise import DENOISE_PRESETS, restore_whole
from .device import select_device
from .nets import NetSpec
from .pixels import check_image_and_mask, to_pixels
from .presets import Settings, check_seed
from .progress import ProgressCallback, StopCallback

__all__ = ["FLASH_PRESETS", "flash_no_flash"]

def _net(depth: int, width: tuple[int, ...]) -> NetSpec:
    return NetSpec(input_depth=depth, down=width, up=width, skip=(4,) * len(width))


# The flash photo is the net's input, so these are full fits stopped by held-out pixels and the
# noise level, as the ``quality`` denoising preset is (not the classical estimate of ``fast``).
FLASH_PRESETS: dict[str, TaskPreset] = {
    "fast": TaskPreset(
        Settings(net=_net(8, (16, 32, 64, 64, 64)), iterations=2000, lr=0.01, patience=200, min_iterations=200),
        holdout_fraction=0.05,
        discrepancy=True,
    ),
    "balanced": TaskPreset(
        Settings(net=_net(16, (32, 64, 64, 128, 128)), iterations=2000, lr=0.01, patience=250, min_iterations=200),
        holdout_fraction=0.05,
        discrepancy=True,
    ),
    "quality": replace(DENOISE_PRESETS["quality"],
                       settings=replace(DENOISE_PRESETS["quality"].settings, iterations=2000)),
}
# Ulyanov et al. (2018), flash/no-flash: the denoising net with the flash photo as its input,
# fitted to the no-flash photo for a fixed number of steps; no early stopping.
FLASH_PRESETS["paper"] = TaskPreset(
    Settings(net=NetSpec(input_depth=32, down=(128,) * 5, up=(128,) * 5, skip=(4,) * 5), iterations=1000,
             lr=0.01, reg_noise_std=1.0 / 30.0, ema=0.99, early_stop=False),
    tile=512,
)


def flash_no_flash(
    flash: np.ndarray,
    no_flash: np.ndarray,
    *,
    preset: str | Settings | TaskPreset = "balanced",
    iterations: int | None = None,
    seed: int = 0,
    device: str | torch.device = "auto",
    on_progress: ProgressCallback | None = None,
    should_stop: StopCallback | None = None,
) -> np.ndarray:
    """Combine a flash and a no-flash photo of the same scene: no-flash light, flash detail.

    Parameters
    ----------
    flash : (H, W) or (H, W, C) ndarray, the photo taken with flash (any supported dtype; gray
        or colour; its alpha is ignored).  It must be aligned with ``no_flash``.
    no_flash : (H, W) or (H, W, C) ndarray, the noisy photo taken without flash; the result has
        its shape, dtype and alpha.
    preset : ``"fast"``, ``"balanced"``, ``"quality"`` or ``"paper"`` (or a ``Settings``).
    iterations : most steps per tile; ``None`` or 0 uses the preset's.
    seed : seeds the net, its input and the held-out pixels; equal seeds give equal CPU results.
    device : ``"auto"`` (CUDA > MPS > CPU), ``"cpu"``, ``"cuda"`` or ``"mps"``.
    on_progress : called every few steps with a :class:`~dip_plugin.engine.progress.Progress`
        whose ``preview`` is the current result.
    should_stop : polled every step; when it returns True the best result so far is returned.

    Returns
    -------
    ndarray with the shape and dtype of ``no_flash``.

    Example
    -------
    >>> flash = np.zeros((32, 32, 3), np.uint8); flash[:, 16:] = 250
    >>> dark = (flash // 4).astype(np.uint8)
    >>> out = flash_no_flash(flash, dark, preset="fast", iterations=5, device="cpu")
    >>> out.shape, out.dtype
    ((32, 32, 3), dtype('uint8'))
    """
    for name, arr in (("flash", flash), ("no_flash", no_flash)):
        try:
            check_image_and_mask(arr)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{name}: {exc}") from None
    if flash.shape[:2] != no_flash.shape[:2]:
        raise ValueError(
            f"flash and no_flash must have the same height×width; got {flash.shape[:2]} and {no_flash.shape[:2]}"
        )
    check_iterations(iterations)
    check_seed(seed)
    task = check_preset(preset, FLASH_PRESETS, "flash/no-flash").with_iterations(iterations)
    dev = select_device(device)
    guide = to_pixels(flash).color
    return restore_whole(no_flash, task, seed=seed, device=dev, on_progress=on_progress, should_stop=should_stop,
                         guide=guide)
