"""Commands for the project itself: init, info, members, datasets, images, audit, check,
and the ones that open the window (demo, open)."""

from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path
from typing import Any

from labelhub.cli._common import EXIT_ERROR, ProgressBar, UsageError, group, open_project, out
from labelhub.errors import Cancelled


def cmd_init(args: argparse.Namespace) -> int:
    from labelhub.project import Project

    with Project.create(args.path, lead=args.lead, display_name=args.display_name) as p:
        info = p.info()
    out(args, info, f"created project {info['name']} in {info['folder']} with lead {info['member']}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    with open_project(args) as p:
        info = p.info()
        info["datasets"] = [{"name": d.name, "items": d.item_count} for d in p.datasets()]

    def text() -> str:
        c = info["counts"]
        lines = [
            f"project   {info['name']}  ({info['folder']})",
            f"schema    {info['schema_revision']}   LabelHub {info['labelhub_version']}",
            f"member    {info['member']} ({info['role']})",
            f"counts    {c['datasets']} datasets, {c['items']} items, {c['media']} media files, "
            f"{c['members']} members, {c['changes']} changes",
        ]
        if info["last_change"]:
            lc = info["last_change"]
            lines.append(f"last      change {lc['seq']} {lc['action']} at {lc['time']}")
        for d in info["datasets"]:
            lines.append(f"dataset   {d['name']}: {d['items']} items")
        return "\n".join(lines)

    out(args, info, text)
    return 0


def cmd_members(args: argparse.Namespace) -> int:
    with open_project(args, backup=args.members_cmd != "list") as p:
        if args.members_cmd == "add":
            m = p.add_member(args.name, args.role, args.display_name)
            out(args, {"name": m.name, "role": m.role.value}, f"added {m.name} as {m.role.value}")
        elif args.members_cmd == "set-role":
            m = p.set_role(args.name, args.role)
            out(args, {"name": m.name, "role": m.role.value}, f"{m.name} is now {m.role.value}")
        elif args.members_cmd == "deactivate":
            m = p.deactivate_member(args.name)
            out(args, {"name": m.name, "active": m.active}, f"{m.name} deactivated")
        else:
            members = p.members()
            data = {"members": [{"name": m.name, "role": m.role.value, "display_name": m.display_name,
                                 "active": m.active} for m in members]}
            out(args, data, lambda: "\n".join(
                f"{m.name:<20} {m.role.value:<10} {'' if m.active else '(deactivated) '}{m.display_name}"
                for m in members))
    return 0


def _dataset_dict(d: Any) -> dict[str, Any]:
    return {"name": d.name, "uid": d.uid, "description": d.description, "items": d.item_count,
            "datasheet": d.datasheet}


def cmd_dataset(args: argparse.Namespace) -> int:
    sub = args.dataset_cmd
    with open_project(args, backup=sub not in ("list", "show")) as p:
        if sub == "create":
            d = p.create_dataset(args.name, args.description or "")
            out(args, _dataset_dict(d), f"created dataset {d.name}")
        elif sub == "rename":
            d = p.rename_dataset(args.name, args.new_name)
            out(args, _dataset_dict(d), f"renamed dataset {args.name} to {d.name}")
        elif sub == "describe":
            fields = {k: v for k, v in vars(args).items() if k.startswith("ds_") and v is not None}
            sheet = {k[3:]: v for k, v in fields.items()}
            extra: dict[str, str] = {}
            for pair in args.set or []:
                key, sep, value = pair.partition("=")
                if not sep or not key.strip():
                    raise UsageError(f"--set takes KEY=VALUE, not {pair!r}")
                extra[key.strip()] = value
            if extra:
                sheet["extra"] = {**p.dataset(args.name).datasheet.get("extra", {}), **extra}
            d = p.describe_dataset(args.name, args.description, **sheet)
            out(args, _dataset_dict(d), f"updated the datasheet of {d.name}")
        elif sub == "show":
            d = p.dataset(args.name)
            out(args, _dataset_dict(d), lambda: "\n".join(
                [f"{d.name}: {d.item_count} items", d.description]
                + [f"  {k}: {v}" for k, v in sorted(d.datasheet.items())]))
        else:
            ds = p.datasets()
            out(args, {"datasets": [_dataset_dict(d) for d in ds]},
                 lambda: "\n".join(f"{d.name:<30} {d.item_count:>8} items  {d.description}" for d in ds)
                 or "no datasets yet")
    return 0


def cmd_import_images(args: argparse.Namespace) -> int:
    cancel = threading.Event()
    bar = ProgressBar("importing")
    with open_project(args, backup=True) as p:
        try:
            report = p.import_images(args.dataset, args.paths, link=args.link, progress=bar, cancel=cancel)
        except KeyboardInterrupt:
            raise Cancelled(f"import into {args.dataset} interrupted; nothing was imported") from None

    def text() -> str:
        lines = [report.summary()]
        lines += [f"  duplicate: {f} ({r})" for f, r in report.duplicates]
        lines += [f"  refused:   {f}: {r}" for f, r in report.failed]
        lines += [f"  renamed:   {f} -> {n}" for f, n in report.renamed]
        return "\n".join(lines)

    out(args, report.to_dict(), text)
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    with open_project(args) as p:
        if args.audit_cmd == "log":
            changes = p.changes(limit=args.limit)
            data = {"changes": [c.__dict__ for c in changes]}
            out(args, data, lambda: "\n".join(
                f"{c.seq:>6} {c.time[:19]} {c.member or '-':<12} {c.action:<18} {c.entity} "
                f"{json.dumps(c.detail, ensure_ascii=False)[:80]}" for c in changes))
            return 0
        report = p.audit_verify(progress=None if args.json else ProgressBar("verifying"))
    data = {"ok": report.ok, "checked": report.checked, "broken_seq": report.broken_seq,
            "message": report.message}
    out(args, data, ("ok: " if report.ok else "BROKEN: ") + report.message)
    return 0 if report.ok else EXIT_ERROR


def cmd_check(args: argparse.Namespace) -> int:
    with open_project(args) as p:
        report = p.check(deep=args.deep, progress=None if args.json else ProgressBar("checking"))

    def text() -> str:
        lines = [f"integrity: {report.integrity}", f"audit: {report.audit.message}"]
        lines += [f"problem: {x}" for x in report.problems]
        lines.append(f"backup: {report.backup or 'up to date'} ({len(report.backups)} kept)")
        lines.append("ok" if report.ok else "PROBLEMS FOUND")
        return "\n".join(lines)

    out(args, report.to_dict(), text)
    return 0 if report.ok else EXIT_ERROR


def run_gui(project: Path | None, user: str | None, demo: bool = False) -> int:
    from labelhub.gui.app import run_gui as launch

    return launch(project=project, user=user, demo=demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from labelhub.project.demo import DEMO_LEAD, build_demo

    folder = build_demo(Path(args.dir) if args.dir else None, fresh=args.fresh,
                        progress=None if args.json else ProgressBar("building demo"))
    out(args, {"project": str(folder), "user": DEMO_LEAD}, f"demo project ready in {folder}")
    if args.no_gui:
        return 0
    return run_gui(folder, args.user or DEMO_LEAD)


def cmd_open(args: argparse.Namespace) -> int:
    return run_gui(Path(args.path), args.user)




def register(sub: argparse._SubParsersAction, json_opt: argparse.ArgumentParser, parser_class: type) -> None:
    """Add this module's commands to the `labelhub` parser."""
    p = sub.add_parser("open", help="open the window on a project")
    p.add_argument("path")
    p.set_defaults(func=cmd_open, json=False)

    p = sub.add_parser("demo", parents=[json_opt], help="build the demo project, then open it")
    p.add_argument("dir", nargs="?", help="where to build it (default: the user data folder)")
    p.add_argument("--no-gui", action="store_true", help="build only, do not open the window")
    p.add_argument("--fresh", action="store_true", help="rebuild an existing demo project")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("init", parents=[json_opt], help="create a project")
    p.add_argument("path")
    p.add_argument("--lead", required=True, metavar="NAME", help="the first member, a lead")
    p.add_argument("--display-name", default=None)
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("info", parents=[json_opt], help="what is in the project")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("members", help="list, add, change or deactivate members")
    msub = p.add_subparsers(dest="members_cmd", metavar="ACTION", required=True, parser_class=parser_class)
    m = msub.add_parser("list", parents=[json_opt])
    m = msub.add_parser("add", parents=[json_opt])
    m.add_argument("name")
    m.add_argument("--role", required=True, choices=["annotator", "reviewer", "lead"])
    m.add_argument("--display-name", default=None)
    m = msub.add_parser("set-role", parents=[json_opt])
    m.add_argument("name")
    m.add_argument("role", choices=["annotator", "reviewer", "lead"])
    m = msub.add_parser("deactivate", parents=[json_opt])
    m.add_argument("name")
    p.set_defaults(func=cmd_members)

    p = sub.add_parser("dataset", help="create, list, rename and describe datasets")
    dsub = p.add_subparsers(dest="dataset_cmd", metavar="ACTION", required=True, parser_class=parser_class)
    d = dsub.add_parser("create", parents=[json_opt])
    d.add_argument("name")
    d.add_argument("--description", default="")
    dsub.add_parser("list", parents=[json_opt])
    d = dsub.add_parser("show", parents=[json_opt])
    d.add_argument("name")
    d = dsub.add_parser("rename", parents=[json_opt])
    d.add_argument("name")
    d.add_argument("new_name")
    d = dsub.add_parser("describe", parents=[json_opt], help="edit the description and datasheet")
    d.add_argument("name")
    d.add_argument("--description", default=None)
    from labelhub.project.datasets import DATASHEET_FIELDS

    for key, help_text in DATASHEET_FIELDS.items():
        d.add_argument(f"--{key.replace('_', '-')}", dest=f"ds_{key}", default=None, help=help_text)
    d.add_argument("--set", action="append", metavar="KEY=VALUE", help="a free key-value (repeatable)")
    p.set_defaults(func=cmd_dataset)

    isub = group(sub, "import", "bring images or labels into a dataset", parser_class)
    i = isub.add_parser("images", parents=[json_opt], help="import image files and folders")
    i.add_argument("paths", nargs="+", metavar="DIR")
    i.add_argument("--dataset", required=True)
    i.add_argument("--link", action="store_true", help="leave the files in place instead of copying")
    i.set_defaults(func=cmd_import_images)

    p = sub.add_parser("audit", help="the change log")
    asub = p.add_subparsers(dest="audit_cmd", metavar="ACTION", required=True, parser_class=parser_class)
    asub.add_parser("verify", parents=[json_opt], help="walk the hash chain, report the first broken link")
    a = asub.add_parser("log", parents=[json_opt], help="the latest changes")
    a.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("check", parents=[json_opt], help="integrity check, audit, media, backup")
    p.add_argument("--deep", action="store_true", help="also re-hash every media file")
    p.set_defaults(func=cmd_check)
