"""JPEG artifact removal: blind restoration of a compressed image with Deep Image Prior.

Like denoising, the net fits the compressed image itself (energy ``‖f(z) − x₀‖²``) and its running
average is taken before it reproduces the blocks and ringing (Ulyanov, Vedaldi and Lempitsky,
"Deep Image Prior", CVPR 2018, Fig. 1: "blind restoration of a JPEG-compressed image").  JPEG
errors are not independent from pixel to pixel (they come in 8×8 blocks), so held-out pixels give
no honest stopping signal; the presets stop after a number of steps chosen by measurement on
generated scenes (``benchmarks/restoration.py``).
"""

from __future__ import annotations

import numpy as np
import torch

from ._restore import TaskPreset, check_iterations, check_preset
from .denoise import restore_whole
from .device import select_device
from .nets import NetSpec
from .pixels import check_image_and_mask
from .presets import Settings, check_seed
from .progress import ProgressCallback, StopCallback

__all__ = ["JPEG_PRESETS", "remove_jpeg_artifacts"]


def _net(depth: int, width: tuple[int, ...]) -> NetSpec:
    return NetSpec(input_depth=depth, down=width, up=width, skip=(4,) * len(width))


# JPEG errors come in 8×8 blocks, so held-out pixels (single ones or whole blocks) keep improving
# long after the result has started to pick up the blocks: a fixed number of steps is used instead.
# On generated scenes at quality 10-30 the averaged output was best after 500-600 steps with the
# "fast" and "balanced" nets, and lost little in the next few hundred.
JPEG_PRESETS: dict[str, TaskPreset] = {
    "fast": TaskPreset(Settings(net=_net(8, (16, 32, 64, 64, 64)), iterations=600, lr=0.01, early_stop=False)),
    "balanced": TaskPreset(Settings(net=_net(16, (32, 64, 64, 128, 128)), iterations=600, lr=0.01, early_stop=False)),
    "quality": TaskPreset(Settings(net=_net(32, (128,) * 5), iterations=600, lr=0.01, early_stop=False)),
    # Ulyanov et al. (2018), JPEG: the denoising setup (skip net, 5 x 128 channels), stopped at
    # 2400 iterations as in the paper's figure.
    "paper": TaskPreset(
        Settings(net=_net(32, (128,) * 5), iterations=2400, lr=0.01, reg_noise_std=1.0 / 30.0, ema=0.99,
                 early_stop=False),
        tile=512,
    ),
}


def remove_jpeg_artifacts(
    image: np.ndarray,
    *,
    preset: str | Settings | TaskPreset = "balanced",
    iterations: int | None = None,
    seed: int = 0,
    device: str | torch.device = "auto",
    on_progress: ProgressCallback | None = None,
    should_stop: StopCallback | None = None,
) -> np.ndarray:
    """Remove JPEG blocking and ringing from ``image`` (already decoded) with Deep Image Prior.

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray, C in {1, 2, 3, 4}, uint8, uint16 or float32/64.
        A last channel of 4 (or 2) is alpha: passed through untouched.
    preset : ``"fast"``, ``"balanced"``, ``"quality"`` or ``"paper"`` (or a ``Settings``).
    iterations : most steps per tile; ``None`` or 0 uses the preset's.
    seed : seeds the net, its input and the held-out pixels; equal seeds give equal CPU results.
    device : ``"auto"`` (CUDA > MPS > CPU), ``"cpu"``, ``"cuda"`` or ``"mps"``.
    on_progress : called every few steps with a :class:`~dip_plugin.engine.progress.Progress`
        whose ``preview`` is the current result.
    should_stop : polled every step; when it returns True the best result so far is returned.

    Returns
    -------
    ndarray with the shape and dtype of ``image``.

    Example
    -------
    >>> img = np.zeros((32, 32, 3), np.uint8); img[:, 16:] = 200
    >>> out = remove_jpeg_artifacts(img, preset="fast", iterations=5, device="cpu")
    >>> out.shape, out.dtype
    ((32, 32, 3), dtype('uint8'))
    """
    check_image_and_mask(image)
    check_iterations(iterations)
    check_seed(seed)
    task = check_preset(preset, JPEG_PRESETS, "JPEG").with_iterations(iterations)
    dev = select_device(device)
    return restore_whole(image, task, seed=seed, device=dev, on_progress=on_progress, should_stop=should_stop)
