"""The restoration engine: Deep Image Prior nets, energies, fit loop and presets.

Pure torch + numpy; it knows nothing of Qt, GIMP or files.
"""

from .defects import suggest_mask
from .denoise import DENOISE_PRESETS, denoise
from .device import describe_device, select_device
from .flash import FLASH_PRESETS, flash_no_flash
from .inpaint import InpaintSession, inpaint
from .jpeg import JPEG_PRESETS, remove_jpeg_artifacts
from .presets import PRESETS, Settings, get_preset
from .progress import Progress
from .superres import SR_PRESETS, super_resolve

__all__ = [
    "DENOISE_PRESETS",
    "FLASH_PRESETS",
    "JPEG_PRESETS",
    "PRESETS",
    "SR_PRESETS",
    "InpaintSession",
    "Progress",
    "Settings",
    "denoise",
    "describe_device",
    "flash_no_flash",
    "get_preset",
    "inpaint",
    "remove_jpeg_artifacts",
    "select_device",
    "suggest_mask",
    "super_resolve",
]
