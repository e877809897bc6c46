"""Make ``docs/images/before_after.png``: bundled samples before and after ``dip inpaint``.

    python docs/images/make_before_after.py [--preset balanced]

Each row: the damaged sample, the mask, the biharmonic fill (a classical method, for comparison)
and the Deep Image Prior result.  Nothing is downloaded: the samples are in ``resources/``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from dip_plugin import inpaint
from dip_plugin.engine.classical import smooth_fill
from dip_plugin.engine.resample import from_tensor, to_tensor
from dip_plugin.imageio import load_image, load_mask

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ("street_text", "fur_scribble", "bricks_object")


def _label(tile: np.ndarray, text: str) -> np.ndarray:
    img = Image.fromarray(tile)
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, 8 + 7 * len(text), 18], fill=(0, 0, 0))
    draw.text((4, 3), text, fill=(255, 255, 255))
    return np.asarray(img)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="balanced")
    args = parser.parse_args()
    rows = []
    for name in SAMPLES:
        image = load_image(ROOT / "resources" / f"{name}.png").pixels
        mask = load_mask(ROOT / "resources" / f"{name}_mask.png", image.shape[:2])
        start = time.perf_counter()
        result = inpaint(image, mask, preset=args.preset, seed=0)
        print(f"{name}: {time.perf_counter() - start:.0f} s")
        known = to_tensor(~mask)
        smooth = from_tensor(smooth_fill(to_tensor(image.astype(np.float32) / 255) * known, known))
        smooth = np.clip(np.rint(smooth * 255), 0, 255).astype(np.uint8)
        shown_mask = np.repeat((mask * 255).astype(np.uint8)[..., None], 3, axis=-1)
        tiles = [
            _label(image, "damaged"),
            _label(shown_mask, "mask"),
            _label(smooth, "biharmonic fill"),
            _label(result, f"dip inpaint ({args.preset})"),
        ]
        rows.append(np.concatenate(tiles, axis=1))
    out = Path(__file__).with_name("before_after.png")
    Image.fromarray(np.concatenate(rows, axis=0)).save(out, optimize=True)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
