"""Choosing where the fit runs: CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import os

import torch

__all__ = ["describe_device", "select_device"]

_VALID = ("auto", "cpu", "cuda", "mps")


def select_device(device: str | torch.device = "auto") -> torch.device:
    """Resolve ``"auto"`` to CUDA > MPS > CPU; check that an explicit choice is available.

    Example
    -------
    >>> select_device("cpu")
    device(type='cpu')
    """
    if isinstance(device, torch.device):
        return device
    name = str(device).lower()
    if name not in _VALID and not name.startswith("cuda:"):
        raise ValueError(f"unknown device {device!r}; use one of {', '.join(_VALID)}")
    has_mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if has_mps:
            return torch.device("mps")
        name = "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was requested but no CUDA GPU is available; use --device auto or cpu")
    if name == "mps" and not has_mps:
        raise ValueError("device 'mps' was requested but Apple MPS is not available; use --device auto or cpu")
    if name == "cpu":
        _set_cpu_threads()
    return torch.device(name)


def _set_cpu_threads() -> None:
    """Use the physical cores available to this process (hyper-threads slow convolutions down)."""
    if os.environ.get("OMP_NUM_THREADS"):
        return
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        n = os.cpu_count() or 1
    torch.set_num_threads(max(1, n))


def describe_device(device: str | torch.device = "auto") -> str:
    """A short human description, e.g. ``"CUDA (NVIDIA H100)"`` or ``"CPU (8 threads)"``."""
    dev = select_device(device)
    if dev.type == "cuda":
        return f"CUDA ({torch.cuda.get_device_name(dev)})"
    if dev.type == "mps":
        return "MPS (Apple GPU)"
    return f"CPU ({torch.get_num_threads()} threads)"
