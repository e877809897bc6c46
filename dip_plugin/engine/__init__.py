"""The restoration engine: Deep Image Prior nets, energies, fit loop and presets.

Pure torch + numpy; it knows nothing of Qt, GIMP or files.
"""

from .device import describe_device, select_device
from .inpaint import InpaintSession, inpaint
from .presets import PRESETS, Settings, get_preset
from .progress import Progress

__all__ = ["PRESETS", "InpaintSession", "Progress", "Settings", "describe_device", "get_preset", "inpaint", "select_device"]
