"""Small generated textures the engine tests share."""

from __future__ import annotations

import numpy as np


def streaks(size: int = 64, seed: int = 0, length: int = 17) -> np.ndarray:
    """Random streaks ``length`` pixels long running down and to the right (like combed fur):
    ``(size, size, 3)`` float32, about 0.5 ± 0.3."""
    rng = np.random.default_rng(seed)
    pad = length
    noise = rng.random((size + 2 * pad, size + 2 * pad, 3)).astype(np.float32)
    half = length // 2
    out = sum(np.roll(noise, (t, t), axis=(0, 1)) for t in range(-half, half + 1)) / (2 * half + 1)
    out = out[pad : pad + size, pad : pad + size]
    return np.clip((out - out.mean()) * 3 + 0.5, 0, 1).astype(np.float32)
