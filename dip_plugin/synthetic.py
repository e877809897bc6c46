"""Generated test scenes and masks.

The project ships no downloaded data: tests, benchmarks and the bundled samples in
``resources/`` are made by this module from a seed.  Scenes are photo-like RGB float images in
``[0, 1]`` (shape ``(H, W, 3)``); masks are boolean ``(H, W)`` arrays, True where pixels are
missing.

Example
-------
>>> img = scene("bricks", 64, seed=1)
>>> img.shape, img.dtype
((64, 64, 3), dtype('float32'))
>>> m = hole_mask("object", 64, seed=1)
>>> bool(0.01 < m.mean() < 0.3)
True
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

__all__ = ["MASKS", "SCENES", "damage", "hole_mask", "old_photo", "scene"]

SCENES = ("bricks", "fur", "foliage", "face", "sky", "weave", "street")
MASKS = ("scribble", "thin", "text", "object", "dense50")


def _smooth_noise(rng: np.random.Generator, size: int, scale: int, channels: int = 1) -> np.ndarray:
    """Band-limited noise in [0, 1]: random values on a coarse grid, bicubically upscaled."""
    coarse = max(2, size // scale)
    out = []
    for _ in range(channels):
        grid = (rng.random((coarse, coarse)) * 255).astype(np.uint8)
        big = Image.fromarray(grid).resize((size, size), Image.BICUBIC)
        out.append(np.asarray(big, np.float32) / 255)
    return np.stack(out, -1)


def _lighting(rng: np.random.Generator, size: int) -> np.ndarray:
    """A soft light falloff, as from a lamp off to one side."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    cx, cy = rng.uniform(-0.2, 1.2, 2)
    d = np.sqrt((x - cx) ** 2 + (y - cy) ** 2)
    return (1.05 - 0.35 * d)[..., None]


def _bricks(rng: np.random.Generator, size: int) -> np.ndarray:
    img = np.zeros((size, size, 3), np.float32)
    mortar = np.array([0.72, 0.70, 0.66], np.float32)
    img[:] = mortar
    bh = max(4, size // 12)
    bw = bh * 2 + bh // 2
    gap = max(1, bh // 6)
    for row, y0 in enumerate(range(0, size, bh)):
        shift = (bw // 2) * (row % 2)
        for x0 in range(-shift, size, bw):
            base = np.array([0.62, 0.28, 0.18]) + rng.normal(0, 0.05, 3)
            ys, xs = slice(y0 + gap, min(size, y0 + bh)), slice(max(0, x0 + gap), max(0, min(size, x0 + bw)))
            img[ys, xs] = np.clip(base, 0, 1)
    grain = _smooth_noise(rng, size, 2) - 0.5
    return np.clip(img * _lighting(rng, size) + 0.12 * grain, 0, 1)


def _weave(rng: np.random.Generator, size: int) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    period = rng.uniform(7, 11)
    a = np.sin(2 * np.pi * x / period)
    b = np.sin(2 * np.pi * y / period)
    over = (np.floor(x / period) + np.floor(y / period)) % 2
    v = np.where(over > 0, 0.5 + 0.4 * a, 0.5 + 0.4 * b)
    c1 = np.array([0.2, 0.35, 0.6], np.float32)
    c2 = np.array([0.85, 0.8, 0.6], np.float32)
    img = c1 * (1 - v[..., None]) + c2 * v[..., None]
    return np.clip(img * _lighting(rng, size) + 0.05 * (_smooth_noise(rng, size, 1) - 0.5), 0, 1)


def _fur(rng: np.random.Generator, size: int) -> np.ndarray:
    base = np.array([0.55, 0.38, 0.2]) + rng.normal(0, 0.04, 3)
    canvas = Image.new("RGB", (size, size), tuple(int(255 * c * 0.6) for c in base))
    draw = ImageDraw.Draw(canvas)
    flow = _smooth_noise(rng, size, max(8, size // 4))[..., 0] * math.pi * 1.5
    for _ in range(size * size // 12):
        x, y = rng.uniform(0, size, 2)
        ang = flow[int(y) % size, int(x) % size] + rng.normal(0, 0.15)
        length = rng.uniform(4, 9) * size / 128
        shade = np.clip(base * rng.uniform(0.5, 1.5), 0, 1)
        draw.line(
            [(x, y), (x + length * math.cos(ang), y + length * math.sin(ang))],
            fill=tuple(int(255 * c) for c in shade),
            width=1,
        )
    img = np.asarray(canvas, np.float32) / 255
    return np.clip(img * _lighting(rng, size), 0, 1)


def _foliage(rng: np.random.Generator, size: int) -> np.ndarray:
    canvas = Image.new("RGB", (size, size), (30, 55, 25))
    draw = ImageDraw.Draw(canvas)
    for _ in range(size * size // 60):
        x, y = rng.uniform(-8, size + 8, 2)
        r = rng.uniform(3, 8) * size / 128
        green = np.clip(np.array([0.2, 0.45, 0.15]) * rng.uniform(0.5, 1.6) + rng.normal(0, 0.04, 3), 0, 1)
        ang = rng.uniform(0, math.pi)
        pts = [
            (x + r * math.cos(ang + t) * (1.0 if k % 2 == 0 else 0.45),
             y + r * math.sin(ang + t) * (1.0 if k % 2 == 0 else 0.45))
            for k, t in enumerate(np.linspace(0, 2 * math.pi, 9)[:-1])
        ]
        draw.polygon(pts, fill=tuple(int(255 * c) for c in green))
    img = np.asarray(canvas.filter(ImageFilter.GaussianBlur(0.6)), np.float32) / 255
    return np.clip(img * _lighting(rng, size), 0, 1)


def _face(rng: np.random.Generator, size: int) -> np.ndarray:
    s = size / 256
    bg = np.array([0.45, 0.55, 0.65]) + rng.normal(0, 0.03, 3)
    canvas = Image.new("RGB", (size, size), tuple(int(255 * c) for c in bg))
    d = ImageDraw.Draw(canvas)
    skin = tuple(int(255 * c) for c in np.clip(np.array([0.86, 0.67, 0.55]) + rng.normal(0, 0.03, 3), 0, 1))
    hair = (60, 40, 25)
    d.ellipse([60 * s, 20 * s, 196 * s, 170 * s], fill=hair)
    d.ellipse([70 * s, 40 * s, 186 * s, 210 * s], fill=skin)
    d.rectangle([108 * s, 190 * s, 148 * s, 256 * s], fill=skin)
    d.ellipse([40 * s, 225 * s, 216 * s, 330 * s], fill=(90, 60, 110))
    for ex in (98, 158):
        d.ellipse([(ex - 13) * s, 100 * s, (ex + 13) * s, 116 * s], fill=(245, 245, 240))
        d.ellipse([(ex - 6) * s, 101 * s, (ex + 6) * s, 115 * s], fill=(70, 50, 30))
        d.line([(ex - 16) * s, 90 * s, (ex + 14) * s, 86 * s], fill=(70, 45, 30), width=max(1, int(4 * s)))
    d.line([128 * s, 112 * s, 122 * s, 148 * s, 132 * s, 152 * s], fill=(170, 110, 90), width=max(1, int(3 * s)))
    d.chord([103 * s, 160 * s, 153 * s, 185 * s], 0, 180, fill=(170, 70, 70))
    img = np.asarray(canvas.filter(ImageFilter.GaussianBlur(1.5 * s)), np.float32) / 255
    shade = 0.08 * (_smooth_noise(rng, size, max(4, size // 8)) - 0.5)
    return np.clip(img * _lighting(rng, size) + shade + 0.01 * rng.normal(size=img.shape), 0, 1).astype(np.float32)


def _sky(rng: np.random.Generator, size: int) -> np.ndarray:
    y = np.linspace(0, 1, size, dtype=np.float32)[:, None, None]
    top = np.array([0.25, 0.45, 0.8], np.float32)
    bottom = np.array([0.75, 0.85, 0.95], np.float32)
    img = top * (1 - y) + bottom * y + np.zeros((1, size, 1), np.float32)
    clouds = _smooth_noise(rng, size, max(8, size // 6))
    clouds = np.clip((clouds - 0.55) * 3, 0, 1)
    img = img * (1 - 0.7 * clouds) + 0.97 * 0.7 * clouds
    return np.clip(img, 0, 1).astype(np.float32)


def _street(rng: np.random.Generator, size: int) -> np.ndarray:
    """Buildings with windows against a sky: straight edges, flat areas, repeated structure."""
    img = _sky(rng, size)
    canvas = Image.fromarray((img * 255).astype(np.uint8))
    d = ImageDraw.Draw(canvas)
    x = 0
    while x < size:
        w = int(rng.uniform(0.2, 0.35) * size)
        top = int(rng.uniform(0.15, 0.5) * size)
        wall = tuple(int(255 * c) for c in np.clip(rng.uniform(0.35, 0.8, 3), 0, 1))
        d.rectangle([x, top, x + w, size], fill=wall)
        step = max(6, size // 20)
        for wy in range(top + step // 2, size - step, step):
            for wx in range(x + step // 2, x + w - step // 2, step):
                d.rectangle([wx, wy, wx + step // 2, wy + step // 2], fill=(40, 50, 70))
        x += w
    out = np.asarray(canvas, np.float32) / 255
    return np.clip(out * _lighting(rng, size) + 0.02 * (_smooth_noise(rng, size, 1) - 0.5), 0, 1)


_SCENE_MAKERS = {
    "bricks": _bricks,
    "fur": _fur,
    "foliage": _foliage,
    "face": _face,
    "sky": _sky,
    "weave": _weave,
    "street": _street,
}


def scene(name: str, size: int = 256, *, seed: int = 0) -> np.ndarray:
    """A generated photo-like scene, ``(size, size, 3)`` float32 in ``[0, 1]``.

    ``name`` is one of :data:`SCENES`: regular textures (``bricks``, ``weave``), fur,
    foliage, a face, a smooth sky, a street with windows.
    """
    if name not in _SCENE_MAKERS:
        raise ValueError(f"unknown scene {name!r}; choose one of {', '.join(SCENES)}")
    rng = np.random.default_rng(seed)
    return _SCENE_MAKERS[name](rng, size).astype(np.float32)


def _font(px: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=px)
    except TypeError:  # Pillow without FreeType
        return ImageFont.load_default()


def _draw_mask(size: int, paint) -> np.ndarray:
    canvas = Image.new("L", (size, size), 0)
    paint(ImageDraw.Draw(canvas))
    return np.asarray(canvas) > 127


def hole_mask(kind: str, size: int = 256, *, seed: int = 0) -> np.ndarray:
    """A generated hole mask, ``(size, size)`` bool, True = missing.

    ``kind`` is one of :data:`MASKS`: ``scribble`` (thick random strokes), ``thin`` (1–2 px
    scratches), ``text`` (a caption over the picture), ``object`` (one object-sized blob),
    ``dense50`` (half of all pixels missing at random, the paper's Table 1 setting).
    """
    rng = np.random.default_rng(seed + 1000)
    s = size / 256
    if kind == "scribble":
        def paint(d):
            for _ in range(5):
                pts = [tuple(rng.uniform(0.1, 0.9, 2) * size)]
                for _ in range(4):
                    pts.append(tuple(np.clip(np.array(pts[-1]) + rng.normal(0, 45 * s, 2), 0, size)))
                d.line(pts, fill=255, width=max(2, int(8 * s)), joint="curve")
        return _draw_mask(size, paint)
    if kind == "thin":
        def paint(d):
            for _ in range(7):
                x0, y0 = rng.uniform(0, size, 2)
                ang = rng.uniform(0, math.pi)
                length = rng.uniform(0.3, 0.9) * size
                d.line([x0, y0, x0 + length * math.cos(ang), y0 + length * math.sin(ang)], fill=255,
                       width=int(rng.integers(1, 3)))
        return _draw_mask(size, paint)
    if kind == "text":
        words = ["Summer 1987", "COPYRIGHT", "sample text", "hello world", "DIP"]
        def paint(d):
            font = _font(max(8, int(30 * s)))
            for i, y in enumerate(np.linspace(0.12, 0.78, 4) * size):
                d.text((rng.uniform(0.03, 0.3) * size, y), words[(i + seed) % len(words)], fill=255, font=font,
                       stroke_width=max(1, int(1 * s)), stroke_fill=255)
        return _draw_mask(size, paint)
    if kind == "object":
        def paint(d):
            cx, cy = rng.uniform(0.35, 0.65, 2) * size
            r = 0.14 * size
            pts = [
                (cx + r * rng.uniform(0.75, 1.25) * math.cos(t), cy + r * rng.uniform(0.75, 1.25) * math.sin(t))
                for t in np.linspace(0, 2 * math.pi, 12)[:-1]
            ]
            d.polygon(pts, fill=255)
        return _draw_mask(size, paint)
    if kind == "dense50":
        return rng.random((size, size)) < 0.5
    raise ValueError(f"unknown mask kind {kind!r}; choose one of {', '.join(MASKS)}")


def old_photo(size: int = 256, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """An "old photo" (sepia, grain, faded) with scratches and dust; returns ``(image, defect_mask)``.

    The image is ``(size, size)`` float32 gray in ``[0, 1]``; the mask marks the scratches.
    """
    rng = np.random.default_rng(seed)
    gray = _face(rng, size).mean(-1)
    gray = 0.15 + 0.7 * gray + 0.03 * rng.normal(size=gray.shape)
    canvas = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(canvas)
    for _ in range(6):
        x = rng.uniform(0, size)
        d.line([x, 0, x + rng.normal(0, 0.08 * size), size], fill=255, width=int(rng.integers(1, 3)))
    for _ in range(25):
        x, y = rng.uniform(0, size, 2)
        r = rng.uniform(0.6, 2.2)
        d.ellipse([x - r, y - r, x + r, y + r], fill=255)
    mask = np.asarray(canvas) > 127
    bright = rng.random(mask.shape) < 0.7
    damaged = np.where(mask, np.where(bright, 0.95, 0.05), gray)
    return np.clip(damaged, 0, 1).astype(np.float32), mask


def damage(image: np.ndarray, mask: np.ndarray, *, color: tuple[float, ...] = (1.0, 1.0, 1.0),
           margin: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Paint ``mask`` over ``image`` in ``color`` (e.g. a caption) and return ``(damaged, hole)``.

    ``hole`` is ``mask`` grown by ``margin`` pixels, as a user would paint it: a little larger than
    the damage, so that anti-aliased edges are covered too.

    Example
    -------
    >>> img = scene("sky", 32); m = hole_mask("text", 32)
    >>> damaged, hole = damage(img, m)
    >>> bool((damaged[m] == 1.0).all()), bool(hole[m].all()), int(hole.sum()) >= int(m.sum())
    (True, True, True)
    """
    damaged = image.copy()
    damaged[mask] = np.asarray(color, image.dtype)[: image.shape[-1]] if image.ndim == 3 else color[0]
    hole = mask.copy()
    if margin > 0:
        grown = Image.fromarray(mask.astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(2 * margin + 1))
        hole = np.asarray(grown) > 127
    return damaged, hole
