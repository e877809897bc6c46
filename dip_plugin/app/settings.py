"""Where the app keeps its settings (last folder, preset, brush size, window geometry, recent files)."""

from __future__ import annotations

from PyQt6.QtCore import QSettings

__all__ = ["APPLICATION", "ORGANIZATION", "app_settings"]

ORGANIZATION = "dip_plugin"
APPLICATION = "dip-app"


def app_settings() -> QSettings:
    """The app's settings: an INI file in the user's configuration folder (``QSettings.setPath`` moves it).

    Example
    -------
    >>> app_settings().applicationName()
    'dip-app'
    """
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)
