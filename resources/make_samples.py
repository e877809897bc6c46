"""Regenerate the bundled sample images and masks in this folder.

    python resources/make_samples.py

Every sample is made by ``dip_plugin.synthetic`` from a fixed seed; nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from dip_plugin.synthetic import damage, hole_mask, old_photo, scene

HERE = Path(__file__).resolve().parent


def _save(name: str, array: np.ndarray) -> None:
    if array.dtype == bool:
        data = array.astype(np.uint8) * 255
    else:
        data = np.clip(np.rint(array * 255), 0, 255).astype(np.uint8)
    Image.fromarray(data).save(HERE / name, optimize=True)
    print(f"wrote {HERE / name}")


def main() -> None:
    street = scene("street", 256, seed=3)
    damaged, hole = damage(street, hole_mask("text", 256, seed=3))
    _save("street_text.png", damaged)
    _save("street_text_mask.png", hole)

    photo, scratches = old_photo(256, seed=5)
    _save("old_photo.png", photo)
    _save("old_photo_mask.png", scratches)

    bricks = scene("bricks", 256, seed=7)
    obj = hole_mask("object", 256, seed=7)
    damaged, hole = damage(bricks, obj, color=(0.1, 0.6, 0.2), margin=2)
    _save("bricks_object.png", damaged)
    _save("bricks_object_mask.png", hole)

    fur = scene("fur", 256, seed=2)
    damaged, hole = damage(fur, hole_mask("scribble", 256, seed=2), color=(0.9, 0.1, 0.1))
    _save("fur_scribble.png", damaged)
    _save("fur_scribble_mask.png", hole)


if __name__ == "__main__":
    main()
