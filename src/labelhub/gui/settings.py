"""What the window remembers between runs: recent projects, who signed in where, geometry.

Everything goes through one QSettings object (organisation "LabelHub", application "LabelHub")
that callers may replace, so tests keep their settings in a temporary file.
"""

from __future__ import annotations

import json
from pathlib import Path

import platformdirs
from PySide6.QtCore import QByteArray, QSettings

ORGANISATION = "LabelHub"
APPLICATION = "LabelHub"
MAX_RECENT = 10

_RECENT_KEY = "projects/recent"
_MEMBERS_KEY = "projects/members"
_LOCATION_KEY = "projects/last_location"
_GEOMETRY_KEY = "window/geometry"
_STATE_KEY = "window/state"


def project_key(path: Path | str) -> str:
    """The stable text used to remember a project: its absolute folder."""
    folder = Path(path).expanduser()
    if folder.name == "project.labelhub":
        folder = folder.parent
    return str(folder.resolve())


def default_demo_folder() -> Path:
    """Where "Open demo" builds the demo project: <user data dir>/labelhub/demo."""
    return Path(platformdirs.user_data_dir("labelhub", appauthor=False)) / "demo"


class AppSettings:
    """A typed view of the application's QSettings."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self._settings = settings if settings is not None else QSettings(ORGANISATION, APPLICATION)

    @property
    def qsettings(self) -> QSettings:
        return self._settings

    def _json(self, key: str, default: object) -> object:
        raw = self._settings.value(key, "")
        if not isinstance(raw, str) or not raw:
            return default
        try:
            return json.loads(raw)
        except ValueError:
            return default

    def _set_json(self, key: str, value: object) -> None:
        self._settings.setValue(key, json.dumps(value))
        self._settings.sync()

    # Recent projects -------------------------------------------------------------------------

    def recent_projects(self) -> list[Path]:
        """Most recent first; may include folders that no longer hold a project."""
        value = self._json(_RECENT_KEY, [])
        if not isinstance(value, list):
            return []
        return [Path(p) for p in value if isinstance(p, str) and p][:MAX_RECENT]

    def add_recent_project(self, path: Path | str) -> None:
        key = project_key(path)
        paths = [key] + [str(p) for p in self.recent_projects() if str(p) != key]
        self._set_json(_RECENT_KEY, paths[:MAX_RECENT])

    def remove_recent_project(self, path: Path | str) -> None:
        key = project_key(path)
        self._set_json(_RECENT_KEY, [str(p) for p in self.recent_projects() if str(p) != key])

    def clear_recent_projects(self) -> None:
        self._set_json(_RECENT_KEY, [])

    def last_project(self) -> Path | None:
        recent = self.recent_projects()
        return recent[0] if recent else None

    # Members ---------------------------------------------------------------------------------

    def remembered_member(self, project: Path | str) -> str | None:
        value = self._json(_MEMBERS_KEY, {})
        if not isinstance(value, dict):
            return None
        member = value.get(project_key(project))
        return member if isinstance(member, str) and member else None

    def remember_member(self, project: Path | str, member: str) -> None:
        value = self._json(_MEMBERS_KEY, {})
        members = value if isinstance(value, dict) else {}
        members[project_key(project)] = member
        self._set_json(_MEMBERS_KEY, members)

    def forget_member(self, project: Path | str) -> None:
        value = self._json(_MEMBERS_KEY, {})
        if isinstance(value, dict) and value.pop(project_key(project), None) is not None:
            self._set_json(_MEMBERS_KEY, value)

    # Places and window -----------------------------------------------------------------------

    def last_location(self) -> Path:
        value = self._settings.value(_LOCATION_KEY, "")
        if isinstance(value, str) and value and Path(value).is_dir():
            return Path(value)
        return Path.home()

    def set_last_location(self, folder: Path | str) -> None:
        self._settings.setValue(_LOCATION_KEY, str(folder))

    def window_geometry(self) -> QByteArray | None:
        value = self._settings.value(_GEOMETRY_KEY)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def window_state(self) -> QByteArray | None:
        value = self._settings.value(_STATE_KEY)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self._settings.setValue(_GEOMETRY_KEY, geometry)
        self._settings.setValue(_STATE_KEY, state)
        self._settings.sync()
