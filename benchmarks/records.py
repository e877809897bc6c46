"""What the photo benchmarks share: their JSON of records (merged run by run), the environment, markdown tables.

A benchmark keeps its raw results as ``{"environment": {...}, "records": [...]}`` in a JSON file beside its
markdown report.  A run may redo only some of the records: :func:`merge` replaces those with the same key and
keeps the rest, so a partial rerun updates only its rows, and the markdown can be rewritten from the JSON alone.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Callable, Hashable, Iterable
from datetime import date
from pathlib import Path

import numpy as np
from PIL import Image


def load_json(path: Path) -> dict:
    """The JSON's contents, or an empty set of records if there is none yet."""
    return json.loads(path.read_text()) if path.exists() else {"records": []}


def save_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))


def merge(records: list[dict], new: Iterable[dict], key: Callable[[dict], Hashable]) -> list[dict]:
    """``records`` with every record of ``new`` in place of those with the same ``key`` (new ones last)."""
    new = list(new)
    replaced = {key(r) for r in new}
    return [r for r in records if key(r) not in replaced] + new


def cpu_model() -> str:
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        info = ""
    found = (ln.split(":", 1)[1].strip() for ln in info.splitlines() if ln.startswith("model name"))
    return next(found, platform.processor() or platform.machine() or "?")


def environment(**extra: str) -> dict:
    """Date, machine and versions of what the benchmarks use (plus ``extra``)."""
    import skimage
    import torch

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"date": date.today().isoformat(), "python": platform.python_version(), "torch": torch.__version__,
            "cuda": torch.cuda.is_available(), "numpy": np.__version__, "skimage": skimage.__version__,
            "pillow": Image.__version__, "cpu": cpu_model(), "cpu_count": cores,
            "system": f"{platform.system()} {platform.release()}", **extra}


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A markdown table, and the blank line after it."""
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *("| " + " | ".join(r) + " |" for r in rows),
            ""]
