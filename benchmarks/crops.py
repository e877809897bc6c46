"""Real photographs for the benchmarks: where they come from, their credits, and 256×256 crops of them.

A source is ``"sk:NAME"`` (scikit-image's bundled ``data.NAME()``) or a file name in ``/usr/share/backgrounds``
(the Debian package ``lomiri-wallpapers-16.04``; licences from ``/usr/share/doc/lomiri-wallpapers-16.04/copyright``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageOps

WALLPAPERS = Path("/usr/share/backgrounds")
SOURCES = {  # source -> (credit, licence)
    "sk:astronaut": ("Eileen Collins, NASA; scikit-image `data.astronaut()`", "public domain"),
    "sk:coffee": ("Rachel Michetti (Pikolo Espresso Bar); scikit-image `data.coffee()`", "CC0"),
    "sk:brick": ("CC0Textures Bricks25; scikit-image `data.brick()`, grayscale", "CC0"),
    "sk:chelsea": ("Stefan van der Walt; scikit-image `data.chelsea()`", "CC0"),
    "friends_by_Aitzol_Berasategi.jpg": ("Aitzol Berasategi, 2018", "CC-BY-4.0"),
    "life_by_Aitzol_Berasategi.jpg": ("Aitzol Berasategi, 2018", "CC-BY-4.0"),
    "Picture_0B_by_freespace.jpg": ('Trevor "Freespace", 2018', "CC-BY-4.0"),
    "aitzgorri_by_Aitzol_Berasategi.jpg": ("Aitzol Berasategi, 2018", "CC-BY-4.0"),
    "Wine_by_Jakkub_Mede.jpg": ("Jakub Mede, 2018", "CC-BY-4.0"),
    "picosdeeuropa_by_Aitzol_Berasategi.jpg": ("Aitzol Berasategi, 2018", "CC-BY-4.0"),
    "Bridge_by_Sander_Klootwijk.jpg": ("Sander Klootwijk, 2018", "CC-BY-SA-4.0"),
    "Dragonfly_by_Bolly.jpg": ('"Bolly", 2018', "CC-BY-SA-4.0"),
}
SIDE = 256


class Crop(NamedTuple):
    split: str  # "tuning" (presets may be tuned on it) or "validation" (never tuned on)
    source: str  # a key of SOURCES
    width: int  # the photo is first resized to this width (Lanczos; the height keeps the aspect ratio)
    centre: tuple[float, float]  # the crop's centre, as fractions of the resized width and height


CROPS: dict[str, Crop] = {
    "astronaut": Crop("tuning", "sk:astronaut", 512, (0.35, 0.45)),
    "coffee": Crop("tuning", "sk:coffee", 600, (0.5, 0.5)),
    "chelsea": Crop("tuning", "sk:chelsea", 451, (0.5, 0.45)),
    "friends": Crop("tuning", "friends_by_Aitzol_Berasategi.jpg", 768, (0.5, 0.5)),
    "life": Crop("tuning", "life_by_Aitzol_Berasategi.jpg", 768, (0.4, 0.5)),
    "bridge": Crop("validation", "Bridge_by_Sander_Klootwijk.jpg", 768, (0.5, 0.5)),
    "dragonfly": Crop("validation", "Dragonfly_by_Bolly.jpg", 768, (0.5, 0.5)),
    "aitzgorri": Crop("validation", "aitzgorri_by_Aitzol_Berasategi.jpg", 768, (0.5, 0.6)),
    "wine": Crop("validation", "Wine_by_Jakkub_Mede.jpg", 768, (0.5, 0.5)),
    "picos": Crop("validation", "picosdeeuropa_by_Aitzol_Berasategi.jpg", 768, (0.5, 0.5)),
}


def wallpaper(source: str) -> Path:
    """The wallpaper's path; exits saying which package to install if it is missing."""
    if not (path := WALLPAPERS / source).exists():
        raise SystemExit(f"{path} is missing: apt-get install lomiri-wallpapers-16.04")
    return path


def open_photo(source: str) -> np.ndarray:
    """The whole photo, uint8 (H×W×3, or H×W for a gray one), EXIF orientation applied to wallpapers."""
    if source.startswith("sk:"):
        from skimage import data

        return getattr(data, source[3:])()
    with Image.open(wallpaper(source)) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def photo_crop(source: str, width: int, centre: tuple[float, float], side: int = SIDE) -> np.ndarray:
    """The photo resized to ``width`` (Lanczos), then a ``side``×``side`` RGB crop centred at ``centre``
    (fractions of the resized width and height), moved inside the image where it would stick out."""
    im = Image.fromarray(open_photo(source)).convert("RGB")
    height = round(im.height * width / im.width)
    if (width, height) != im.size:
        im = im.resize((width, height), Image.Resampling.LANCZOS)
    if min(width, height) < side:
        raise ValueError(f"{source} at width {width} is {width}×{height}, smaller than a {side}×{side} crop")
    x0 = min(max(round(centre[0] * width - side / 2), 0), width - side)
    y0 = min(max(round(centre[1] * height - side / 2), 0), height - side)
    return np.asarray(im.crop((x0, y0, x0 + side, y0 + side)))


@lru_cache(maxsize=32)
def load_crop(name: str, size: int = SIDE) -> np.ndarray:
    """The case's 256×256 crop (uint8 RGB); with ``size`` < 256 (smoke runs), that crop resized by Lanczos."""
    case = CROPS[name]
    crop = photo_crop(case.source, case.width, case.centre)
    if size != SIDE:
        crop = np.asarray(Image.fromarray(crop).resize((size, size), Image.Resampling.LANCZOS))
    crop.setflags(write=False)  # shared by every caller of the cache
    return crop

