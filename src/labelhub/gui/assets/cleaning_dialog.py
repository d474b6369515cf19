"""The cleaning report window: run the checks (progress, cancel), browse the findings by kind,
compare duplicates side by side, and act on the selected findings in one click each: exclude
from the dataset, keep (a finding seen and accepted), or tag. Every action is one change."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDoubleSpinBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labelhub.gui.assets.jobs import Reader, run_job
from labelhub.gui.assets.thumbnails import ThumbnailLoader, load_thumbnail
from labelhub.project.findings import FINDING_KINDS, GROUP_KINDS, Finding

FINDING_ROLE = Qt.ItemDataRole.UserRole + 20
PREVIEW_SIDE = 480
MAX_SIDE_BY_SIDE = 4


class _Picture(QWidget):
    """One image of a comparison: the picture, its name and what is known of it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.image = QLabel(self)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumSize(QSize(160, 140))
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.image, 1)
        layout.addWidget(self.caption)

    def show_image(self, image: QImage | None, caption: str, box: QSize) -> None:
        if image is None or image.isNull():
            self.image.setPixmap(QPixmap())
            self.image.setText("cannot be shown")
        else:
            self.image.setPixmap(QPixmap.fromImage(image.scaled(
                box, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)))
        self.caption.setText(caption)


class CleaningDialog(QDialog):
    """Emits ``changed`` after an action wrote a change, ``open_item(uid)`` to annotate one."""

    changed = Signal()
    open_item = Signal(str)

    def __init__(self, project: Any, dataset: str, loader: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project, self.dataset, self.loader = project, dataset, loader
        self.report: Any = None
        self.task: Any = None
        self.setWindowTitle(f"Cleaning report of {dataset}")
        self.resize(1180, 760)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 12)
        layout.setSpacing(10)
        top = QHBoxLayout()
        self.summary = QLabel("Not run yet.", self)
        self.summary.setObjectName("Headline")
        self.summary.setWordWrap(True)
        top.addWidget(self.summary, 1)
        self.near = QSpinBox(self)
        self.near.setRange(0, 16)
        self.near.setValue(6)
        self.near.setPrefix("near duplicates within ")
        self.near.setSuffix(" bits")
        self.min_side = QSpinBox(self)
        self.min_side.setRange(1, 10000)
        self.min_side.setValue(32)
        self.min_side.setPrefix("tiny below ")
        self.min_side.setSuffix(" px")
        self.aspect = QDoubleSpinBox(self)
        self.aspect.setRange(1.0, 1000.0)
        self.aspect.setValue(10.0)
        self.aspect.setPrefix("aspect over ")
        self.aspect.setSuffix(" : 1")
        self.recheck = QCheckBox("re-read every file", self)
        self.run_button = QPushButton("Run again", self)
        self.run_button.clicked.connect(self.run)
        for widget in (self.near, self.min_side, self.aspect, self.recheck, self.run_button):
            top.addWidget(widget)
        layout.addLayout(top)

        split = QSplitter(Qt.Orientation.Horizontal, self)
        self.tree = QTreeWidget(split)
        self.tree.setHeaderLabels(["Finding", "Detail"])
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.tree.setColumnWidth(0, 300)
        self.tree.itemSelectionChanged.connect(self._selected)
        right = QWidget(split)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(8, 0, 0, 0)
        self.detail = QLabel("Select a finding to see it.", right)
        self.detail.setWordWrap(True)
        self.detail.setObjectName("Muted")
        right_layout.addWidget(self.detail)
        self.pictures_row = QHBoxLayout()
        self.pictures = [_Picture(right) for _ in range(MAX_SIDE_BY_SIDE)]
        for picture in self.pictures:
            picture.hide()
            self.pictures_row.addWidget(picture)
        right_layout.addLayout(self.pictures_row, 1)
        actions = QHBoxLayout()
        self.exclude_button = QPushButton("Exclude from dataset", right)
        self.exclude_button.setToolTip("Take the items out of the dataset (for duplicates: all but the first)")
        self.keep_button = QPushButton("Keep", right)
        self.keep_button.setToolTip("Seen and fine: leave these items out of this finding from now on")
        self.tag_button = QPushButton("Tag…", right)
        self.tag_button.setToolTip("Tag the items (e.g. to review them later)")
        self.open_button = QPushButton("Open in Annotate", right)
        for button in (self.exclude_button, self.keep_button, self.tag_button, self.open_button):
            actions.addWidget(button)
        actions.addStretch(1)
        right_layout.addLayout(actions)
        split.addWidget(self.tree)
        split.addWidget(right)
        split.setSizes([460, 700])
        layout.addWidget(split, 1)
        self.status = QLabel("", self)
        self.status.setObjectName("Muted")
        layout.addWidget(self.status)
        self.exclude_button.clicked.connect(self.exclude)
        self.keep_button.clicked.connect(self.keep)
        self.tag_button.clicked.connect(lambda: self.tag(None))
        self.open_button.clicked.connect(self._open)
        self.reader = Reader(self)
        self._update_buttons()

    # ------------------------------------------------------------------------------ run
    def options(self) -> Any:
        from labelhub.project.cleaning import CleaningOptions

        return CleaningOptions(near_distance=self.near.value(), min_side=self.min_side.value(),
                               max_aspect=self.aspect.value(), recheck=self.recheck.isChecked())

    def run(self) -> None:
        options, dataset = self.options(), self.dataset
        self.run_button.setEnabled(False)
        self.summary.setText("Checking…")

        def done(report: Any) -> None:
            self.run_button.setEnabled(True)
            self.show_report(report)

        def stopped() -> None:
            self.run_button.setEnabled(True)
            self.summary.setText("Cancelled. Images measured so far are remembered for the next run.")

        def failed(error: BaseException) -> None:
            self.run_button.setEnabled(True)
            self.summary.setText(f"The report could not be made: {error}")

        self.task = run_job(self, self.project, "Cleaning report", f"Checking {dataset}…",
                            lambda p, progress, cancel: p.cleaning_report(dataset, options, progress=progress, cancel=cancel),
                            done, on_cancelled=stopped, on_error=failed)

    def show_report(self, report: Any) -> None:
        self.report = report
        self.summary.setText(report.summary())
        self.tree.clear()
        for kind, (title, meaning) in FINDING_KINDS.items():
            if kind not in report.options.checks:
                continue
            found = report.of_kind(kind)
            parent = QTreeWidgetItem(self.tree, [f"{title} ({len(found):,})", meaning])
            parent.setData(0, FINDING_ROLE, None)
            parent.setFlags(parent.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            for finding in found[:5000]:
                child = QTreeWidgetItem(parent, [" · ".join(finding.names[:3]) +
                                                 (" …" if len(finding.names) > 3 else ""), finding.detail])
                child.setData(0, FINDING_ROLE, finding)
                child.setToolTip(0, "\n".join(finding.names))
            if len(found) > 5000:
                QTreeWidgetItem(parent, [f"… and {len(found) - 5000:,} more (see labelhub clean --json)", ""])
            parent.setExpanded(bool(found) and len(found) <= 50)
        self._update_buttons()

    # -------------------------------------------------------------------------- selection
    def selected_findings(self) -> list[Finding]:
        return [f for item in self.tree.selectedItems() if (f := item.data(0, FINDING_ROLE)) is not None]

    def select_kind(self, kind: str) -> None:
        """Select every finding of ``kind`` (for tests and keyboard users)."""
        self.tree.clearSelection()
        for i in range(self.tree.topLevelItemCount()):
            parent = self.tree.topLevelItem(i)
            for j in range(parent.childCount()):
                child = parent.child(j)
                finding = child.data(0, FINDING_ROLE)
                if finding is not None and finding.kind == kind:
                    child.setSelected(True)

    def _update_buttons(self) -> None:
        chosen = self.selected_findings()
        can_exclude = self.project.can("items.exclude")
        can_edit = self.project.can("items.edit_metadata")
        self.exclude_button.setEnabled(bool(chosen) and can_exclude)
        self.keep_button.setEnabled(bool(chosen) and can_edit)
        self.tag_button.setEnabled(bool(chosen) and can_edit)
        self.open_button.setEnabled(len(chosen) == 1)
        if not can_exclude:
            self.exclude_button.setToolTip("Only a lead can exclude items.")

    def _selected(self) -> None:
        self._update_buttons()
        chosen = self.selected_findings()
        for picture in self.pictures:
            picture.hide()
        if len(chosen) != 1:
            self.detail.setText(f"{len(chosen):,} findings selected." if chosen else "Select a finding to see it.")
            return
        finding = chosen[0]
        text = f"{finding.title}: {finding.detail}"
        if finding.kind == "near_duplicate":
            pairs = finding.extra.get("pairs", [])
            text += f" ({len(pairs)} pair{'s' if len(pairs) != 1 else ''} compared)"
        self.detail.setText(text)
        uids = list(finding.items[:MAX_SIDE_BY_SIDE])
        project, dataset = self.project, self.dataset
        cache = project.folder / "cache"

        def read() -> list[tuple[QImage | None, str]]:
            cols = project.item_details(dataset, uids)
            out = []
            for i in range(len(cols)):
                try:
                    image: QImage | None = load_thumbnail(cache, cols.sha256[i], cols.paths[i], PREVIEW_SIDE)
                except Exception:  # noqa: BLE001 - an unreadable file is itself a finding
                    image = None
                caption = (f"{cols.names[i]}\n{int(cols.widths[i])}×{int(cols.heights[i])} "
                           f"{cols.formats[i].upper()} · {cols.splits[i] or 'no split'} · "
                           f"{int(cols.label_counts[i])} labels")
                out.append((image, caption))
            return out

        def show(images: list[tuple[QImage | None, str]]) -> None:
            if self.selected_findings() != [finding]:
                return
            width = max(160, (self.pictures[0].parentWidget().width() - 40) // max(1, len(images)))
            for picture, (image, caption) in zip(self.pictures, images, strict=False):
                picture.show_image(image, caption, QSize(width, 420))
                picture.show()

        self.reader.read(read, show)

    # ---------------------------------------------------------------------------- actions
    def _targets(self, *, exclusion: bool) -> list[str]:
        uids: list[str] = []
        for finding in self.selected_findings():
            if exclusion and finding.kind in GROUP_KINDS and len(finding.items) > 1:
                uids += finding.items[1:]  # keep the first of each group
            else:
                uids += finding.items
        return list(dict.fromkeys(uids))

    def _act(self, label: str, work: Any, message: str) -> None:
        chosen = self.selected_findings()
        dataset = self.dataset

        def done(result: Any) -> None:
            self._drop(chosen)
            self.status.setText(message.format(n=getattr(result, "changed", 0)))
            self.changed.emit()

        self.task = run_job(self, self.project, "Cleaning", label,
                            lambda p, _progress, _cancel: work(p, dataset), done)

    def exclude(self) -> None:
        uids = self._targets(exclusion=True)
        if uids:
            self._act(f"Excluding {len(uids):,} items…",
                      lambda p, d: p.exclude_items(d, uids, "cleaning report"),
                      "{n} items excluded from the dataset.")

    def keep(self) -> None:
        by_kind: dict[str, list[str]] = {}
        for finding in self.selected_findings():
            by_kind.setdefault(finding.kind, []).extend(finding.items)
        if not by_kind:
            return

        def work(p: Any, d: str) -> Any:
            result = None
            for kind, uids in by_kind.items():
                result = p.keep_findings(d, list(dict.fromkeys(uids)), kind)
            return result

        self._act("Keeping…", work, "Kept: these items will not be reported for that finding again.")

    def tag(self, tag: str | None) -> None:
        uids = self._targets(exclusion=False)
        if not uids:
            return
        if tag is None:
            kinds = {f.kind for f in self.selected_findings()}
            suggestion = next(iter(kinds)) if len(kinds) == 1 else "to-check"
            tag, ok = QInputDialog.getText(self, "Tag items", f"Tag for {len(uids):,} items:", text=suggestion)
            if not ok or not tag.strip():
                return
        chosen_tag = tag.strip()
        self._act(f"Tagging {len(uids):,} items…", lambda p, d: p.tag_items(d, uids, [chosen_tag]),
                  f"{{n}} items tagged “{chosen_tag}”.")

    def _drop(self, findings: list[Finding]) -> None:
        gone = {id(f) for f in findings}
        for i in range(self.tree.topLevelItemCount()):
            parent = self.tree.topLevelItem(i)
            for j in reversed(range(parent.childCount())):
                if id(parent.child(j).data(0, FINDING_ROLE)) in gone:
                    parent.removeChild(parent.child(j))
            title = parent.text(0).rsplit(" (", 1)[0]
            parent.setText(0, f"{title} ({parent.childCount():,})")
        if self.report is not None:
            self.report.findings = [f for f in self.report.findings if id(f) not in gone]

    def _open(self) -> None:
        chosen = self.selected_findings()
        if len(chosen) == 1:
            self.open_item.emit(chosen[0].items[0])
