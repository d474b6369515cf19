"""Commands for a dataset's items: list and filter them, set their split and metadata, tag and
exclude them, import metadata from CSV, split a dataset by ratio, and the cleaning report.

    labelhub items list --dataset D [--version N|TAG] [--filter EXPR]... [--sort KEY] [--desc]
                        [--limit N] [--json]
    labelhub items set-split SPLIT|none --dataset D (ITEM... | --filter EXPR... | --all)
    labelhub items meta set KEY=VALUE... --dataset D [--remove KEY]... (ITEM... | --filter | --all)
    labelhub items meta import-csv FILE --dataset D [--key-column NAME]
    labelhub items tag --dataset D [--add T]... [--remove T]... (ITEM... | --filter | --all)
    labelhub items keep --finding KIND --dataset D ITEM...
    labelhub items exclude --dataset D (ITEM... | --filter | --all) [--reason TEXT]
    labelhub split --dataset D --ratios train=0.8,val=0.1,test=0.1 [--seed N]
                   [--stratify class|meta:KEY] [--group meta:KEY] [--only-unassigned] [--dry-run]
    labelhub clean --dataset D [--checks KIND,...] [--near-distance BITS] [--min-side PX]
                   [--max-aspect R] [--recheck]
"""

from __future__ import annotations

import argparse
import threading
from typing import Any

from labelhub.cli._common import EXIT_ERROR, ProgressBar, UsageError, open_project, out
from labelhub.errors import Cancelled

FILTER_HELP = ("name~TEXT, split=S[,S] (none: no split), status=S, class=C, no-class=C, annotator=M, "
               "batch=UID, tag=T, meta:KEY=V, meta:KEY~V, meta:KEY!=V, meta:KEY?, meta:KEY!? "
               "(repeatable; they combine with AND)")


def _query(args: argparse.Namespace) -> Any:
    from labelhub.project import ItemFilter, ItemQuery

    return ItemQuery(ItemFilter.parse(args.filter or []), getattr(args, "sort", "name"),
                     bool(getattr(args, "desc", False)))


def _chosen(p: Any, args: argparse.Namespace) -> list[str]:
    """The items a command acts on: named, matched by --filter, or --all."""
    if args.items:
        if args.filter or args.all:
            raise UsageError("name items, or use --filter or --all, not both")
        return p.resolve_items(args.dataset, args.items)
    if not args.filter and not args.all:
        raise UsageError("name the items (names or uids), or choose them with --filter EXPR, or use --all")
    uids = p.item_uids(args.dataset, _query(args))
    if not uids:
        raise UsageError("no item matches the filter")
    return uids


def cmd_items(args: argparse.Namespace) -> int:
    sub = args.items_cmd
    with open_project(args, backup=sub != "list") as p:
        if sub == "list":
            return _list(p, args)
        if sub == "set-split":
            split = None if args.split.lower() == "none" else args.split
            result = p.set_split(args.dataset, _chosen(p, args), split)
            what = f"in split {split}" if split else "out of any split"
        elif sub == "tag":
            result = p.tag_items(args.dataset, _chosen(p, args), args.add or [], args.remove or [])
            what = "tagged"
        elif sub == "keep":
            result = p.keep_findings(args.dataset, p.resolve_items(args.dataset, args.items), args.finding)
            what = f"kept for {args.finding}"
        elif sub == "exclude":
            result = p.exclude_items(args.dataset, _chosen(p, args), args.reason or "")
            what = "excluded from the dataset"
        else:
            return _meta(p, args)
    out(args, result.to_dict(), f"{result.changed} items {what}"
        + (f" ({result.unchanged} already were)" if result.unchanged else "")
        + (f", change {result.seq}" if result.seq else ""))
    return 0


def _list(p: Any, args: argparse.Namespace) -> int:
    query = _query(args)
    version = None
    if args.version is not None:  # the items as that version froze them (read-only)
        version = p.version(args.dataset, int(args.version) if args.version.isdigit() else args.version)
    at_seq = version.seq if version is not None else None
    ids = p.item_ids(args.dataset, query, at_seq=at_seq)
    total = len(ids)
    shown = ids[args.offset : args.offset + args.limit] if args.limit else ids[args.offset :]
    cols = p.item_columns(args.dataset, shown, at_seq=at_seq)
    head = {"dataset": args.dataset, "version": version.number if version is not None else None,
            "filter": query.filter.describe()}
    data = {**head, "sort": query.sort, "matching": total, "offset": args.offset,
            "items": [cols.record(i) for i in range(len(cols))]}
    if args.count:
        out(args, {**head, "matching": total}, f"{total} items")
        return 0

    def text() -> str:
        lines = [f"{cols.names[i]:<40} {cols.splits[i] or '-':<8} {cols.statuses[i]:<17} "
                 f"{int(cols.label_counts[i]):>5} labels  {int(cols.widths[i])}x{int(cols.heights[i])}"
                 for i in range(len(cols))]
        more = total - args.offset - len(cols)
        lines.append(f"{total} matching" + (f"; {more} more (use --offset/--limit)" if more > 0 else ""))
        return "\n".join(lines)

    out(args, data, text)
    return 0


def _meta(p: Any, args: argparse.Namespace) -> int:
    if args.meta_cmd == "import-csv":
        report = p.import_metadata_csv(args.dataset, args.file, key_column=args.key_column)

        def text() -> str:
            lines = [report.summary()]
            lines += [f"  line {line}: {reason}" for line, reason in report.errors]
            return "\n".join(lines)

        out(args, report.to_dict(), text)
        return EXIT_ERROR if report.errors else 0
    values: dict[str, str] = {}
    for pair in args.pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"metadata is given as KEY=VALUE, not {pair!r}")
        values[key.strip()] = value
    result = p.edit_metadata(args.dataset, _chosen(p, args), values, args.remove or [])
    out(args, result.to_dict(), f"metadata of {result.changed} items changed"
        + (f" ({result.unchanged} already had it)" if result.unchanged else ""))
    return 0


def cmd_split(args: argparse.Namespace) -> int:
    cancel = threading.Event()
    with open_project(args, backup=not args.dry_run) as p:
        options = {"seed": args.seed, "stratify": args.stratify, "group": args.group,
                   "only_unassigned": args.only_unassigned}
        try:
            if args.dry_run:
                plan = p.plan_split(args.dataset, args.ratios, **options)
            else:
                plan = p.split_items(args.dataset, args.ratios, cancel=cancel,
                                     progress=None if args.json else ProgressBar("splitting"), **options)
        except KeyboardInterrupt:
            raise Cancelled("the split was interrupted; no item changed") from None

    def text() -> str:
        lines = [plan.summary()]
        for stratum, counts in plan.strata.items():
            lines.append(f"  {stratum}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        if plan.group:
            lines.append(f"  {plan.groups} groups by {plan.group[5:]}, none split across splits")
        verb = "would change" if args.dry_run else "changed"
        lines.append(f"{len(plan.changes)} items {verb} split" + (f" (change {plan.seq})" if plan.seq else ""))
        return "\n".join(lines)

    out(args, {**plan.to_dict(), "dry_run": args.dry_run}, text)
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    from labelhub.project import CleaningOptions

    checks = tuple(c.strip() for c in args.checks.split(",") if c.strip()) if args.checks else None
    options = CleaningOptions(**({"checks": checks} if checks else {}), near_distance=args.near_distance,
                              min_side=args.min_side, max_aspect=args.max_aspect, recheck=args.recheck)
    cancel = threading.Event()
    with open_project(args) as p:
        try:
            report = p.cleaning_report(args.dataset, options, cancel=cancel,
                                       progress=None if args.json else ProgressBar("checking"))
        except KeyboardInterrupt:
            raise Cancelled("the cleaning report was interrupted") from None

    def text() -> str:
        lines = [report.summary()]
        for f in report.findings:
            lines.append(f"  {f.kind:<16} {', '.join(f.names[:4])}{' …' if len(f.names) > 4 else ''}: {f.detail}")
        return "\n".join(lines)

    out(args, report.to_dict(), text)
    return 0


def _selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("items", nargs="*", metavar="ITEM", help="item names or uids")
    p.add_argument("--dataset", required=True)
    p.add_argument("--filter", action="append", metavar="EXPR", help=FILTER_HELP)
    p.add_argument("--all", action="store_true", help="every item of the dataset")


def register(sub: argparse._SubParsersAction, json_opt: argparse.ArgumentParser, parser_class: type) -> None:
    """Add this module's commands to the `labelhub` parser."""
    from labelhub.project.findings import FINDING_KINDS
    from labelhub.project.item_filter import SORT_KEYS

    p = sub.add_parser("items", help="list, filter, split, describe, tag and exclude a dataset's items")
    isub = p.add_subparsers(dest="items_cmd", metavar="ACTION", required=True, parser_class=parser_class)
    lst = isub.add_parser("list", parents=[json_opt], help="the items matching filters, in order")
    lst.add_argument("--dataset", required=True)
    lst.add_argument("--version", default=None, metavar="N|TAG",
                     help="the items as this committed version froze them (review status and "
                          "annotators are not versioned)")
    lst.add_argument("--filter", action="append", metavar="EXPR", help=FILTER_HELP)
    lst.add_argument("--sort", default="name", metavar="KEY", help=f"{', '.join(SORT_KEYS)} or meta:KEY")
    lst.add_argument("--desc", action="store_true", help="largest first")
    lst.add_argument("--limit", type=int, default=1000, help="at most this many (0: all; default 1000)")
    lst.add_argument("--offset", type=int, default=0)
    lst.add_argument("--count", action="store_true", help="only how many match")
    s = isub.add_parser("set-split", parents=[json_opt], help="put items in a split (or none)")
    s.add_argument("split", help="split name, or none")
    _selection(s)
    t = isub.add_parser("tag", parents=[json_opt], help="add or remove tags")
    _selection(t)
    t.add_argument("--add", action="append", metavar="TAG")
    t.add_argument("--remove", action="append", metavar="TAG")
    k = isub.add_parser("keep", parents=[json_opt], help="mark a cleaning finding as seen and fine")
    k.add_argument("items", nargs="+", metavar="ITEM")
    k.add_argument("--dataset", required=True)
    k.add_argument("--finding", required=True, choices=list(FINDING_KINDS))
    e = isub.add_parser("exclude", parents=[json_opt], help="take items out of the dataset")
    _selection(e)
    e.add_argument("--reason", default="")
    m = isub.add_parser("meta", help="item metadata")
    msub = m.add_subparsers(dest="meta_cmd", metavar="ACTION", required=True, parser_class=parser_class)
    ms = msub.add_parser("set", parents=[json_opt], help="set fields (KEY= with no value removes one)")
    ms.add_argument("pairs", nargs="*", metavar="KEY=VALUE")
    ms.add_argument("--item", dest="items", action="append", default=[], metavar="ITEM",
                    help="an item name or uid (repeatable)")
    ms.add_argument("--dataset", required=True)
    ms.add_argument("--filter", action="append", metavar="EXPR", help=FILTER_HELP)
    ms.add_argument("--all", action="store_true", help="every item of the dataset")
    ms.add_argument("--remove", action="append", metavar="KEY", help="remove this field")
    mc = msub.add_parser("import-csv", parents=[json_opt], help="metadata from a CSV keyed by file name")
    mc.add_argument("file")
    mc.add_argument("--dataset", required=True)
    mc.add_argument("--key-column", default=None, help="the column naming the files (default: file, name, …)")
    p.set_defaults(func=cmd_items)

    p = sub.add_parser("split", parents=[json_opt], help="assign splits by ratio (stratified, grouped)")
    p.add_argument("--dataset", required=True)
    p.add_argument("--ratios", required=True, metavar="NAME=R,...", help="e.g. train=0.8,val=0.1,test=0.1")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--stratify", metavar="class|meta:KEY", help="equal proportions per class or field value")
    p.add_argument("--group", metavar="meta:KEY", help="items sharing this field's value stay together")
    p.add_argument("--only-unassigned", action="store_true", help="items with a split keep it")
    p.add_argument("--dry-run", action="store_true", help="print the split without writing it")
    p.set_defaults(func=cmd_split)

    p = sub.add_parser("clean", parents=[json_opt], help="the cleaning report of a dataset")
    p.add_argument("--dataset", required=True)
    p.add_argument("--checks", metavar="KIND,...", help=", ".join(FINDING_KINDS))
    p.add_argument("--near-distance", type=int, default=6, metavar="BITS")
    p.add_argument("--min-side", type=int, default=32, metavar="PX")
    p.add_argument("--max-aspect", type=float, default=10.0, metavar="R")
    p.add_argument("--recheck", action="store_true", help="re-read every file, even unchanged ones")
    p.set_defaults(func=cmd_clean)
