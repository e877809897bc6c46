"""The bridge between GIMP 3 and the engine.

``dip-inpaint.py`` is the plug-in file GIMP runs in its own Python (no numpy, no torch);
:mod:`.install` copies it into a GIMP profile and records this Python; :mod:`.worker` is what the plug-in
starts with that Python to do the work.  Nothing here imports torch or Qt at import time.
"""

from __future__ import annotations

__all__ = ["install", "worker"]
