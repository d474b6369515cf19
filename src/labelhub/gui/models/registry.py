"""The registry page: models and their versions, which is in production, each version's model
card, stage history and evaluations; registering and stage changes for leads."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labelhub.errors import LabelHubError
from labelhub.gui.messages import show_error
from labelhub.gui.models.registry_dialogs import NewModelDialog, StageDialog, VersionDialog
from labelhub.gui.tasks import BackgroundTask, Progress
from labelhub.gui.widgets import EmptyState

STAGE_COLORS = {"development": "#6b7280", "staging": "#d97706", "production": "#16a34a", "archived": "#9ca3af"}
REF_ROLE = Qt.ItemDataRole.UserRole


def _when(time: str) -> str:
    return time[:16].replace("T", " ") if time else "–"


def card_html(v: Any, history: list[Any], evaluations: list[Any]) -> str:
    """A model version's card as rich text."""
    def row(name: str, value: str) -> str:
        return f"<tr><td style='color:gray;padding-right:14px'>{name}</td><td>{value or '–'}</td></tr>"

    e = html.escape
    stage = f"<span style='color:{STAGE_COLORS[v.stage]}'><b>{v.stage}</b></span>"
    if v.stage_reason:
        stage += f" — {e(v.stage_reason)}"
    trained = (f"{e(v.trained_on.ref)} (manifest {v.trained_on.manifest_hash[:12]}"
               + (", deprecated" if v.trained_on.deprecated else "") + ")") if v.trained_on else ""
    artifact = ""
    if v.artifact_sha256:
        where = "copied into the project" if v.artifact_copied else e(v.artifact_location or "")
        artifact = f"sha256 {v.artifact_sha256[:16]}…<br><small>{where}</small>"
    params = "<br>".join(f"{e(k)} = {e(json.dumps(val))}" for k, val in sorted(v.params.items()))
    rows = [row("stage", stage), row("registered", f"{_when(v.created_at)} by {e(v.created_by or '–')}"),
            row("framework", e(v.framework)), row("trained on", trained), row("code revision", e(v.code_revision)),
            row("artifact", artifact), row("hyperparameters", params), row("tags", e(", ".join(v.tags))),
            row("intended uses", e(v.card.get("intended_uses", ""))),
            row("out-of-scope uses", e(v.card.get("out_of_scope_uses", ""))),
            row("limitations", e(v.card.get("limitations", "")))]
    stages = "".join(f"<li>{_when(h.time)} {e(h.member or '–')}: {e(h.stage_from or 'registered')} → "
                     f"<b>{e(h.stage_to)}</b>{(' — ' + e(h.reason)) if h.reason else ''}</li>" for h in history)
    evals = "".join(f"<li>{e(x.dataset)} v{x.version} ({e(x.iou_type)}): {x.headline[0]} "
                    f"{'–' if x.headline[1] is None else f'{x.headline[1]:.3f}'} "
                    f"<small>{_when(x.created_at)}</small></li>" for x in evaluations) or "<li>none yet</li>"
    desc = f"<p>{e(v.description)}</p>" if v.description else ""
    return (f"<h2 style='margin-bottom:2px'>{e(v.ref)}</h2>{desc}<table>{''.join(rows)}</table>"
            f"<h3>Stages</h3><ul>{stages}</ul><h3>Evaluations</h3><ul>{evals}</ul>")


class RegistryPage(QWidget):
    """Models on the left (production at a glance), the selected version's card on the right."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project: Any = None
        self.task: BackgroundTask | None = None
        self.models: list[Any] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        bar = QHBoxLayout()
        self.new_model_button = QPushButton("Register model…", self)
        self.new_version_button = QPushButton("Add version…", self)
        self.stage_button = QPushButton("Change stage…", self)
        self.edit_button = QPushButton("Edit model card…", self)
        for button, slot in ((self.new_model_button, self.new_model), (self.new_version_button, self.new_version),
                             (self.stage_button, self.change_stage), (self.edit_button, self.edit_version)):
            button.clicked.connect(slot)
            bar.addWidget(button)
        bar.addStretch(1)
        layout.addLayout(bar)
        self.stack = QStackedWidget(self)
        self.empty = EmptyState("models", "No models yet",
                                "Register a model, then its versions with what each was trained on, its "
                                "hyperparameters and model card. Leads move versions between development, "
                                "staging, production and archived.", "", self.stack)
        split = QSplitter(Qt.Orientation.Horizontal, self.stack)
        self.tree = QTreeWidget(split)
        self.tree.setHeaderLabels(["Model / version", "Stage", "Trained on"])
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.currentItemChanged.connect(lambda *_a: self._show_selected())
        scroll = QScrollArea(split)
        scroll.setWidgetResizable(True)
        self.card = QLabel(scroll)
        self.card.setTextFormat(Qt.TextFormat.RichText)
        self.card.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.card.setWordWrap(True)
        self.card.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.card.setContentsMargins(16, 8, 16, 8)
        scroll.setWidget(self.card)
        split.addWidget(self.tree)
        split.addWidget(scroll)
        split.setSizes([430, 560])
        self.stack.addWidget(self.empty)
        self.stack.addWidget(split)
        layout.addWidget(self.stack, 1)
        self._update_buttons()

    # ---------------------------------------------------------------------------- content
    def set_project(self, project: Any) -> None:
        self.project = project
        self.refresh()

    def refresh(self) -> None:
        if self.project is None:
            self.models = []
            self.tree.clear()
            self.card.clear()
            self._update_buttons()
            return
        keep = self.selected_ref()
        try:
            self.models = self.project.models()
        except LabelHubError as error:
            show_error(self, error)
            return
        self.tree.clear()
        bold = QFont(self.tree.font())
        bold.setBold(True)
        target = None
        for m in self.models:
            prod = m.production
            top = QTreeWidgetItem(self.tree, [m.name, f"● {prod.version} in production" if prod else "–", ""])
            top.setFont(0, bold)
            top.setData(0, REF_ROLE, m.name)
            top.setToolTip(0, m.description or m.name)
            if prod:
                top.setForeground(1, QColor(STAGE_COLORS["production"]))
            for v in reversed(m.versions):
                child = QTreeWidgetItem(top, [v.version, v.stage, v.trained_on.ref if v.trained_on else "–"])
                child.setForeground(1, QColor(STAGE_COLORS[v.stage]))
                child.setData(0, REF_ROLE, v.ref)
                if v.ref == keep:
                    target = child
            if m.name == keep:
                target = top
            top.setExpanded(True)
        self.stack.setCurrentIndex(1 if self.models else 0)
        if target is None and self.tree.topLevelItemCount():
            first = self.tree.topLevelItem(0)
            target = first.child(0) if first.childCount() else first
        if target is not None:
            self.tree.setCurrentItem(target)
        self._show_selected()

    def selected_ref(self) -> str | None:
        item = self.tree.currentItem()
        return None if item is None else item.data(0, REF_ROLE)

    def selected_model(self) -> Any:
        ref = self.selected_ref()
        name = ref.rpartition("@")[0] if ref and "@" in ref else ref
        return next((m for m in self.models if m.name == name), None)

    def selected_version(self) -> Any:
        ref = self.selected_ref()
        model = self.selected_model()
        if not ref or "@" not in ref or model is None:
            return None
        return model.version(ref.rpartition("@")[2])

    def select(self, ref: str) -> None:
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            for item in [top, *(top.child(k) for k in range(top.childCount()))]:
                if item.data(0, REF_ROLE) == ref:
                    self.tree.setCurrentItem(item)
                    return

    def _show_selected(self) -> None:
        v, m = self.selected_version(), self.selected_model()
        if v is not None and self.project is not None:
            history = self.project.stage_history(v.model, v.version)
            evaluations = [e for e in self.project.evaluations(model=v.model) if e.model_version == v.version]
            self.card.setText(card_html(v, history, evaluations))
        elif m is not None:
            prod = m.production
            self.card.setText(f"<h2>{html.escape(m.name)}</h2><p>{html.escape(m.description)}</p>"
                              f"<p>task: {html.escape(m.task or '–')} · registered {_when(m.created_at)} by "
                              f"{html.escape(m.created_by or '–')}</p><p>{len(m.versions)} versions; "
                              + (f"<b>{html.escape(prod.version)}</b> is in production" if prod else
                                 "none is in production") + "</p>")
        else:
            self.card.setText("")
        self._update_buttons()

    def _update_buttons(self) -> None:
        can_register = self.project is not None and self.project.can("model.register")
        can_stage = self.project is not None and self.project.can("model.stage")
        tip = "" if can_register else "Only a lead can register models and change their stages."
        has_model, has_version = self.selected_model() is not None, self.selected_version() is not None
        for button, allowed, needs in ((self.new_model_button, can_register, True),
                                       (self.new_version_button, can_register, has_model),
                                       (self.stage_button, can_stage, has_version),
                                       (self.edit_button, can_register, has_version)):
            button.setEnabled(allowed and needs)
            button.setToolTip(tip)

    # ---------------------------------------------------------------------------- actions
    def _dataset_versions(self) -> dict[str, list[tuple[str, str]]]:
        out = {}
        for d in self.project.datasets():
            versions = self.project.versions(d.name)
            out[d.name] = [(str(v.number), v.label) for v in reversed(versions)]
        return out

    def new_model(self) -> None:
        dialog = NewModelDialog(self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        values = dialog.values()
        try:
            self.project.add_model(values["name"], task=values["task"], description=values["description"])
        except LabelHubError as error:
            show_error(self, error, title="Register a model")
            return
        self.refresh()
        self.select(values["name"])
        self.changed.emit()

    def new_version(self) -> BackgroundTask | None:
        model = self.selected_model()
        if model is None:
            return None
        dialog = VersionDialog(model.name, self._dataset_versions(), parent=self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return self.add_version(model.name, dialog.values())

    def add_version(self, model: str, values: dict[str, Any]) -> BackgroundTask:
        """Register a version on a worker (hashing an artifact can take a while)."""
        folder, member = self.project.folder, self.project.member.name
        version = values.pop("version")

        def job(progress: Progress, cancel: Any) -> Any:
            from labelhub.project import Project

            with Project.open(folder, user=member, backup=False) as p:
                return p.add_model_version(model, version, progress=progress, cancel=cancel, **values)

        def done(info: Any) -> None:
            self.refresh()
            self.select(info.ref)
            self.changed.emit()

        label = f"Registering {model}@{version}" + (f" (hashing {Path(values['artifact']).name})"
                                                     if values.get("artifact") else "") + "…"
        self.task = BackgroundTask(self, "Add version", label, job, on_success=done,
                                   on_error=lambda error: show_error(self, error, title="Add version"))
        self.task.start()
        return self.task

    def edit_version(self) -> None:
        v = self.selected_version()
        if v is None:
            return
        dialog = VersionDialog(v.model, {}, existing=v, parent=self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            self.project.update_model_version(v.model, v.version, **dialog.values())
        except LabelHubError as error:
            show_error(self, error, title="Edit model card")
            return
        self.refresh()
        self.changed.emit()

    def change_stage(self) -> None:
        v, m = self.selected_version(), self.selected_model()
        if v is None:
            return
        dialog = StageDialog(v, m.production.version if m.production else None, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        stage, reason = dialog.values()
        self.set_stage(v.model, v.version, stage, reason)

    def set_stage(self, model: str, version: str, stage: str, reason: str) -> bool:
        try:
            self.project.set_model_stage(model, version, stage, reason)
        except LabelHubError as error:
            show_error(self, error, title="Change stage")
            return False
        self.refresh()
        self.changed.emit()
        return True
