"""Commands for the model registry and evaluations: model add|list|show|stage|lineage, model
version add|show|edit, evaluate, evaluation list|show|compare."""

from __future__ import annotations

import argparse
import json
import threading
from datetime import datetime
from typing import Any

from labelhub.cli._common import ProgressBar, UsageError, open_project, out
from labelhub.errors import Cancelled, PermissionDenied

CARD_OPTIONS = (("intended_uses", "what the model is meant for"),
                ("out_of_scope_uses", "uses it must not be put to"),
                ("limitations", "known limitations, biases and failure modes"))


def _when(time: str) -> str:
    try:
        return datetime.fromisoformat(time).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return time or "-"


def _num(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and value < 0:
        return "n/a"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _params(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"--params is not valid JSON: {error.msg} at character {error.pos}") from None
    if not isinstance(value, dict):
        raise UsageError('--params must be a JSON object, e.g. \'{"lr": 0.01}\'')
    return value


def _card(args: argparse.Namespace) -> dict[str, str]:
    return {k: getattr(args, k) for k, _h in CARD_OPTIONS if getattr(args, k) is not None}


# ----------------------------------------------------------------------------------- text
def _model_line(m: Any) -> str:
    prod = m.production
    at_glance = f"production: {prod.version}" if prod else "nothing in production"
    return f"{m.name:<24} {len(m.versions):>3} versions  {at_glance:<28} {m.task}"


def _version_line(v: Any) -> str:
    trained = v.trained_on.ref if v.trained_on else "-"
    stage = v.stage + (f" ({v.stage_reason})" if v.stage == "archived" and v.stage_reason else "")
    return f"  {v.version:<12} {stage:<32} trained on {trained:<16} {_when(v.created_at)} {v.created_by or '-'}"


def _version_text(v: Any, history: list[Any], evaluations: list[Any]) -> str:
    lines = [f"{v.ref}  [{v.stage}]" + (f"  {v.stage_reason}" if v.stage_reason else "")]
    if v.description:
        lines.append(f"  {v.description}")
    trained = f"{v.trained_on.ref} (manifest {v.trained_on.manifest_hash[:12]})" if v.trained_on else "-"
    lines += [f"  registered         {_when(v.created_at)} by {v.created_by or '-'} (change {v.created_seq})",
              f"  framework          {v.framework or '-'}",
              f"  trained on         {trained}",
              f"  code revision      {v.code_revision or '-'}",
              f"  artifact           {v.artifact_sha256 or '-'}"
              + (f"\n                     {v.artifact_location}" if v.artifact_location else ""),
              f"  hyperparameters    {json.dumps(v.params, sort_keys=True) if v.params else '-'}",
              f"  tags               {', '.join(v.tags) or '-'}"]
    for key, _h in CARD_OPTIONS:
        lines.append(f"  {key.replace('_', ' '):<18} {v.card.get(key) or '-'}")
    lines.append("  stages:")
    lines += [f"    {_when(h.time)} {h.member or '-':<10} {h.stage_from or '(new)'} -> {h.stage_to}"
              + (f": {h.reason}" if h.reason else "") for h in history]
    if evaluations:
        lines.append("  evaluations:")
        for e in evaluations:
            name, value = e.headline
            lines.append(f"    {e.uid[:10]}  {e.dataset} v{e.version} {e.iou_type:<9} {name} {_num(value)}")
    return "\n".join(lines)


def _evaluation_text(d: dict[str, Any]) -> str:
    lines = []
    if d.get("uid"):
        lines.append(f"evaluation {d['uid']}: {d['predictions']} on {d['dataset']} v{d['version']}")
    else:
        p = d["params"]
        lines.append(f"{p['predictions']} on {p['dataset']} v{p['version']} (not stored)")
    lines += d.get("summary_lines") or [f"  {k:<20} {_num(v)}" for k, v in (d.get("classification") or {}).items()]
    thr = d.get("threshold", {}).get("score")
    if d["task"] == "detection":
        lines.append(f"\n{'class':<20} {'AP':>6} {'AP50':>6} {'AP75':>6} {'AR':>6} {'GT':>6} {'pred':>6}   "
                     f"at score >= {thr}: {'P':>6} {'R':>6} {'F1':>6}")
        for r in d["per_class"]:
            lines.append(f"{r['class']:<20} {_num(r['ap']):>6} {_num(r['ap50']):>6} {_num(r['ap75']):>6} "
                         f"{_num(r['ar']):>6} {r['num_gt']:>6} {r['num_dt']:>6}   {'':>16}{_num(r['precision']):>6} "
                         f"{_num(r['recall']):>6} {_num(r['f1']):>6}")
    else:
        lines.append(f"\n{'class':<20} {'P':>6} {'R':>6} {'F1':>6} {'AUC':>6} {'support':>8}   (score >= {thr})")
        for r in d["per_class"]:
            lines.append(f"{r['class']:<20} {_num(r['precision']):>6} {_num(r['recall']):>6} {_num(r['f1']):>6} "
                         f"{_num(r['roc_auc']):>6} {r['support']:>8}")
    for s in d.get("slices", []):
        lines.append(f"\nslices by {s['field']}:")
        for v in s["values"]:
            main = f"AP {_num(v['ap'])}" if "ap" in v else f"accuracy {_num(v.get('accuracy'))}"
            lines.append(f"  {v['value']:<20} {v['items']:>6} items {v['ground_truth']:>7} labels  {main}  "
                         f"F1 {_num(v.get('f1'))}")
    errors = d.get("suspected_errors", [])
    if errors:
        lines.append(f"\nsuspected label errors ({len(errors)}, most confident first):")
        for s in errors[:15]:
            what = (f"{s['predicted']} predicted where nothing is labelled" if s["kind"] == "missing_label"
                    else f"{s['predicted']} predicted on a {s['labelled']}")
            lines.append(f"  {s['score']:.2f}  {s['item_name']:<28} {what}")
    for note in d.get("notes", []):
        lines.append(f"note: {note}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------- commands
def cmd_model(args: argparse.Namespace) -> int:
    sub = args.model_cmd
    with open_project(args, backup=sub in ("add", "stage", "version")) as p:
        if sub == "add":
            m = p.add_model(args.name, description=args.description or "", task=args.task or "")
            out(args, m.to_dict(), f"registered model {m.name}")
        elif sub == "list":
            models = p.models()
            out(args, {"models": [m.to_dict() for m in models]},
                lambda: "\n".join(_model_line(m) for m in models) or "no model is registered yet")
        elif sub == "show":
            m = p.model(args.name)
            out(args, m.to_dict(), lambda: "\n".join(
                [_model_line(m)] + ([f"  {m.description}"] if m.description else [])
                + [_version_line(v) for v in m.versions]))
        elif sub == "stage":
            v = p.set_model_stage(args.name, args.version, args.stage, args.reason or "")
            out(args, v.to_dict(), f"{v.ref} is now in {v.stage}")
        elif sub == "lineage":
            dataset, _sep, version = args.dataset.partition("@")
            found = p.trained_on(dataset, version or None)
            out(args, {"dataset": dataset, "version": version or None, "model_versions": [v.to_dict() for v in found]},
                lambda: "\n".join(f"{v.ref:<30} trained on {v.trained_on.ref:<16} [{v.stage}]" for v in found)
                or f"no model version was trained on {args.dataset}")
        else:
            return cmd_model_version(args, p)
    return 0


def cmd_model_version(args: argparse.Namespace, p: Any) -> int:
    sub = args.model_version_cmd
    if sub == "add":
        cancel = threading.Event()
        try:
            v = p.add_model_version(
                args.name, args.version, description=args.description or "", framework=args.framework or "",
                params=_params(args.params), trained_on=args.trained_on, code_revision=args.code_revision or "",
                tags=args.tag, artifact=args.artifact, copy_artifact=args.copy_artifact,
                progress=None if args.json or not args.artifact else ProgressBar("hashing"), cancel=cancel,
                **_card(args))
        except KeyboardInterrupt:
            raise Cancelled("registering the model version was interrupted; nothing was written") from None
        out(args, v.to_dict(), f"registered {v.ref}" + (f", trained on {v.trained_on.ref}" if v.trained_on else ""))
    elif sub == "edit":
        v = p.update_model_version(args.name, args.version, description=args.description, framework=args.framework,
                                   params=_params(args.params), code_revision=args.code_revision,
                                   tags=args.tag, **_card(args))
        out(args, v.to_dict(), f"updated {v.ref}")
    else:
        v = p.model_version(args.name, args.version)
        history = p.stage_history(args.name, args.version)
        evaluations = [e for e in p.evaluations(model=args.name) if e.model_version == args.version]
        data = {**v.to_dict(), "stage_history": [vars(h) for h in history],
                "evaluations": [{"uid": e.uid, "dataset": e.dataset, "version": e.version, "iou_type": e.iou_type,
                                 "headline": list(e.headline)} for e in evaluations]}
        out(args, data, lambda: _version_text(v, history, evaluations))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    cancel = threading.Event()
    with open_project(args, backup=not args.no_store) as p:
        if not args.no_store and not p.can("evaluation.run"):
            raise PermissionDenied(f"{p.member.name} is {p.member.role.value}: storing an evaluation needs the "
                                   "reviewer role; add --no-store to compute it without storing it")
        try:
            outcome = p.evaluate(args.dataset, args.version, args.predictions, iou_type=args.iou_type,
                                 task=args.task, score_threshold=args.threshold, confident=args.confident,
                                 slices=args.slice or [], store=not args.no_store,
                                 progress=None if args.json else ProgressBar("evaluating"), cancel=cancel)
        except KeyboardInterrupt:
            raise Cancelled("evaluation interrupted; nothing was stored") from None
    data = outcome.to_dict()
    out(args, data, lambda: _evaluation_text(data))
    return 0


def cmd_evaluation(args: argparse.Namespace) -> int:
    with open_project(args) as p:
        if args.evaluation_cmd == "list":
            found = p.evaluations(dataset=args.dataset, model=args.model)
            out(args, {"evaluations": [{"uid": e.uid, "title": e.title, "dataset": e.dataset, "version": e.version,
                                        "predictions": e.model_ref, "task": e.task, "iou_type": e.iou_type,
                                        "headline": list(e.headline), "created_at": e.created_at,
                                        "created_by": e.created_by} for e in found]},
                lambda: "\n".join(f"{e.uid[:10]}  {_when(e.created_at)}  {e.title:<50} {e.headline[0]} "
                                  f"{_num(e.headline[1])}" for e in found) or "no evaluations yet")
        elif args.evaluation_cmd == "show":
            data = p.evaluation(args.uid).to_dict()
            out(args, data, lambda: _evaluation_text(data))
        else:
            cmp = p.compare_evaluations(args.a, args.b)
            out(args, cmp.to_dict(), lambda: _compare_text(cmp))
    return 0


def _compare_text(cmp: Any) -> str:
    lines = [f"a: {cmp.a.uid[:10]} {cmp.a.title}", f"b: {cmp.b.uid[:10]} {cmp.b.title}"]
    lines += [f"note: {n}" for n in cmp.notes]
    lines.append(f"\n{'':<10} {'a':>7} {'b':>7} {'b - a':>8}")
    for name, a, b, d in cmp.summary:
        lines.append(f"{name:<10} {_num(a):>7} {_num(b):>7} {'' if d is None else f'{d:+.3f}':>8}")
    key = "ap" if cmp.a.task == "detection" else "f1"
    lines.append(f"\n{'class':<20} {key + ' a':>7} {key + ' b':>7} {'b - a':>8}")
    for r in cmp.per_class:
        d = r[f"delta_{key}"]
        lines.append(f"{r['class']:<20} {_num(r[f'a_{key}']):>7} {_num(r[f'b_{key}']):>7} "
                     f"{'' if d is None else f'{d:+.3f}':>8}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------- parsers
def _version_options(v: argparse.ArgumentParser, adding: bool) -> None:
    v.add_argument("--description", default=None)
    v.add_argument("--framework", default=None, help="e.g. pytorch, onnx")
    v.add_argument("--params", default=None, metavar="JSON", help="hyperparameters as a JSON object")
    v.add_argument("--code-revision", default=None, metavar="REV", help="the code's commit or tag")
    v.add_argument("--tag", action="append", metavar="TAG", help="a free tag (repeatable)")
    for key, help_text in CARD_OPTIONS:
        v.add_argument(f"--{key.replace('_', '-')}", dest=key, default=None, help=help_text)
    if adding:
        v.add_argument("--trained-on", default=None, metavar="DATASET@V", help="the dataset version it was trained on")
        v.add_argument("--artifact", default=None, metavar="PATH", help="the model file (hashed)")
        v.add_argument("--copy-artifact", action="store_true", help="also copy the file into the project")


def register(sub: argparse._SubParsersAction, json_opt: argparse.ArgumentParser, parser_class: type) -> None:
    """Add this module's commands to the `labelhub` parser."""
    p = sub.add_parser("model", help="the model registry: models, versions, stages, lineage")
    msub = p.add_subparsers(dest="model_cmd", metavar="ACTION", required=True, parser_class=parser_class)
    m = msub.add_parser("add", parents=[json_opt], help="register a model (leads)")
    m.add_argument("name")
    m.add_argument("--task", default="", help="e.g. detection, segmentation, classification")
    m.add_argument("--description", default="")
    msub.add_parser("list", parents=[json_opt], help="models, and which version is in production")
    m = msub.add_parser("show", parents=[json_opt], help="a model and its versions")
    m.add_argument("name")
    m = msub.add_parser("stage", parents=[json_opt], help="move a version to another stage (leads)")
    m.add_argument("name")
    m.add_argument("version")
    m.add_argument("stage", choices=["development", "staging", "production", "archived"])
    m.add_argument("--reason", default="", help="why (required for archived)")
    m = msub.add_parser("lineage", parents=[json_opt], help="the model versions trained on a dataset (version)")
    m.add_argument("dataset", metavar="DATASET[@V]")
    m = msub.add_parser("version", help="add, show or edit a model version")
    vsub = m.add_subparsers(dest="model_version_cmd", metavar="ACTION", required=True, parser_class=parser_class)
    v = vsub.add_parser("add", parents=[json_opt], help="register a version (leads)")
    v.add_argument("name")
    v.add_argument("version")
    _version_options(v, adding=True)
    v = vsub.add_parser("edit", parents=[json_opt], help="edit a version's card, params and tags (leads)")
    v.add_argument("name")
    v.add_argument("version")
    _version_options(v, adding=False)
    v = vsub.add_parser("show", parents=[json_opt], help="a version's model card, stages and evaluations")
    v.add_argument("name")
    v.add_argument("version")
    p.set_defaults(func=cmd_model)

    e = sub.add_parser("evaluate", parents=[json_opt],
                       help="measure a model version's predictions against a dataset version")
    e.add_argument("--dataset", required=True)
    e.add_argument("--version", required=True, metavar="V", help="the dataset version: number or tag")
    e.add_argument("--predictions", required=True, metavar="MODEL@VERSION")
    e.add_argument("--iou-type", default="bbox", choices=["bbox", "segm", "keypoints"])
    e.add_argument("--task", default="auto", choices=["auto", "detection", "classification"],
                   help="auto: classification when the labels are all tags")
    e.add_argument("--threshold", type=float, default=0.5, metavar="SCORE",
                   help="score threshold for precision, recall, F1 and the confusion matrix (0.5)")
    e.add_argument("--confident", type=float, default=0.7, metavar="SCORE",
                   help="score from which disagreements are listed as suspected label errors (0.7)")
    e.add_argument("--slice", action="append", metavar="FIELD", help="split, tags, image_labels or meta.KEY (repeatable)")
    e.add_argument("--no-store", action="store_true", help="compute only; do not keep the evaluation")
    e.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("evaluation", help="stored evaluations: list, show, compare")
    esub = p.add_subparsers(dest="evaluation_cmd", metavar="ACTION", required=True, parser_class=parser_class)
    e = esub.add_parser("list", parents=[json_opt])
    e.add_argument("--dataset", default=None)
    e.add_argument("--model", default=None)
    e = esub.add_parser("show", parents=[json_opt])
    e.add_argument("uid", help="the evaluation's uid or the start of it")
    e = esub.add_parser("compare", parents=[json_opt], help="two evaluations side by side, per class")
    e.add_argument("a")
    e.add_argument("b")
    p.set_defaults(func=cmd_evaluation)
