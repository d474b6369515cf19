"""Members: add, change role, deactivate."""

from __future__ import annotations

from sqlalchemy import select

from labelhub.errors import InvalidInput, NotFound
from labelhub.project.core import MemberInfo, ProjectBase, _member_info, check_name
from labelhub.project.roles import Role
from labelhub.store.tables import Member

_member = Member.__table__


class MembersMixin(ProjectBase):
    def members(self, *, include_inactive: bool = True) -> list[MemberInfo]:
        with self._read() as conn:
            rows = conn.execute(select(_member).order_by(_member.c.name)).all()
        return [_member_info(r) for r in rows if include_inactive or r.active]

    def add_member(self, name: str, role: str | Role, display_name: str | None = None) -> MemberInfo:
        name = check_name("member", name)
        role = Role.parse(role)
        with self._change("member.add", "member", name, name=name, role=role.value) as tx:
            if tx.conn.execute(select(_member.c.id).where(_member.c.name == name)).first():
                raise InvalidInput(f"{name!r} is already a member")
            row = tx.insert_registry(
                _member,
                {"name": name, "display_name": display_name or "", "role": role.value,
                 "active": True, "created_seq": tx.seq},
            )
        return _member_info(row)

    def _member_row(self, conn, name: str):  # noqa: ANN001, ANN202
        row = conn.execute(select(_member).where(_member.c.name == name)).first()
        if row is None:
            names = ", ".join(r.name for r in conn.execute(select(_member.c.name)))
            raise NotFound(f"no member named {name!r}; members: {names}")
        return row

    def set_role(self, name: str, role: str | Role) -> MemberInfo:
        role = Role.parse(role)
        with self._change("member.set_role", "member", name, name=name, role=role.value) as tx:
            row = self._member_row(tx.conn, name)
            if row.role == Role.LEAD.value and role != Role.LEAD:
                self._keep_a_lead(tx.conn, row.id)
            tx.detail["from"] = row.role
            row = tx.update_registry(_member, row.id, {"role": role.value})
        if name == self.member.name:
            self.member = _member_info(row)
        return _member_info(row)

    def deactivate_member(self, name: str) -> MemberInfo:
        with self._change("member.deactivate", "member", name, name=name) as tx:
            row = self._member_row(tx.conn, name)
            if row.role == Role.LEAD.value:
                self._keep_a_lead(tx.conn, row.id)
            row = tx.update_registry(_member, row.id, {"active": False})
        return _member_info(row)

    def reactivate_member(self, name: str) -> MemberInfo:
        with self._change("member.add", "member", name, name=name, reactivated=True) as tx:
            row = self._member_row(tx.conn, name)
            row = tx.update_registry(_member, row.id, {"active": True})
        return _member_info(row)

    @staticmethod
    def _keep_a_lead(conn, member_id: int) -> None:  # noqa: ANN001
        others = conn.execute(
            select(_member.c.id).where(
                _member.c.role == Role.LEAD.value, _member.c.active, _member.c.id != member_id
            )
        ).first()
        if others is None:
            raise InvalidInput("a project needs at least one active lead; make another member lead first")
