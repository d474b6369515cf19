"""Signing in as a member, switching member, and the Members dialog."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from labelhub.gui import project_dialogs
from labelhub.gui.main_window import MainWindow
from labelhub.gui.members_dialog import MembersDialog
from labelhub.gui.project_dialogs import SignInDialog
from labelhub.gui.widgets import DIMMED_ROLE, SUBTITLE_ROLE
from labelhub.project import Project, Role


def _members(folder: Path) -> dict[str, tuple[str, bool]]:
    return {m.name: (m.role.value, m.active) for m in Project.list_members(folder)}


def test_sign_in_dialog_lists_members_with_roles(qtbot, team_project: Path) -> None:
    with Project.open(team_project, user="lena", backup=False) as project:
        project.add_member("old", "annotator")
        project.deactivate_member("old")
    dialog = SignInDialog("team", Project.list_members(team_project), preselect="rui")
    qtbot.addWidget(dialog)
    rows = [dialog.list.item(i) for i in range(dialog.list.count())]
    assert [(r.text(), r.data(SUBTITLE_ROLE), r.data(DIMMED_ROLE)) for r in rows] == [
        ("Ana", "ana · Annotator", False), ("Lena Park", "lena · Lead", False),
        ("old", "old · Annotator", True), ("Rui", "rui · Reviewer", False)]
    assert dialog.selected_member() == "rui"
    dialog.select_member("old")
    assert dialog.selected_member() != "old"  # deactivated members cannot be picked
    dialog.select_member("ana")
    assert dialog.selected_member() == "ana"


def test_opening_asks_who_you_are_and_remembers(qtbot, window: MainWindow,
                                                team_project: Path, monkeypatch,
                                                when_modal) -> None:
    def pick_rui(dialog: SignInDialog) -> None:
        dialog.select_member("rui")
        ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    when_modal(SignInDialog, pick_rui)
    assert window.open_project(team_project)
    assert window.member_label.text() == "Signed in as Rui"
    assert window.role_label.text() == "Reviewer"
    assert window.settings.remembered_member(team_project) == "rui"

    window.close_project()

    def no_dialog(*args: object, **kwargs: object) -> str:
        raise AssertionError("the remembered member should be used")

    monkeypatch.setattr(project_dialogs, "ask_member", no_dialog)
    assert window.open_project(team_project)
    assert window.project.member.name == "rui"


def test_cancelling_sign_in_opens_nothing(window: MainWindow, team_project: Path,
                                          monkeypatch) -> None:
    monkeypatch.setattr(project_dialogs, "ask_member", lambda *a, **k: None)
    assert not window.open_project(team_project)
    assert window.project is None and window.showing_start_page()


def test_forgotten_member_asks_again(window: MainWindow, team_project: Path,
                                     monkeypatch) -> None:
    window.settings.remember_member(team_project, "nobody")
    monkeypatch.setattr(project_dialogs, "ask_member", lambda parent, name, members, pre: "ana")
    assert window.open_project(team_project)
    assert window.project.member.name == "ana"


def test_switch_member(window: MainWindow, team_project: Path, monkeypatch) -> None:
    window.open_project(team_project, user="lena")
    offered: list[str] = []

    def pick(parent, name, members, preselect):  # noqa: ANN001, ANN202
        offered.append(preselect)
        return "ana"

    monkeypatch.setattr(project_dialogs, "ask_member", pick)
    window.menu_actions["switch_member"].trigger()
    assert offered == ["lena"]
    assert window.project.member.name == "ana"
    assert window.role_label.text() == "Annotator"
    assert window.settings.remembered_member(team_project) == "ana"


def test_lead_adds_member_changes_role_and_deactivates(qtbot, window: MainWindow,
                                                       team_project: Path) -> None:
    window.open_project(team_project, user="lena")
    window.menu_actions["members"].trigger()
    dialog = window.members_dialog
    assert isinstance(dialog, MembersDialog) and dialog.isVisible()
    assert dialog.can_edit and dialog.add_box.isVisible()
    assert dialog.member_names() == ["ana", "lena", "rui"]

    qtbot.keyClicks(dialog.name_edit, "cara")
    qtbot.keyClicks(dialog.display_edit, "Cara Diaz")
    dialog.add_role_combo.setCurrentIndex(dialog.add_role_combo.findData("reviewer"))
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert _members(team_project)["cara"] == ("reviewer", True)
    assert "cara" in dialog.member_names()
    assert dialog.name_edit.text() == ""

    dialog.select_member("ana")
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findData("reviewer"))
    qtbot.mouseClick(dialog.set_role_button, Qt.MouseButton.LeftButton)
    assert _members(team_project)["ana"] == ("reviewer", True)

    dialog.select_member("rui")
    assert dialog.deactivate_button.text() == "Deactivate"
    qtbot.mouseClick(dialog.deactivate_button, Qt.MouseButton.LeftButton)
    assert _members(team_project)["rui"] == ("reviewer", False)
    assert dialog.deactivate_button.text() == "Reactivate"
    qtbot.mouseClick(dialog.deactivate_button, Qt.MouseButton.LeftButton)
    assert _members(team_project)["rui"] == ("reviewer", True)


def test_members_dialog_shows_project_errors(qtbot, window: MainWindow,
                                             team_project: Path, message_texts) -> None:
    window.open_project(team_project, user="lena")
    dialog = window.show_members()
    assert dialog is not None
    qtbot.keyClicks(dialog.name_edit, "ana")
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert any("already a member" in t for t in message_texts(dialog))

    dialog.select_member("lena")
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findData("annotator"))
    qtbot.mouseClick(dialog.set_role_button, Qt.MouseButton.LeftButton)
    assert any("at least one active lead" in t for t in message_texts(dialog))
    assert _members(team_project)["lena"] == ("lead", True)


@pytest.mark.parametrize("member", ["ana", "rui"])
def test_members_dialog_is_read_only_for_non_leads(window: MainWindow, team_project: Path,
                                                   member: str) -> None:
    window.open_project(team_project, user=member)
    dialog = window.show_members()
    assert dialog is not None
    assert not dialog.can_edit
    assert not dialog.add_box.isVisible() and not dialog.edit_box.isVisible()
    assert not dialog.add_button.isEnabled() and not dialog.deactivate_button.isEnabled()
    assert "read-only" in dialog.note.text()
    assert dialog.member_names() == ["ana", "lena", "rui"]
    assert not dialog.add_member()
    assert _members(team_project) == {"ana": ("annotator", True), "lena": ("lead", True),
                                      "rui": ("reviewer", True)}


def test_demoting_yourself_updates_the_status_bar(qtbot, window: MainWindow,
                                                  team_project: Path) -> None:
    with Project.open(team_project, user="lena", backup=False) as project:
        project.set_role("rui", Role.LEAD)
    window.open_project(team_project, user="lena")
    dialog = window.show_members()
    assert dialog is not None
    dialog.select_member("lena")
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findData("reviewer"))
    qtbot.mouseClick(dialog.set_role_button, Qt.MouseButton.LeftButton)
    assert window.role_label.text() == "Reviewer"
    assert not window.menu_actions["import"].isEnabled()
    assert not dialog.can_edit and not dialog.add_box.isVisible()
