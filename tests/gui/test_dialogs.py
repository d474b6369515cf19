"""New project, the demo, About, the theme and the remembered settings."""

from __future__ import annotations

import platform
from pathlib import Path

import PySide6
from PySide6.QtCore import QSettings, Qt, qVersion
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QDialogButtonBox

import labelhub
from labelhub.gui import project_dialogs
from labelhub.gui.about_dialog import AboutDialog
from labelhub.gui.main_window import MainWindow
from labelhub.gui.project_dialogs import NewProjectDialog
from labelhub.gui.settings import MAX_RECENT, AppSettings
from labelhub.gui.theme import DARK, LIGHT, install_theme
from labelhub.project import Project


def test_new_project_from_menu(qtbot, window: MainWindow, tmp_path: Path, when_modal) -> None:
    def fill(dialog: NewProjectDialog) -> None:
        dialog.name_edit.setText("birds")
        dialog.location_edit.setText(str(tmp_path))
        dialog.lead_edit.setText("lena")
        dialog.display_edit.setText("Lena Park")
        assert dialog.preview.text() == f"Creates {tmp_path / 'birds'}"
        ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    when_modal(NewProjectDialog, fill)
    window.menu_actions["new"].trigger()
    assert Project.is_project(tmp_path / "birds")
    assert window.project is not None and window.project.member.name == "lena"
    assert window.role_label.text() == "Lead"
    assert window.member_label.text() == "Signed in as Lena Park"


def test_new_project_dialog_checks_its_input(qtbot, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LABELHUB_USER", "olga")
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file.txt").write_text("x")
    dialog = NewProjectDialog(tmp_path)
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert dialog.lead() == "olga"
    assert ok.isEnabled()
    dialog.name_edit.setText("taken")
    assert not ok.isEnabled() and "not empty" in dialog.preview.text()
    dialog.name_edit.setText("a/b")
    assert not ok.isEnabled() and "slashes" in dialog.preview.text()
    dialog.name_edit.setText("fine")
    dialog.lead_edit.setText("")
    assert not ok.isEnabled()


def test_default_member_name_is_the_os_user(monkeypatch) -> None:
    monkeypatch.delenv("LABELHUB_USER", raising=False)
    monkeypatch.setattr(project_dialogs.getpass, "getuser", lambda: "osuser")
    assert project_dialogs.default_member_name() == "osuser"


def test_open_demo_builds_then_opens(qtbot, window: MainWindow, monkeypatch) -> None:
    offered: list[str | None] = []

    def sign_in(parent, name, members, preselect):  # noqa: ANN001, ANN202
        offered.append(preselect)
        assert {m.name for m in members} == {"lena", "rui", "ana", "ben"}
        return preselect

    monkeypatch.setattr(project_dialogs, "ask_member", sign_in)
    qtbot.mouseClick(window.start_page.demo_button, Qt.MouseButton.LeftButton)
    task = window.demo_task
    assert task is not None
    qtbot.waitUntil(lambda: window.demo_task is None, timeout=120000)
    assert offered == ["lena"]
    assert window.project is not None and window.project.folder == window.demo_folder.resolve()
    assert set(window.dataset_names()) == {"photos", "shapes"}
    assert window.role_label.text() == "Lead"
    # A second time the existing demo opens at once, as the remembered member.
    window.close_project()
    assert window.open_demo()
    assert window.demo_task is None and window.project is not None


def test_cancelling_the_demo_builds_nothing(qtbot, window: MainWindow, message_texts) -> None:
    assert window.open_demo()
    task = window.demo_task
    assert task is not None
    task.dialog.canceled.emit()
    qtbot.waitUntil(lambda: window.demo_task is None, timeout=60000)
    assert window.project is None
    assert not Project.is_project(window.demo_folder)
    assert any("not built" in t for t in message_texts(window))


def test_about_shows_versions_licence_and_photo_credits(qtbot, window: MainWindow) -> None:
    window.menu_actions["about"].trigger()
    about = window.about_dialog
    assert isinstance(about, AboutDialog) and about.isVisible()
    labels = about.version_labels
    assert labels["LabelHub"].text() == labelhub.__version__
    assert labels["Qt"].text() == qVersion()
    assert labels["PySide6"].text() == PySide6.__version__
    assert labels["Python"].text().startswith(platform.python_version())
    assert "MIT" in labels["Licence"].text()
    assert about.credits_button.isEnabled()
    qtbot.mouseClick(about.credits_button, Qt.MouseButton.LeftButton)
    credits = about.credits_dialog
    assert credits is not None and credits.isVisible()
    text = credits.browser.toPlainText()
    assert "Sample photos" in text and "astronaut.jpg" in text


def test_theme_follows_the_colour_scheme(qapp: QApplication) -> None:
    manager = install_theme(qapp)
    assert manager.style_name.lower() == "fusion"
    manager.apply(Qt.ColorScheme.Dark)
    assert qapp.palette().color(QPalette.ColorRole.Window).name() == DARK.window
    manager.apply(Qt.ColorScheme.Light)
    assert qapp.palette().color(QPalette.ColorRole.Window).name() == LIGHT.window
    assert install_theme(qapp) is manager  # one manager per application


def test_settings_remember_recent_and_members(tmp_path: Path) -> None:
    path = tmp_path / "s.ini"
    settings = AppSettings(QSettings(str(path), QSettings.Format.IniFormat))
    for n in range(MAX_RECENT + 3):
        settings.add_recent_project(tmp_path / f"p{n}")
    settings.add_recent_project(tmp_path / "p5" / "project.labelhub")
    settings.remember_member(tmp_path / "p5", "ana")
    again = AppSettings(QSettings(str(path), QSettings.Format.IniFormat))
    recent = again.recent_projects()
    assert len(recent) == MAX_RECENT
    assert recent[0] == (tmp_path / "p5").resolve()
    assert recent[1] == (tmp_path / f"p{MAX_RECENT + 2}").resolve()
    assert again.remembered_member(tmp_path / "p5" / "project.labelhub") == "ana"
    assert again.remembered_member(tmp_path / "p6") is None
    again.forget_member(tmp_path / "p5")
    assert again.remembered_member(tmp_path / "p5") is None


def test_default_settings_are_isolated_in_tests(isolated_qsettings: Path) -> None:
    settings = AppSettings()
    settings.add_recent_project("/somewhere")
    settings.qsettings.sync()
    assert Path(settings.qsettings.fileName()).is_relative_to(isolated_qsettings)
