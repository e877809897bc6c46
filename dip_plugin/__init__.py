"""dip_plugin: Deep Image Prior restoration for people who retouch images.

Example
-------
>>> from dip_plugin import inpaint  # doctest: +SKIP
>>> result = inpaint(image, mask, preset="fast")  # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["Progress", "__version__", "denoise", "inpaint", "super_resolve"]


def __getattr__(name: str):
    # The engine imports torch, which takes a second or two; `dip --version` should not pay that.
    if name in ("inpaint", "denoise", "super_resolve", "Progress"):
        from . import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'dip_plugin' has no attribute {name!r}")
