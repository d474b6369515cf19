"""Commands for dataset versions and exchange formats: version commit|list|show|diff|tag|untag|
deprecate|verify, export, and import labels."""

from __future__ import annotations

import argparse
import sys
import threading
from datetime import datetime
from typing import Any

from labelhub.cli._common import EXIT_ERROR, ProgressBar, group, open_project, out
from labelhub.errors import Cancelled


def _when(time: str) -> str:
    try:
        return datetime.fromisoformat(time).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return time or "-"


def _split_name(split: str | None) -> str:
    return split if split else "(no split)"


def _version_line(v: Any) -> str:
    s = v.stats
    line = (f"{v.label:<20} {_when(v.time)}  {v.author or '-':<10} {s.get('items', 0):>9,} items "
            f"{s.get('annotations', 0):>11,} annotations  {v.message}")
    if v.deprecated:
        line += f"\n{'':<20} DEPRECATED: {v.deprecated_reason}"
    return line


def _version_text(v: Any) -> str:
    s = v.stats
    lines = [f"{v.dataset} {v.label}: {v.message}",
             f"  committed {_when(v.time)} by {v.author or '-'} at change {v.seq}",
             f"  manifest  {v.manifest_hash}",
             f"  {s.get('items', 0):,} items, {s.get('annotations', 0):,} annotations, "
             f"{s.get('classes', 0)} label classes"]
    if v.deprecated:
        lines.append(f"  DEPRECATED (change {v.deprecated_seq}): {v.deprecated_reason}")
    splits = ", ".join(f"{_split_name(k)} {n:,}" for k, n in s.get("splits", {}).items())
    lines.append(f"  splits    {splits or '-'}")
    for entry in s.get("per_class", []):
        kinds = ", ".join(f"{k} {n:,}" for k, n in entry["by_kind"].items())
        lines.append(f"  {entry['name'] or '(no class)':<20} {entry['annotations']:>9,}  {kinds}")
    return "\n".join(lines)


def cmd_version(args: argparse.Namespace) -> int:
    sub = args.version_cmd
    with open_project(args, backup=sub in ("commit", "tag", "untag", "deprecate")) as p:
        if sub == "commit":
            v = p.commit_version(args.dataset, args.message, tag=args.tag)
            v = p.version(args.dataset, v.number)
            out(args, v.to_dict(), lambda: f"committed {args.dataset} {v.label} at change {v.seq}: "
                f"{v.stats['items']:,} items, {v.stats['annotations']:,} annotations\n"
                f"manifest {v.manifest_hash}")
        elif sub == "list":
            versions = p.versions(args.dataset)
            out(args, {"dataset": args.dataset, "versions": [v.to_dict() for v in versions]},
                lambda: "\n".join(_version_line(v) for v in reversed(versions))
                or f"{args.dataset} has no versions yet; commit one with: labelhub version commit")
        elif sub == "show":
            v = p.version(args.dataset, args.version)
            out(args, v.to_dict(), lambda: _version_text(v))
        elif sub == "tag":
            v = p.tag_version(args.dataset, args.version, args.tag)
            out(args, v.to_dict(), f"{args.dataset} {v.label} tagged {v.tag}")
        elif sub == "untag":
            v = p.tag_version(args.dataset, args.version, None)
            out(args, v.to_dict(), f"{args.dataset} {v.label} has no tag now")
        elif sub == "deprecate":
            v = p.deprecate_version(args.dataset, args.version, args.reason)
            out(args, v.to_dict(), f"{args.dataset} {v.label} deprecated: {v.deprecated_reason}")
        elif sub == "verify":
            check = p.verify_version(args.dataset, args.version)
            out(args, {"ok": check.ok, "message": check.message, "stored": check.stored_hash,
                       "computed": check.computed_hash},
                ("ok: " if check.ok else "MISMATCH: ") + check.message)
            return 0 if check.ok else EXIT_ERROR
        else:
            diff = p.diff_versions(args.dataset, args.a, args.b)
            out(args, diff.to_dict(), lambda: _diff_text(diff, args.all))
    return 0


def _diff_text(diff: Any, show_all: bool) -> str:
    lines = [f"{diff.dataset}: {diff.before} -> {diff.after}: {diff.describe()}"]
    tb, ta = diff.totals_before, diff.totals_after
    lines.append(f"  items {tb['items']:,} -> {ta['items']:,}, annotations {tb['annotations']:,} -> "
                 f"{ta['annotations']:,}, label classes {tb['classes']} -> {ta['classes']}")
    if diff.counts:
        lines.append("  annotations per class:")
        for c in diff.counts:
            change = f"{c.after - c.before:+,}" if c.after != c.before else "="
            lines.append(f"    {c.name:<20} {c.before:>9,} -> {c.after:>9,}  {change}")
    limit = None if show_all else 50

    def section(title: str, rows: list[str]) -> None:
        if not rows:
            return
        lines.append(f"  {title}:")
        shown = rows if limit is None else rows[:limit]
        lines.extend(f"    {r}" for r in shown)
        if len(rows) > len(shown):
            lines.append(f"    ... and {len(rows) - len(shown):,} more (--all, or --json)")

    section("label classes", [f"{c.change:<8} {c.name}"
                              + (f" (was {c.name_before})" if c.name_before and c.name_before != c.name else "")
                              + (f" [{', '.join(c.fields)}]" if c.fields else "") for c in diff.classes])
    section("items", [f"{i.change:<8} {i.name}" + (
        f" ({_split_name(i.split_before)} -> {_split_name(i.split_after)})" if i.change == "moved"
        else f" [{', '.join(i.fields)}]" if i.fields else "") for i in diff.items])
    section("annotations", [f"{a.change:<8} {a.item_name}: {a.label or '(no class)'} {a.kind}"
                            + (f" [{', '.join(a.fields)}]" if a.fields else "")
                            + (f" (class was {a.label_before})" if "class" in a.fields else "")
                            for a in diff.annotations])
    return "\n".join(lines)


def _plan_text(plan: Any) -> str:
    if not plan.losses:
        return f"{plan.target} holds every shape of {plan.dataset} {plan.version.label} as it is"
    lines = [f"{plan.target} cannot hold every shape of {plan.dataset} {plan.version.label}:"]
    lines += [f"  {line}" for line in plan.describe()]
    return "\n".join(lines)


def cmd_export(args: argparse.Namespace) -> int:
    options = {"yolo_task": args.yolo_task,
               "labelme_oriented_rectangles": args.labelme_oriented_rectangles}
    cancel = threading.Event()
    with open_project(args) as p:
        plan = p.export_plan(args.dataset, args.version, args.format, options)
        # The loss plan comes first, on stderr (stdout carries the result, or the JSON).
        sys.stderr.write(_plan_text(plan) + "\n")
        if plan.losses and args.refuse_losses:
            sys.stderr.write("labelhub: error: nothing was written (--refuse-losses)\n")
            return EXIT_ERROR
        try:
            report = p.export_version(args.dataset, args.version, args.format, args.out,
                                      with_media=args.with_media, options=options,
                                      accept_losses=True, cancel=cancel,
                                      progress=None if args.json else ProgressBar("exporting"))
        except KeyboardInterrupt:
            cancel.set()
            raise Cancelled(f"export to {args.out} interrupted; nothing was written") from None
    out(args, report.to_dict(), report.summary())
    return 0


def cmd_import_labels(args: argparse.Namespace) -> int:
    cancel = threading.Event()
    with open_project(args, backup=True) as p:
        try:
            report = p.import_labels(args.dataset, args.path, args.format, into=args.into,
                                     replace=args.replace, create_classes=not args.no_new_classes,
                                     coco_ground_truth=args.ground_truth, yolo_task=args.yolo_task,
                                     cancel=cancel,
                                     progress=None if args.json else ProgressBar("reading"))
        except KeyboardInterrupt:
            cancel.set()
            raise Cancelled(f"import of {args.path} interrupted; nothing was imported") from None

    def text() -> str:
        lines = [report.summary()]
        lines += [f"  matched by {how}: {n:,} images" for how, n in sorted(report.matched.items())]
        lines += [f"  not in the dataset (no labels): {name}" for name in report.skipped[:20]]
        return "\n".join(lines)

    out(args, report.to_dict(), text)
    return 0


def register(sub: argparse._SubParsersAction, json_opt: argparse.ArgumentParser, parser_class: type) -> None:
    """Add this module's commands to the `labelhub` parser."""
    p = sub.add_parser("version", help="commit, list, compare, tag and deprecate dataset versions")
    vsub = p.add_subparsers(dest="version_cmd", metavar="ACTION", required=True, parser_class=parser_class)
    v = vsub.add_parser("commit", parents=[json_opt], help="freeze the dataset as its next version")
    v.add_argument("--dataset", required=True)
    v.add_argument("-m", "--message", required=True)
    v.add_argument("--tag", default=None)
    v = vsub.add_parser("list", parents=[json_opt], help="the dataset's versions, newest first")
    v.add_argument("--dataset", required=True)
    v = vsub.add_parser("show", parents=[json_opt], help="one version with its counts")
    v.add_argument("--dataset", required=True)
    v.add_argument("version", metavar="V", help="version number or tag")
    v = vsub.add_parser("diff", parents=[json_opt], help="what changed from version A to version B")
    v.add_argument("--dataset", required=True)
    v.add_argument("a", metavar="A", help="version number or tag (or 'current')")
    v.add_argument("b", metavar="B", help="version number or tag (or 'current')")
    v.add_argument("--all", action="store_true", help="list every change, not the first 50 of each kind")
    v = vsub.add_parser("tag", parents=[json_opt], help="tag a version (moves the tag if another has it)")
    v.add_argument("--dataset", required=True)
    v.add_argument("version", metavar="V")
    v.add_argument("tag", metavar="TAG")
    v = vsub.add_parser("untag", parents=[json_opt], help="remove a version's tag")
    v.add_argument("--dataset", required=True)
    v.add_argument("version", metavar="V")
    v = vsub.add_parser("deprecate", parents=[json_opt], help="mark a version deprecated, with a reason")
    v.add_argument("--dataset", required=True)
    v.add_argument("version", metavar="V")
    v.add_argument("--reason", required=True)
    v = vsub.add_parser("verify", parents=[json_opt],
                        help="re-read a version's rows and compare with its manifest hash and counts")
    v.add_argument("--dataset", required=True)
    v.add_argument("version", metavar="V")
    p.set_defaults(func=cmd_version)

    from labelhub.formats import FORMAT_NAMES, YOLO_TASKS

    p = sub.add_parser("export", parents=[json_opt],
                       help="write a dataset version in an exchange format, with manifest.json")
    p.add_argument("out", metavar="OUT", help="a new (or empty) folder")
    p.add_argument("--dataset", required=True)
    p.add_argument("--version", required=True, metavar="V", help="version number or tag")
    p.add_argument("--format", required=True, choices=FORMAT_NAMES)
    p.add_argument("--with-media", action="store_true", help="copy the image files too")
    p.add_argument("--yolo-task", choices=YOLO_TASKS, default=None,
                   help="YOLO layout (default: from the shapes present)")
    p.add_argument("--labelme-oriented-rectangles", action="store_true",
                   help="labelme: write rotated boxes as oriented rectangles, not polygons")
    p.add_argument("--refuse-losses", action="store_true",
                   help="write nothing when the format cannot hold every shape as it is")
    p.set_defaults(func=cmd_export)

    isub = group(sub, "import", "bring images or labels into a dataset", parser_class)
    i = isub.add_parser("labels", parents=[json_opt], help="import labels from an exchange format")
    i.add_argument("path", metavar="PATH", help="a file, folder or zip archive")
    i.add_argument("--format", required=True, choices=FORMAT_NAMES)
    i.add_argument("--dataset", required=True)
    i.add_argument("--into", default="ground-truth",
                   help="ground-truth (default), annotator:MEMBER or predictions:MODEL@VERSION")
    i.add_argument("--replace", action="store_true",
                   help="replace the set's annotations on the images in the file (predictions "
                        "are always replaced)")
    i.add_argument("--no-new-classes", action="store_true",
                   help="refuse labels that are not classes of the dataset instead of adding them")
    i.add_argument("--ground-truth", metavar="FILE", default=None,
                   help="COCO results list: the COCO file whose image and category ids it uses")
    i.add_argument("--yolo-task", choices=YOLO_TASKS, default=None)
    i.set_defaults(func=cmd_import_labels)
