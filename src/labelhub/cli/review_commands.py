"""Commands for assignments, agreement and review: assign, agreement, task list|next|start|submit
(an annotator's own work), and review policy|status|queue|show|accept|reject|reassign|unassign|
comment|comments|resolve|lineage."""

from __future__ import annotations

import argparse
import math
import threading
from typing import Any

from labelhub.cli._common import ProgressBar, UsageError, open_project, out
from labelhub.errors import Cancelled


def _names(text: str | None) -> list[str]:
    return [n.strip() for n in (text or "").split(",") if n.strip()]


def _num(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def _yes_no(text: str) -> bool:
    value = text.strip().lower()
    if value in ("yes", "true", "on", "1"):
        return True
    if value in ("no", "false", "off", "0"):
        return False
    raise UsageError(f"say yes or no, not {text!r}")


# ------------------------------------------------------------------------------ assign
def cmd_assign(args: argparse.Namespace) -> int:
    annotators = _names(args.annotators)
    if not annotators:
        raise UsageError("--annotators takes names separated by commas, e.g. ana,ben")
    with open_project(args, backup=True) as p:
        report = p.assign(args.dataset, annotators, overlap=args.overlap, mode=args.mode,
                          items=_names(args.items) or None, split=args.split, match=args.match,
                          only_unassigned=args.only_unassigned)
    out(args, {"dataset": args.dataset, **report.to_dict()}, report.summary())
    return 0


# --------------------------------------------------------------------------- agreement
def _agreement_text(d: dict[str, Any]) -> str:
    names = d["annotators"]
    lines = [f"agreement in {d['dataset']} (IoU >= {d['iou_threshold']:g}): "
             f"{d['items']['compared']} items compared, {d['items']['rated']} labelled, "
             f"{d['items']['accepted']} accepted"]
    if len(names) < 2:
        lines.append("fewer than two annotators have labelled items: nothing to compare")
    if d["shapes_compared"] and names:
        lines.append(f"shapes F1 {_num(d['f1'])}")
        width = max(max(len(n) for n in names) + 2, 8)
        lines.append(" " * width + "".join(f"{n:>{width}}" for n in names))
        for n, row in zip(names, d["pairs"]["f1"], strict=True):
            lines.append(f"{n:<{width}}" + "".join(f"{_num(v):>{width}}" for v in row))
        lines.append("per annotator:  F1 vs others   F1 vs accepted   items")
        for n, a in d["per_annotator"].items():
            lines.append(f"  {n:<14}{_num(a['f1']):>12}{_num(a['f1_vs_accepted']):>17}{a['items']:>8}")
        lines.append("per class:      F1        shapes")
        for c, v in d["classes"].items():
            lines.append(f"  {c:<14}{_num(v['f1']):>6}{v['shapes']:>14}")
    tags = d.get("tags")
    if tags:
        lines.append(f"tags on {tags['items']} items rated twice or more: "
                     f"Fleiss' kappa {_num(tags['fleiss_kappa'])}, "
                     f"Krippendorff's alpha {_num(tags['krippendorff_alpha'])}")
        for pair, k in tags["cohen_kappa"]["pairs"].items():
            lines.append(f"  Cohen's kappa {pair}: {_num(k)}")
        lines += [f"  note: {n}" for n in tags["notes"]]
    if d["not_compared"]:
        lines.append(f"{d['not_compared']} polylines and points are not compared")
    return "\n".join(lines)


def cmd_agreement(args: argparse.Namespace) -> int:
    cancel = threading.Event()
    with open_project(args) as p:
        try:
            report = p.agreement(args.dataset, iou_threshold=args.iou,
                                 progress=None if args.json else ProgressBar("agreement"), cancel=cancel)
        except KeyboardInterrupt:
            raise Cancelled("agreement interrupted") from None
    data = report.to_dict(per_item=args.per_item)
    out(args, data, lambda: _agreement_text(data))
    return 0


# ------------------------------------------------------------------------------ tasks
def _entry_text(e: Any) -> str:
    line = f"{e.state:<12} {e.dataset:<16} {e.item_name}"
    if e.reviewer_comment:
        line += f"\n{'':<12} sent back: {e.reviewer_comment}"
    for c in e.comments:
        line += f"\n{'':<12} comment by {c.author}: {c.text}"
    return line


def cmd_task(args: argparse.Namespace) -> int:
    sub = args.task_cmd
    with open_project(args, backup=sub in ("start", "submit")) as p:
        if sub == "list":
            entries = p.queue(args.dataset, member=args.member)
            out(args, {"queue": [e.to_dict() for e in entries]},
                lambda: "\n".join(_entry_text(e) for e in entries) or "nothing assigned")
        elif sub == "next":
            e = p.next_task(args.dataset)
            out(args, {"next": e.to_dict() if e else None},
                _entry_text(e) if e else "nothing left to do")
        elif sub == "start":
            state = p.start_item(args.dataset, args.item)
            out(args, {"item": args.item, "state": state}, f"{args.item} is {state.replace('_', ' ')}")
        else:
            state = p.submit_item(args.dataset, args.item)
            out(args, {"item": args.item, "state": state}, f"{args.item} {state}")
    return 0


# ----------------------------------------------------------------------------- review
def _review_text(r: Any) -> str:
    lines = [f"{r.status.item_name}: {r.status.state.replace('_', ' ')}, annotators "
             f"{', '.join(r.raters) or 'none'}, F1 {_num(r.f1)}"]
    lines += [f"  {a}/{b}: F1 {_num(v)}" for (a, b), v in r.pair_f1.items()]
    for c in r.clusters:
        who = ", ".join(f"{a} {lab}" for (a, _u), lab in zip(c.members, c.labels, strict=True))
        mark = "!" if c.problem else " "
        lines.append(f" {mark} {c.family:<12} {who}" + (f"\n      {c.problem}" if c.problem else ""))
    lines += [f"  comment by {c.author}: {c.text}" for c in r.comments]
    return "\n".join(lines)


def cmd_review(args: argparse.Namespace) -> int:  # noqa: C901 - one dispatcher per group
    sub = args.review_cmd
    writes = sub in ("policy", "accept", "reject", "reassign", "unassign", "comment", "resolve")
    with open_project(args, backup=writes) as p:
        if sub == "policy":
            if args.overlap is None and args.review_required is None:
                pol = p.review_policy(args.dataset)
            else:
                pol = p.set_review_policy(args.dataset, overlap=args.overlap, review_required=(
                    None if args.review_required is None else _yes_no(args.review_required)))
            data = {"overlap": pol.overlap, "review_required": pol.review_required,
                    "submitting_accepts": pol.submitting_accepts}
            out(args, data, f"{args.dataset}: {pol.overlap} annotator(s) per item, review "
                + ("required" if pol.review_required else "not required")
                + ("; submitting accepts" if pol.submitting_accepts else ""))
        elif sub == "status":
            counts = p.state_counts(args.dataset)
            out(args, counts, lambda: "\n".join(
                [f"{k.replace('_', ' '):<18} {v}" for k, v in counts["items"].items()]
                + [f"{m}: " + ", ".join(f"{s.replace('_', ' ')} {n}" for s, n in c.items() if n)
                   for m, c in counts["annotators"].items()]))
        elif sub == "queue":
            entries = p.review_queue(args.dataset, iou_threshold=args.iou, sort=args.sort,
                                     annotator=args.annotator, label=args.label)
            out(args, {"queue": [e.to_dict() for e in entries]}, lambda: "\n".join(
                f"{_num(e.f1, 2):>5}  {e.item_name:<30} {', '.join(e.raters):<20} "
                f"{e.disagreements} class, {e.missed} missed  {', '.join(e.classes)}"
                for e in entries) or "nothing is ready for review")
        elif sub == "show":
            r = p.review_item(args.dataset, args.item, iou_threshold=args.iou, quorum=args.quorum,
                              method=args.method)
            out(args, r.to_dict(), lambda: _review_text(r))
        elif sub == "accept":
            if bool(args.annotator) == bool(args.consensus):
                raise UsageError("accept either --annotator NAME or --consensus")
            if args.annotator:
                uids = p.accept_annotator(args.dataset, args.item, args.annotator)
            else:
                uids = p.accept_consensus(args.dataset, args.item, quorum=args.quorum,
                                          method=args.method, iou_threshold=args.iou)
            out(args, {"item": args.item, "accepted": uids},
                f"accepted {args.item}: {len(uids)} ground-truth labels")
        elif sub == "reject":
            who = p.reject_item(args.dataset, args.item, args.message, _names(args.annotators) or None)
            out(args, {"item": args.item, "sent_back_to": who}, f"sent {args.item} back to {', '.join(who)}")
        elif sub == "reassign":
            n = p.reassign(args.dataset, _names(args.items), args.source, args.target)
            out(args, {"moved": n}, f"moved {n} items from {args.source} to {args.target}")
        elif sub == "unassign":
            n = p.unassign(args.dataset, _names(args.items), args.annotator)
            out(args, {"ended": n}, f"ended {n} assignments")
        elif sub == "comment":
            c = p.add_comment(args.dataset, args.item, args.message, annotation=args.annotation)
            out(args, c.to_dict(), f"comment {c.uid} added to {c.item_name}")
        elif sub == "comments":
            cs = p.comments(args.dataset, args.item, include_resolved=args.all)
            out(args, {"comments": [c.to_dict() for c in cs]}, lambda: "\n".join(
                f"{c.uid[:8]} {c.item_name:<24} {c.author:<10} "
                f"{'(resolved) ' if c.resolved else ''}{c.text}" for c in cs) or "no open comments")
        elif sub == "resolve":
            c = p.resolve_comment(args.uid, resolved=not args.reopen)
            out(args, c.to_dict(), f"comment {c.uid} " + ("resolved" if c.resolved else "open again"))
        else:
            lin = p.lineage(args.annotation)
            data = lin.to_dict()
            out(args, data, lambda: _lineage_text(data))
    return 0


def _lineage_text(d: dict[str, Any]) -> str:
    lines = [f"{d['label'] or '(no class)'} {d['shape']['kind']} in {d['label_set']} ({d['uid']})",
             f"  drawn by {', '.join(d['drawn_by']) or '-'}; accepted by {d['accepted_by'] or '-'}"
             + (f" ({d['how']})" if d["how"] else "")]
    lines += [f"  change {e['seq']:>5} {e['what']:<9} {e['member'] or '-'}" for e in d["events"]]
    for s in d["sources"]:
        lines.append(f"  from {s['annotator'] or '-'}'s {s['label'] or '(no class)'} {s['shape']['kind']} "
                     f"({s['uid']})")
        lines += [f"    change {e['seq']:>5} {e['what']:<9} {e['member'] or '-'}" for e in s["events"]]
    return "\n".join(lines)


def register(sub: argparse._SubParsersAction, json_opt: argparse.ArgumentParser, parser_class: type) -> None:
    """Add this module's commands to the `labelhub` parser."""
    p = sub.add_parser("assign", parents=[json_opt], help="assign items to annotators")
    p.add_argument("--dataset", required=True)
    p.add_argument("--annotators", required=True, metavar="A,B,C")
    p.add_argument("--overlap", type=int, default=None, metavar="K",
                   help="annotators per item (default: the dataset's review policy; sets it)")
    p.add_argument("--mode", choices=["balanced", "round-robin"], default="balanced")
    p.add_argument("--items", metavar="NAMES", help="only these items (names or uids, comma-separated)")
    p.add_argument("--split", help="only items of this split")
    p.add_argument("--match", metavar="GLOB", help="only items whose name matches, e.g. 'street/*'")
    p.add_argument("--only-unassigned", action="store_true", help="only items nobody is assigned to")
    p.set_defaults(func=cmd_assign)

    p = sub.add_parser("agreement", parents=[json_opt], help="agreement between annotators")
    p.add_argument("--dataset", required=True)
    p.add_argument("--iou", type=float, default=0.5, help="IoU a match needs (default 0.5)")
    p.add_argument("--per-item", action="store_true", help="also every item's figures")
    p.set_defaults(func=cmd_agreement)

    p = sub.add_parser("task", help="your own work: list, next, start, submit")
    tsub = p.add_subparsers(dest="task_cmd", metavar="ACTION", required=True, parser_class=parser_class)
    t = tsub.add_parser("list", parents=[json_opt], help="your queue (or --member NAME's, for reviewers)")
    t.add_argument("--dataset")
    t.add_argument("--member")
    t = tsub.add_parser("next", parents=[json_opt], help="the next item to work on")
    t.add_argument("--dataset")
    for name, text in (("start", "mark an item in progress"), ("submit", "hand an item to review")):
        t = tsub.add_parser(name, parents=[json_opt], help=text)
        t.add_argument("item", help="item name or uid")
        t.add_argument("--dataset", required=True)
    p.set_defaults(func=cmd_task)

    p = sub.add_parser("review", help="review policy, queue, accept, reject, comments, lineage")
    rsub = p.add_subparsers(dest="review_cmd", metavar="ACTION", required=True, parser_class=parser_class)

    def add(name: str, text: str, *, item: bool = False, dataset: bool = True) -> argparse.ArgumentParser:
        r = rsub.add_parser(name, parents=[json_opt], help=text)
        if dataset:
            r.add_argument("--dataset", required=True)
        if item:
            r.add_argument("item", help="item name or uid")
        return r

    def consensus_options(r: argparse.ArgumentParser) -> None:
        r.add_argument("--iou", type=float, default=0.5)
        r.add_argument("--quorum", type=int, default=None, help="votes a shape needs (default: half)")
        r.add_argument("--method", choices=["closest", "mean"], default="closest")

    r = add("policy", "show or set the review policy")
    r.add_argument("--overlap", type=int, metavar="K")
    r.add_argument("--review-required", metavar="yes|no")
    add("status", "items per state, annotators' work per state")
    r = add("queue", "items ready for review")
    r.add_argument("--iou", type=float, default=0.5)
    r.add_argument("--sort", choices=["agreement", "name", "class", "annotator"], default="agreement")
    r.add_argument("--annotator")
    r.add_argument("--class", dest="label")
    consensus_options(add("show", "one item's annotators, clusters and disagreements", item=True))
    r = add("accept", "accept one annotator's labels or the consensus", item=True)
    r.add_argument("--annotator")
    r.add_argument("--consensus", action="store_true")
    consensus_options(r)
    r = add("reject", "send an item back with a comment", item=True)
    r.add_argument("-m", "--message", required=True)
    r.add_argument("--annotators", metavar="A,B", help="only to these (default: all)")
    r = add("reassign", "move unsubmitted work to another annotator")
    r.add_argument("--items", required=True, metavar="NAMES")
    r.add_argument("--from", dest="source", required=True)
    r.add_argument("--to", dest="target", required=True)
    r = add("unassign", "take annotators off items")
    r.add_argument("--items", required=True, metavar="NAMES")
    r.add_argument("--annotator", help="only this one (default: everyone)")
    r = add("comment", "comment on an item or one of its shapes", item=True)
    r.add_argument("-m", "--message", required=True)
    r.add_argument("--annotation", metavar="UID")
    r = add("comments", "open comments (--all: resolved too)")
    r.add_argument("item", nargs="?")
    r.add_argument("--all", action="store_true")
    r = add("resolve", "resolve a comment", dataset=False)
    r.add_argument("uid")
    r.add_argument("--reopen", action="store_true")
    r = add("lineage", "who drew, changed and accepted a label", dataset=False)
    r.add_argument("annotation", metavar="UID")
    p.set_defaults(func=cmd_review)
