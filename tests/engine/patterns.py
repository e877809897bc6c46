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


def weave(size: int = 64) -> np.ndarray:
    """A colour pattern that repeats every 6 pixels across and 4 down: ``(size, size, 3)`` float32."""
    y, x = np.mgrid[:size, :size]
    r = ((x % 6) < 3) * 0.6 + 0.2
    g = ((y % 4) < 2) * 0.5 + 0.25
    b = (((x + y) % 6) < 2) * 0.4 + 0.3
    return np.stack([r, g, b], -1).astype(np.float32)
