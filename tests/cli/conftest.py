"""Fixtures for the ``dip`` command's tests."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import dip_plugin


@pytest.fixture
def locked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder whose contents cannot be looked at, as without search permission (``chmod 644``), also
    when the tests run as root: ``os.stat`` of anything inside raises ``PermissionError``."""
    folder = tmp_path / "locked"
    folder.mkdir()
    real_stat = os.stat

    def stat(path, *args, **kwargs):
        if isinstance(path, (str, os.PathLike)) and os.fspath(path).startswith(str(folder) + os.sep):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    return folder


def fill_with_mean(image: np.ndarray, mask: np.ndarray, **_: Any) -> np.ndarray:
    """A stand-in for :func:`dip_plugin.inpaint` that keeps its contract (same shape and dtype, pixels outside
    the holes unchanged, alpha untouched) without a fit: the holes get the mean colour of the known pixels."""
    out = image.copy()
    planes = out[..., None] if out.ndim == 2 else out
    colour = planes.shape[-1] - (1 if planes.shape[-1] in (2, 4) else 0)
    for c in range(colour):
        plane = planes[..., c]
        plane[mask] = plane[~mask].astype(np.float64).mean().astype(out.dtype)
    return out


@pytest.fixture
def stand_in_inpaint(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, ...]]:
    """Replace the engine's inpaint by :func:`fill_with_mean` for the command; returns the shapes it was
    called with (empty when the command stopped before the fit)."""
    calls: list[tuple[int, ...]] = []

    def fake(image: np.ndarray, mask: np.ndarray, *, on_progress: Callable[..., Any] | None = None,
             **kwargs: Any) -> np.ndarray:
        calls.append(image.shape)
        return fill_with_mean(image, mask)

    monkeypatch.setattr(dip_plugin, "inpaint", fake, raising=False)
    return calls
