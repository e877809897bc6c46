"""pytest setup for the GIMP tests: the ``gimp_available`` fixture (see ``gimp_chroot.py``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from gimp_chroot import gimp_root, gimp_unavailable

collect_ignore = ["gimp_driver.py"]  # runs inside GIMP only


@pytest.fixture(scope="session")
def gimp_available() -> Path:
    """The chroot; skips (or fails with ``DIP_REQUIRE_GIMP=1``) when GIMP cannot run."""
    reason = gimp_unavailable()
    if reason is not None:
        if os.environ.get("DIP_REQUIRE_GIMP") == "1":
            pytest.fail(f"DIP_REQUIRE_GIMP=1 but {reason}")
        pytest.skip(reason)
    return gimp_root()
