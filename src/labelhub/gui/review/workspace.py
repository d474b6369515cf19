"""The Review workspace.

Reviewers and leads: the queue of items ready for review (worst agreement first) on the left,
the item on the canvas with every annotator's labels as layers in the middle, and on the right
what to do with it. Leads also assign work; everyone who reviews can open the agreement report.
Annotators see their own work here: its state, the reviewer's notes, comments, and submitting.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from labelhub.errors import LabelHubError
from labelhub.gui.messages import error_text, show_error
from labelhub.gui.review.decide_panel import DecidePanel
from labelhub.gui.review.dialogs import (
    AssignDialog,
    RejectDialog,
    ReviewSettings,
    ReviewSettingsDialog,
)
from labelhub.gui.review.item_view import RESULT, ItemView
from labelhub.gui.review.my_work import MyWorkPage
from labelhub.gui.review.queue_panel import ReviewQueuePanel
from labelhub.gui.review.report import AgreementReportDialog
from labelhub.gui.tasks import BackgroundTask
from labelhub.gui.widgets import EmptyState
from labelhub.gui.workspaces import WORKSPACES


def _project_class() -> Any:
    from labelhub.project import Project

    return Project


class ReviewWorkspace(QWidget):
    def __init__(self, main_window: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.main_window = main_window
        qsettings = getattr(getattr(main_window, "settings", None), "qsettings", None)
        self.qsettings = qsettings
        self.settings = ReviewSettings.load(qsettings)
        self.project: Any = None
        self.dataset: str | None = None
        self.review: Any = None
        self.task: BackgroundTask | None = None  # reading the queue
        self.report_task: BackgroundTask | None = None  # computing the agreement report
        self.report_dialog: AgreementReportDialog | None = None
        self.assign_dialog: AssignDialog | None = None
        self.reject_dialog: RejectDialog | None = None
        self.settings_dialog: ReviewSettingsDialog | None = None
        self._again: tuple[str | None] | None = None
        self._build()
        if main_window is not None:
            main_window.installEventFilter(self)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        header = QHBoxLayout()
        title = QLabel("Review", self)
        title.setObjectName("PageTitle")
        header.addWidget(title)
        self.dataset_combo = QComboBox(self)
        self.dataset_combo.setMinimumWidth(160)
        self.dataset_combo.currentTextChanged.connect(self.set_dataset)
        header.addWidget(self.dataset_combo)
        self.counts = QLabel(self)
        self.counts.setObjectName("Muted")
        header.addWidget(self.counts, 1)
        self.assign_button = QPushButton("Assign…", self)
        self.assign_button.setToolTip("Give items to annotators (leads)")
        self.assign_button.clicked.connect(self.open_assign)
        self.report_button = QPushButton("Agreement…", self)
        self.report_button.setToolTip("Agreement between the annotators of this dataset")
        self.report_button.clicked.connect(self.open_report)
        self.settings_button = QPushButton("Settings…", self)
        self.settings_button.setToolTip("Match threshold, quorum and consensus shape")
        self.settings_button.clicked.connect(self.open_settings)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.clicked.connect(self.reload)
        for button in (self.assign_button, self.report_button, self.settings_button, self.refresh_button):
            header.addWidget(button)
        layout.addLayout(header)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        layout.addWidget(self.message)

        self.stack = QStackedWidget(self)
        layout.addWidget(self.stack, 1)
        info = next(w for w in WORKSPACES if w.key == "review")
        self.empty = EmptyState("review", "Nothing to review yet",
                                "Create a dataset and import images in Assets; a lead then assigns them "
                                "to annotators here, and their work comes to this queue once submitted.",
                                "", self)
        self.empty.setToolTip(info.tooltip)
        self.stack.addWidget(self.empty)

        self.reviewer_page = QSplitter(Qt.Orientation.Horizontal, self)
        self.queue = ReviewQueuePanel(self.reviewer_page)
        self.queue.item_chosen.connect(self.show_review_item)
        self.item_view = ItemView(self.reviewer_page)
        self.item_view.result_edited.connect(lambda: self.decide.set_edited(True))
        self.decide = DecidePanel(self.reviewer_page)
        self.decide.accept_consensus.connect(self.accept_consensus)
        self.decide.accept_result.connect(self.accept_result)
        self.decide.accept_rater.connect(self.accept_rater)
        self.decide.reject.connect(self.open_reject)
        self.decide.reset_result.connect(self.reset_result)
        self.decide.highlight.connect(self.item_view.highlight)
        self.decide.comment.connect(self.add_comment)
        self.decide.resolve.connect(self.resolve_comment)
        for widget in (self.queue, self.item_view, self.decide):
            self.reviewer_page.addWidget(widget)
        self.reviewer_page.setStretchFactor(0, 2)
        self.reviewer_page.setStretchFactor(1, 5)
        self.reviewer_page.setStretchFactor(2, 2)
        self.reviewer_page.setSizes([300, 620, 320])
        self.stack.addWidget(self.reviewer_page)

        self.my_work = MyWorkPage(self)
        self.my_work.open_requested.connect(self.open_in_annotate)
        self.my_work.submit_requested.connect(self.submit)
        self.my_work.comment_requested.connect(lambda uid, text: self._comment_on(uid, text, None))
        self.stack.addWidget(self.my_work)

        for keys, slot in (("Ctrl+Return", self.accept_consensus), ("Ctrl+Shift+Return", self.accept_result),
                           ("Ctrl+Down", lambda: self.step(1)), ("Ctrl+Up", lambda: self.step(-1))):
            shortcut = QShortcut(QKeySequence(keys), self.reviewer_page)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    # --------------------------------------------------------------------- the workspace API
    def set_project(self, project: Any) -> None:
        for task in (self.task, self.report_task):
            if task is not None and task.running:
                task.abandon()
        self.project = project
        self.dataset = None
        self.review = None
        self.item_view.clear()
        self.decide.clear()
        self.message.clear()
        for dialog in (self.report_dialog, self.assign_dialog):
            if dialog is not None:
                dialog.close()
        self.refresh()

    def refresh(self) -> None:
        names = [d.name for d in self.project.datasets()] if self.project is not None else []
        current = self.dataset if self.dataset in names else self._preferred(names)
        self.dataset_combo.blockSignals(True)
        self.dataset_combo.clear()
        self.dataset_combo.addItems(names)
        self.dataset_combo.setCurrentText(current or "")
        self.dataset_combo.blockSignals(False)
        if current is not None and current == self.dataset:
            self.reload()  # same dataset: keep the item shown (and the reviewer's edits)
        else:
            self.set_dataset(current or "")

    def _preferred(self, names: list[str]) -> str | None:
        """The dataset reviewed last in this project, else the first with annotators' labels
        (or, for an annotator, the first with work for them), else the first."""
        if self.project is None:
            return None
        key = f"review/dataset/{self.project.folder}"
        last = self.qsettings.value(key, "") if self.qsettings is not None else ""
        if last in names:
            return str(last)
        try:
            if self.project.can("review.view"):
                waiting = self.project.submitted_counts()
                if waiting:
                    return max(names, key=lambda n: waiting.get(n, 0))
                return next((n for n in names if any(s.kind == "annotator" for s in self.project.label_sets(n))),
                            names[0] if names else None)
            return next((n for n in names if any(e.is_open for e in self.project.queue(n))),
                        names[0] if names else None)
        except LabelHubError:
            pass
        return names[0] if names else None

    def set_dataset(self, name: str) -> None:
        self.dataset = name or None
        if self.dataset and self.project is not None and self.qsettings is not None:
            self.qsettings.setValue(f"review/dataset/{self.project.folder}", self.dataset)
        self.review = None
        self.item_view.clear()
        self.decide.clear()
        self.reload()

    def reload(self) -> None:
        """Read the queue again (on a worker for reviewers: it computes agreement)."""
        project = self.project
        reviewer = project is not None and project.can("review.view")
        has_data = project is not None and self.dataset is not None
        self.assign_button.setVisible(has_data and project.can("assignment.change"))
        self.report_button.setVisible(has_data and reviewer)
        self.settings_button.setVisible(has_data and reviewer)
        self.refresh_button.setVisible(has_data)
        self.dataset_combo.setVisible(has_data)
        if project is None or self.dataset is None:
            self.stack.setCurrentWidget(self.empty)
            self.counts.clear()
            return
        if not reviewer:
            self.refresh_counts()
            self.stack.setCurrentWidget(self.my_work)
            keep = self.my_work.current()
            self.my_work.set_entries(self.dataset, project.queue(self.dataset),
                                     keep.item_uid if keep is not None else None)
            return
        self.stack.setCurrentWidget(self.reviewer_page)
        self._load_queue()

    def _load_queue(self, then: str | None = None) -> None:
        if self.task is not None and self.task.running:
            self._again = (then,)  # read it again once this reading is done
            return
        self._again = None
        folder, member, dataset, s = self.project.folder, self.project.member.name, self.dataset, self.settings

        def job(progress: Any, cancel: Any) -> Any:
            with _project_class().open(folder, user=member, backup=False) as p:
                counts = p.state_counts(dataset)["items"]
                return counts, p.review_queue(dataset, iou_threshold=s.iou, progress=progress, cancel=cancel)

        keep = then or self.queue.current_uid()

        def done(result: Any) -> None:
            if dataset != self.dataset:
                return
            counts, entries = result
            self._show_counts(counts)
            self.queue.set_entries(entries, keep)
            if self.queue.current_uid() is None:
                uids = self.queue.uids()
                if uids:
                    self.queue.select(uids[0])
                else:
                    self.item_view.clear()
                    self.decide.clear("Nothing is waiting for review in this dataset.")

        self.task = BackgroundTask(self, "Review queue", f"Comparing the annotators of {dataset}…", job,
                                   on_success=done, on_error=lambda e: self.say(error_text(e), error=True))
        self.task.finished.connect(self._task_done)
        self.task.start()

    def _task_done(self) -> None:
        if self.task is not None:
            self.task.deleteLater()
        self.task = None
        if self._again is not None and self.project is not None and self.dataset is not None:
            self._load_queue(*self._again)

    def busy(self) -> bool:
        return any(t is not None and t.running for t in (self.task, self.report_task))

    def say(self, text: str, *, error: bool = False) -> None:
        self.message.setStyleSheet("color: #d70015;" if error else "")
        self.message.setText(text)

    # ------------------------------------------------------------------------- one item
    def show_review_item(self, uid: str) -> None:
        if self.project is None or self.dataset is None:
            return
        if self.review is not None and self.review.item_uid == uid and self.item_view.edited:
            return  # the queue was read again: keep the result being edited
        s = self.settings
        try:
            review = self.project.review_item(self.dataset, uid, iou_threshold=s.iou,
                                              quorum=s.quorum_or_none, method=s.method)
            image = (str(self.project.media_path(review.media_sha256)), review.media_sha256)
        except LabelHubError as error:
            self.say(error_text(error), error=True)
            return
        self.review = review
        self.item_view.show_item(self.project, review, image, review.consensus)
        self.decide.show_review(review, self.item_view.colors, s)
        self.decide.set_edited(False)
        self.decide.show_lineage(self._lineage_lines(review))

    def _lineage_lines(self, review: Any) -> list[str]:
        lines = []
        for a in review.ground_truth:
            lin = self.project.lineage(a.uid)
            accepted = lin.accepted
            lines.append(f"{lin.label or '(no class)'} {lin.shape.kind.replace('_', ' ')}: drawn by "
                         f"{', '.join(lin.drawn_by) or '—'}; accepted by "
                         f"{accepted.member if accepted else '—'} at change {accepted.seq if accepted else '—'}"
                         + (f" ({lin.how})" if lin.how else "")
                         + (f"; changed by {', '.join(lin.changed_by)}" if lin.changed_by else ""))
            for src in lin.sources:
                lines.append(f"    from {src.annotator}'s {src.label or '(no class)'} "
                             f"{src.shape.kind.replace('_', ' ')}")
        return lines

    def step(self, delta: int) -> None:
        uids = self.queue.uids()
        if not uids:
            return
        current = self.queue.current_uid()
        index = uids.index(current) + delta if current in uids else 0
        self.queue.select(uids[min(max(index, 0), len(uids) - 1)])

    def _after_decision(self, text: str) -> None:
        self.say(text)
        uids = self.queue.uids()
        current = self.review.item_uid if self.review is not None else None
        following = None
        if current in uids:
            rest = uids[uids.index(current) + 1:] + uids[:uids.index(current)]
            following = rest[0] if rest else None
        self.review = None
        self.queue.table.clearSelection()
        self.queue.table.setCurrentIndex(QModelIndex())
        self._load_queue(then=following)
        if self.main_window is not None and hasattr(self.main_window, "refresh_project"):
            self.main_window.refresh_project()

    def refresh_counts(self) -> None:
        if self.project is not None and self.dataset is not None:
            try:
                self._show_counts(self.project.state_counts(self.dataset)["items"])
            except LabelHubError as error:
                self.say(error_text(error), error=True)

    def _show_counts(self, counts: dict[str, int]) -> None:
        self.counts.setText(" · ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items()))

    def _decide(self, call: Any, done: str) -> bool:
        if self.review is None:
            return False
        try:
            result = call()
        except LabelHubError as error:
            show_error(self, error, title="Review")
            return False
        self._after_decision(done.format(name=self.review.status.item_name, n=len(result or ())))
        return True

    def accept_consensus(self) -> bool:
        s, review = self.settings, self.review
        if review is None:
            return False
        return self._decide(lambda: self.project.accept_consensus(
            self.dataset, review.item_uid, quorum=s.quorum_or_none, method=s.method, iou_threshold=s.iou),
            "Accepted the consensus on {name}: {n} labels.")

    def accept_result(self) -> bool:
        review = self.review
        if review is None:
            return False
        labels = self.item_view.result_labels()
        how = "edited" if self.item_view.edited else f"consensus:{review.method}:quorum={review.quorum}"
        return self._decide(lambda: self.project.accept_labels(self.dataset, review.item_uid, labels, how=how),
                            "Accepted your result on {name}: {n} labels.")

    def accept_rater(self, rater: str) -> bool:
        review = self.review
        if review is None:
            return False
        return self._decide(lambda: self.project.accept_annotator(self.dataset, review.item_uid, rater),
                            f"Accepted {rater}'s labels on {{name}}: {{n}} labels.")

    def reset_result(self) -> None:
        if self.review is not None:
            self.item_view.set_result(self.review.consensus)
            self.decide.set_edited(False)

    def open_reject(self) -> RejectDialog | None:
        review = self.review
        if review is None:
            return None
        dialog = RejectDialog(review.status.item_name, list(review.raters), self)
        dialog.accepted.connect(lambda: self._decide(
            lambda: self.project.reject_item(self.dataset, review.item_uid, dialog.text(), dialog.chosen()),
            "Sent {name} back to " + ", ".join(dialog.chosen()) + "."))
        dialog.finished.connect(dialog.deleteLater)
        self.reject_dialog = dialog
        dialog.open()
        return dialog

    # ------------------------------------------------------------------------- comments
    def add_comment(self, text: str, on_shape: bool) -> None:
        if self.review is None:
            return
        shape = None
        if on_shape:
            canvas = self.item_view.canvas
            chosen = [u for u in canvas.selected_uids() if canvas.shape(u).layer != RESULT]
            if len(chosen) != 1:
                self.say("Select one annotator's shape on the canvas to comment on it.", error=True)
                return
            shape = chosen[0]
        if self._comment_on(self.review.item_uid, text, shape):
            self.decide.comment_saved()
            self.decide.show_comments(self.project.comments(self.dataset, self.review.item_uid))

    def _comment_on(self, uid: str, text: str, shape: str | None) -> bool:
        try:
            self.project.add_comment(self.dataset, uid, text, annotation=shape)
        except LabelHubError as error:
            self.say(error_text(error), error=True)
            return False
        self.say("Comment saved.")
        if not self.project.can("review.view"):
            self.reload()
        return True

    def resolve_comment(self, uid: str) -> None:
        try:
            self.project.resolve_comment(uid)
        except LabelHubError as error:
            self.say(error_text(error), error=True)
            return
        if self.review is not None:
            self.decide.show_comments(self.project.comments(self.dataset, self.review.item_uid))

    # ------------------------------------------------------------------ annotators' work
    def open_in_annotate(self, uid: str) -> None:
        if self.main_window is not None and self.dataset is not None:
            self.main_window.show_item(self.dataset, uid)

    def submit(self, uid: str) -> None:
        try:
            state = self.project.submit_item(self.dataset, uid)
        except LabelHubError as error:
            self.say(error_text(error), error=True)
            return
        name = next((e.item_name for e in self.my_work.entries if e.item_uid == uid), uid)
        self.say(f"{name} {'accepted' if state == 'accepted' else 'submitted for review'}.")
        self.reload()

    # -------------------------------------------------------------------------- dialogs
    def open_assign(self) -> AssignDialog | None:
        if self.project is None or self.dataset is None:
            return None
        if self.assign_dialog is not None:
            self.assign_dialog.close()
            self.assign_dialog.deleteLater()
        self.assign_dialog = AssignDialog(self.project, self.dataset, self)
        self.assign_dialog.changed.connect(self.reload)
        self.assign_dialog.open()
        return self.assign_dialog

    def open_settings(self) -> ReviewSettingsDialog:
        dialog = ReviewSettingsDialog(self.settings, self)

        def chosen(code: int) -> None:
            if code == QDialog.DialogCode.Accepted:
                self.settings = dialog.settings()
                self.settings.save(self.qsettings)
                self.reload()
            dialog.deleteLater()

        dialog.finished.connect(chosen)
        self.settings_dialog = dialog
        dialog.open()
        return dialog

    def open_report(self) -> None:
        if self.project is None or self.dataset is None:
            return
        if self.report_task is not None and self.report_task.running:
            return
        folder, member, dataset, iou = self.project.folder, self.project.member.name, self.dataset, self.settings.iou

        def job(progress: Any, cancel: Any) -> Any:
            with _project_class().open(folder, user=member, backup=False) as p:
                return p.agreement(dataset, iou_threshold=iou, progress=progress, cancel=cancel)

        def done(report: Any) -> None:
            if self.report_dialog is not None:
                self.report_dialog.close()
                self.report_dialog.deleteLater()
            self.report_dialog = AgreementReportDialog(report, self)
            self.report_dialog.show()

        self.report_task = BackgroundTask(
            self, "Agreement", f"Comparing the annotators of {dataset}…", job, on_success=done,
            on_error=lambda e: show_error(self, e, title="Agreement"))
        self.report_task.finished.connect(self._report_done)
        self.report_task.start()

    def _report_done(self) -> None:
        if self.report_task is not None:
            self.report_task.deleteLater()
        self.report_task = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.main_window and event.type() == QEvent.Type.Close:
            self.shutdown()
        return False

    def shutdown(self) -> None:
        """Stop work on workers (the window is closing)."""
        self._again = None
        for task in (self.task, self.report_task):
            if task is not None and task.running:
                task.abandon()
        self.item_view.shutdown()
