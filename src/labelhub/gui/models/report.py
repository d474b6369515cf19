"""An evaluation as a report: one HTML file with its charts (PNG, embedded as base64) and
tables, and the evaluation's JSON beside it."""

from __future__ import annotations

import base64
import html
import json
import os
from pathlib import Path
from typing import Any

from labelhub import __version__
from labelhub.gui.models import charts
from labelhub.gui.models.tables import fmt
from labelhub.gui.models.viewer import class_rows, per_class_chart, pr_curves_chart, summary_rows

_CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 32px auto; max-width: 1100px;
       color: #1d2127; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 32px; }
.sub { color: #5f6873; } table { border-collapse: collapse; margin: 8px 0; }
td, th { border-bottom: 1px solid #d9dde3; padding: 4px 10px; text-align: right; }
td:first-child, th:first-child { text-align: left; } th { background: #f4f5f7; }
img { max-width: 100%; border: 1px solid #d9dde3; margin: 6px 0; }
"""


def _table(headers: list[str], rows: list[tuple[Any, ...]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(fmt(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _image(png: bytes, alt: str) -> str:
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"


def report_html(viewer: Any) -> str:
    """The report of what ``viewer`` shows, at its current score threshold."""
    run, outcome, score = viewer.run, viewer.outcome, viewer.score
    p = outcome.params
    title = outcome.info.title if outcome.info else f"{p['predictions']} on {p['dataset']} v{p['version']}"
    parts = [f"<h1>{html.escape(title)}</h1>",
             f"<p class='sub'>Dataset version {html.escape(p['dataset'])} v{p['version']} (manifest "
             f"{html.escape(str(p.get('manifest_hash', ''))[:16])}) · predictions {html.escape(p['predictions'])} as of "
             f"change {p['predictions_seq']}, hash {outcome.predictions_hash[:16]}"
             + (f" · evaluation {outcome.info.uid} by {html.escape(outcome.info.created_by or '-')} at "
                f"{html.escape(outcome.info.created_at)}" if outcome.info else "")
             + f" · tables at score threshold {score:.2f}, IoU 0.5 · LabelHub {__version__}</p>",
             "<h2>Summary</h2>", _table(["metric", "setting", "value"], summary_rows(run, score))]
    o = run.overall(score)
    parts.append(f"<p>At score ≥ {score:.2f}: precision {o['precision']:.3f}, recall {o['recall']:.3f}, "
                 f"F1 {o['f1']:.3f} ({o['tp']} true positives, {o['fp']} false positives, {o['fn']} missed).</p>")
    headers = [viewer.class_table.horizontalHeaderItem(c).text() for c in range(viewer.class_table.columnCount())]
    parts += ["<h2>Per class</h2>", _table(headers, class_rows(run, score))]
    labels, matrix = run.confusion(score)
    views = [("Per class", charts.chart_view(per_class_chart(run, score)))]
    if run.task == "detection":
        views.append(("Precision–recall curves", charts.chart_view(pr_curves_chart(run, score))))
    views.append(("Confusion matrix", charts.ConfusionChartView(labels, matrix, title=f"score ≥ {score:.2f} · IoU 0.5")))
    for caption, view in views:
        parts += [f"<h2>{caption} (chart)</h2>", _image(charts.png_bytes(view), caption)]
        view.deleteLater()
    for s in outcome.results.get("slices", []):
        rows = [(v["value"], v["items"], v["ground_truth"], v["predictions"], v.get("ap", v.get("accuracy")),
                 v.get("precision"), v.get("recall"), v.get("f1")) for v in s["values"]]
        main = "AP" if run.task == "detection" else "accuracy"
        parts += [f"<h2>Slices by {html.escape(s['field'])} (at the stored threshold)</h2>",
                  _table(["value", "items", "labels", "predictions", main, "precision", "recall", "F1"], rows)]
    errors = viewer.errors[:100]
    if errors:
        parts += [f"<h2>Suspected label errors ({len(viewer.errors)}; the first {len(errors)})</h2>",
                  _table(["#", "suspicion", "image", "predicted", "labelled", "score"],
                         [(i + 1, "label missing?" if e.kind == "missing_label" else "wrong class?", e.item_name,
                           e.predicted, e.labelled or "—", e.score) for i, e in enumerate(errors)])]
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>")


def _write(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def export_report(viewer: Any, path: Path) -> tuple[Path, Path]:
    """Write ``path`` (HTML) and the evaluation's JSON beside it (same name, .json)."""
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        path = path.with_suffix(".html")
    json_path = path.with_suffix(".json")
    _write(path, report_html(viewer))
    _write(json_path, json.dumps(viewer.outcome.to_dict(), indent=2, ensure_ascii=False, sort_keys=True))
    return path, json_path
