"""Which role may do what, enforced in the project layer for every change."""

from __future__ import annotations

from pathlib import Path

import pytest

from labelhub.errors import InvalidInput, PermissionDenied, UnknownMember
from labelhub.project import PERMISSIONS, Project, Role

ROLES = list(Role)


@pytest.mark.parametrize(
    ("action", "role"),
    [(a, r) for a, minimum in PERMISSIONS.items() for r in ROLES if not r.allows(minimum)],
)
def test_every_forbidden_action_is_refused(project_dir: Path, action: str, role: Role) -> None:
    user = {"annotator": "ana", "reviewer": "rui", "lead": "lena"}[role.value]
    with Project.open(project_dir, user=user, backup=False) as p:
        assert not p.can(action)
        with pytest.raises(PermissionDenied, match=f"needs the {PERMISSIONS[action].value} role"):
            p.authorize(action)


def test_annotator_cannot_add_members_change_roles_or_datasets(project_dir: Path, images_dir: Path) -> None:
    with Project.open(project_dir, user="ana", backup=False) as p:
        seq = p.seq()
        for call in (
            lambda: p.add_member("eve", "lead"),
            lambda: p.set_role("ana", "lead"),
            lambda: p.deactivate_member("lena"),
            lambda: p.create_dataset("mine"),
            lambda: p.rename_dataset("photos", "x"),
            lambda: p.describe_dataset("photos", purpose="x"),
            lambda: p.import_images("photos", [images_dir]),
        ):
            with pytest.raises(PermissionDenied):
                call()
        assert p.seq() == seq  # nothing was written
    # the annotator cannot commit versions, accept reviews or change the schema
    for action in ("version.commit", "review.accept", "schema.change", "member.add"):
        assert PERMISSIONS[action] != Role.ANNOTATOR


def test_reviewer_cannot_manage_members(project_dir: Path) -> None:
    with Project.open(project_dir, user="rui", backup=False) as p:
        with pytest.raises(PermissionDenied, match="rui is a reviewer"):
            p.add_member("eve", "annotator")
        assert p.can("review.accept") and not p.can("version.commit")


def test_role_is_checked_again_inside_the_transaction(project_dir: Path) -> None:
    """A lead demoted in another window can no longer change anything from this one."""
    with Project.open(project_dir, user="rui", backup=False) as rui:
        with Project.open(project_dir, user="lena", backup=False) as lena:
            lena.set_role("rui", "lead")
        rui_promoted_elsewhere = Project.open(project_dir, user="rui", backup=False)
        rui_promoted_elsewhere.create_dataset("by-rui")
        with Project.open(project_dir, user="lena", backup=False) as lena:
            lena.set_role("rui", "annotator")
        with pytest.raises(PermissionDenied):
            rui_promoted_elsewhere.create_dataset("again")
        assert rui_promoted_elsewhere.member.role == Role.ANNOTATOR
        rui_promoted_elsewhere.close()
        assert rui.member.name == "rui"


def test_members_add_set_role_deactivate(lead: Project) -> None:
    lead.add_member("zoe", "reviewer", "Zoe Z.")
    assert {m.name: m.role for m in lead.members()}["zoe"] == Role.REVIEWER
    lead.set_role("zoe", "annotator")
    lead.deactivate_member("zoe")
    zoe = {m.name: m for m in lead.members()}["zoe"]
    assert (zoe.role, zoe.active, zoe.display_name) == (Role.ANNOTATOR, False, "Zoe Z.")
    with pytest.raises(UnknownMember, match="deactivated"):
        Project.open(lead.folder, user="zoe")
    with pytest.raises(InvalidInput, match="already a member"):
        lead.add_member("zoe", "lead")
    with pytest.raises(InvalidInput, match="unknown role"):
        lead.add_member("yan", "boss")


def test_the_last_lead_stays_a_lead(lead: Project) -> None:
    with pytest.raises(InvalidInput, match="at least one active lead"):
        lead.set_role("lena", "annotator")
    with pytest.raises(InvalidInput, match="at least one active lead"):
        lead.deactivate_member("lena")


def test_acting_member_from_argument_env_or_os_user(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABELHUB_USER", "ben")
    with Project.open(project_dir, backup=False) as p:
        assert p.member.name == "ben"
    monkeypatch.delenv("LABELHUB_USER")
    monkeypatch.setattr("getpass.getuser", lambda: "rui")
    with Project.open(project_dir, backup=False) as p:
        assert p.member.name == "rui"
    with pytest.raises(UnknownMember) as err:
        Project.open(project_dir, user="mallory")
    message = str(err.value)
    assert "mallory" in message and "lena (lead)" in message and "ana (annotator)" in message


def test_datasets_create_rename_describe(lead: Project) -> None:
    lead.create_dataset("scans", "CT scans")
    lead.rename_dataset("scans", "ct-scans")
    d = lead.describe_dataset(
        "ct-scans", description="Chest CT", purpose="screening research", licence="CC-BY-4.0",
        collection_start="2023-01-01", collection_end="2023-06-30", consent="signed forms",
        personal_data="pseudonymised", extra={"site": "A"},
    )
    assert d.description == "Chest CT"
    assert d.datasheet["licence"] == "CC-BY-4.0" and d.datasheet["extra"] == {"site": "A"}
    with pytest.raises(InvalidInput, match="already exists"):
        lead.create_dataset("ct-scans")
    with pytest.raises(InvalidInput, match="unknown datasheet field"):
        lead.describe_dataset("ct-scans", colour="blue")
    with pytest.raises(InvalidInput, match="must be a date"):
        lead.describe_dataset("ct-scans", collection_start="last spring")
    actions = [c.action for c in lead.changes(limit=3)]
    assert actions == ["dataset.describe", "dataset.rename", "dataset.create"]
