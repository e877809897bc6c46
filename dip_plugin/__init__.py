"""dip_plugin: Deep Image Prior restoration for people who retouch images.

Example
-------
>>> from dip_plugin import inpaint  # doctest: +SKIP
>>> result = inpaint(image, mask, preset="fast")  # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = [
    "Progress",
    "__version__",
    "denoise",
    "flash_no_flash",
    "inpaint",
    "remove_jpeg_artifacts",
    "suggest_mask",
    "super_resolve",
]

_ENGINE_NAMES = ("inpaint", "denoise", "super_resolve", "remove_jpeg_artifacts", "flash_no_flash", "suggest_mask",
                 "Progress")


def __getattr__(name: str):
    # The engine imports torch, which takes a second or two; `dip --version` should not pay that.
    if name in _ENGINE_NAMES:
        from . import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'dip_plugin' has no attribute {name!r}")
