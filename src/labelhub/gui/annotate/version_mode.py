"""Browsing a committed dataset version in the Annotate workspace, read-only.

With a version (a ``VersionInfo``), the workspace shows each item as it was right after the
version's change: its image, the ground-truth annotations and the label schema then, and a
queue of the version's items. Nothing can change: the drawing tools, undo and redo, the edit
commands, tags and attributes are disabled (and say why), the canvas refuses every gesture that
would change a shape, and the edit session refuses every change as a last guard. A banner says
which version is shown; "Back to current" reopens the same item live. Opening an item without
a version, or choosing a dataset, leaves version mode.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from labelhub.errors import LabelHubError
from labelhub.gui.annotate.loading import LayerContent, load_layer
from labelhub.gui.annotate.queue import VersionQueue
from labelhub.gui.canvas import Layer
from labelhub.gui.icons import icon
from labelhub.project import AnnotationInfo

if TYPE_CHECKING:
    from labelhub.gui.annotate.workspace import AnnotateWorkspace

#: The canvas layer (and workspace target key) of a version's ground truth.
VERSION = "version"
#: Commands that change something: disabled while a version is shown.
EDIT_COMMANDS = frozenset({
    "tool_box", "tool_rotated_box", "tool_polygon", "tool_polyline", "tool_point",
    "tool_keypoints", "tool_brush", "tool_eraser", "undo", "redo", "delete", "paste",
    "duplicate", "copy_previous", "class_picker", "tag_image", "hide", "show_all", "lock",
    "keypoint_occluded", "keypoint_unlabelled", "bring_front", "send_back",
})


def version_title(version: Any) -> str:
    """``Version 3 (baseline)``."""
    return f"Version {version.number}" + (f" ({version.tag})" if version.tag else "")


def read_only_reason(version: Any) -> str:
    return (f"{version_title(version)} is read-only: nothing in it can change. "
            "Back to current to edit.")


class VersionBanner(QFrame):
    """Across the top of the workspace while a version is shown: which version, that it is
    read-only, when it was committed, whether it is deprecated; and the way back."""

    back = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("AnnotateVersionBanner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 7, 10, 7)
        layout.setSpacing(12)
        self.mark = QLabel(self)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.button = QPushButton("Back to current", self)
        self.button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.button.setToolTip("Open this image as it is now, editable")
        layout.addWidget(self.mark)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.button.clicked.connect(self.back)
        self.deprecated = False
        self.hide()

    def show_version(self, version: Any, dataset: str) -> None:
        from labelhub.gui.versions.models import when

        text = (f"<b>{version_title(version)}</b> of <b>{dataset}</b> — <b>read-only</b>, as committed "
                f"{when(version.time)}")
        if version.author:
            text += f" by {version.author}"
        if version.deprecated:
            reason = f": {version.deprecated_reason}" if version.deprecated_reason else ""
            text += f" · <b>deprecated</b>{reason}"
        self.label.setText(text)
        self.label.setToolTip(f"“{version.message}”\nchange {version.seq} · manifest "
                              f"{version.manifest_hash[:16]}…")
        self.deprecated = version.deprecated
        self._restyle()
        self.show()

    def _restyle(self) -> None:
        palette = QApplication.palette()  # the theme's, also while the banner was hidden
        base = palette.color(QPalette.ColorRole.Window)
        tint = QColor("#e0a030") if self.deprecated else palette.color(QPalette.ColorRole.Highlight)
        t = 0.26
        mixed = QColor(round(base.red() * (1 - t) + tint.red() * t),
                       round(base.green() * (1 - t) + tint.green() * t),
                       round(base.blue() * (1 - t) + tint.blue() * t))
        text = palette.color(QPalette.ColorRole.Text).name()
        sheet = (f"#AnnotateVersionBanner {{ background: {mixed.name()}; "
                 f"border-bottom: 2px solid {tint.name()}; }} "
                 f"#AnnotateVersionBanner QLabel {{ color: {text}; }}")
        if sheet != self.styleSheet():  # setting a style sheet is itself a palette change
            self.mark.setPixmap(icon("versions").pixmap(20, 20))
            self.setStyleSheet(sheet)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange) \
                and not self.isHidden():
            self._restyle()
        super().changeEvent(event)


class VersionModeMixin:
    """Mixed into AnnotateWorkspace: entering, showing and leaving a dataset version."""

    def _vw(self) -> AnnotateWorkspace:
        return self  # type: ignore[return-value]

    # ------------------------------------------------------------------------- entering
    def open_version_item(self, dataset: str, item_uid: str, version: Any) -> None:
        """Show item ``item_uid`` of ``dataset`` as it was in ``version``, read-only (the
        version's first item when it was not in the version)."""
        ws = self._vw()
        entering = ws.version is None or ws.dataset != dataset or ws.version.seq != version.seq
        if entering:
            self._enter_version(dataset, version)
        else:  # the same version: read again in case it was tagged or deprecated since
            self.refresh_version()
        item = ws.navigator.find(item_uid) or ws.project.item_info(dataset, item_uid, at_seq=version.seq)
        if item is None:
            items = ws.navigator.items()
            ws.say(f"That image is not in {version_title(version)} of {dataset}.", error=True)
            if ws.item is None and items:
                ws._open(items[0])
            ws._show_state()
            return
        ws._open(item)

    def _enter_version(self, dataset: str, version: Any) -> None:
        ws = self._vw()
        ws.canvas.tool.cancel()
        try:  # as the project has it now: its time, its tag, whether it is deprecated
            version = ws.project.version(dataset, version.number)
        except LabelHubError:
            pass
        ws.dataset, ws.item, ws.version = dataset, None, version
        ws._version_infos = None
        names = [ws.navigator.datasets.itemText(i) for i in range(ws.navigator.datasets.count())]
        ws.navigator.set_datasets(names, dataset)
        ws.hidden_classes, ws.locked_classes, ws.shown_layers = set(), set(), set()
        ws.sets = ws.project.label_sets(dataset)
        ws.own = None
        truth = next((s for s in ws.sets if s.kind == "ground_truth"), None)
        ws.version_set = truth.uid if truth is not None else None
        ws.target = VERSION
        ws.session.read_only = read_only_reason(version)
        ws.canvas.set_read_only(True)
        ws.reload_schema()
        queue = VersionQueue(ws.project, dataset, version.seq)
        ws.navigator.set_queue(queue, queue.counts)
        ws.banner.show_version(version, dataset)
        self._apply_mode()

    # -------------------------------------------------------------------------- leaving
    def leave_version(self) -> bool:
        """Back to the live state's rules (the caller then loads the dataset live); False when
        no version was shown."""
        ws = self._vw()
        if ws.version is None:
            return False
        ws.version = None
        ws.version_set = None
        ws._version_infos = None
        ws.session.read_only = None
        ws.canvas.set_read_only(False)
        ws.banner.hide()
        self._apply_mode()
        return True

    def back_to_current(self) -> None:
        """Reopen the item shown, live and editable (the dataset's first item when it is no
        longer in the dataset)."""
        ws = self._vw()
        if ws.version is None or ws.dataset is None:
            return
        dataset, uid = ws.dataset, ws.item.uid if ws.item is not None else None
        self.leave_version()
        ws.set_dataset(dataset, open_first=False)
        live = None
        if uid is not None:
            live = ws.navigator.find(uid) or ws.project.item_info(dataset, uid)
        if live is not None:
            ws._open(live)
            return
        if ws.navigator.items():
            ws._open(ws.navigator.items()[0])
            if uid is not None:
                ws.say("That image is no longer in the dataset: showing its first image.")
        ws._show_state()

    # ---------------------------------------------------------------------- while shown
    def refresh_version(self) -> None:
        """Read the version again (a tag or a deprecation since) and show it in the banner."""
        ws = self._vw()
        if ws.version is None or ws.dataset is None:
            return
        try:
            ws.version = ws.project.version(ws.dataset, ws.version.number)
        except LabelHubError as error:
            ws.say(str(error), error=True)
            return
        ws.banner.show_version(ws.version, ws.dataset)

    def load_version_layer(self) -> None:
        """The version's ground truth on the current item, as the one read-only layer."""
        ws = self._vw()
        ws.contents = {}
        ws._version_infos = None
        try:
            if ws.version_set is None:
                raise LabelHubError(f"{ws.dataset} has no ground truth")
            packed = ws.project.packed_annotations(ws.version_set, ws.item.uid, at_seq=ws.version.seq)
        except LabelHubError as error:
            ws.canvas.clear_shapes()
            ws.contents[VERSION] = LayerContent()
            failed: str | None = str(error)
        else:
            ws.contents[VERSION] = load_layer(ws.canvas, packed, VERSION, ws.class_name,
                                              replace_all=True)
            failed = None
        ws.canvas.current_layer = VERSION
        ws.canvas.set_layer(Layer(VERSION, f"{version_title(ws.version)} ground truth",
                                  visible=True, editable=False))
        for c in ws.hidden_classes:
            ws.apply_class_switches(c)
        title = f"Ground truth of {version_title(ws.version)} (read-only)"
        ws.layers_panel.set_layers([(VERSION, title)], [], VERSION)
        ws.shapes_panel.model.layer_titles = {}
        ws.after_edit()
        if failed is not None:
            ws.say(failed, error=True)
        else:
            ws.say(f"{version_title(ws.version)} of {ws.dataset}: read-only.")

    def version_annotations(self) -> dict[str, AnnotationInfo]:
        """The current item's annotations in the version (attributes included), by uid."""
        ws = self._vw()
        if ws._version_infos is None:
            infos = ws.project.annotations(ws.version_set, ws.item.uid, at_seq=ws.version.seq) \
                if ws.version_set is not None and ws.item is not None else []
            ws._version_infos = {i.uid: i for i in infos}
        return ws._version_infos

    def _apply_mode(self) -> None:
        """Enable what the mode allows: in a version, nothing that edits."""
        ws = self._vw()
        frozen = ws.version is not None
        reason = read_only_reason(ws.version) if frozen else ""
        for key, action in ws.actions_.items():
            if key in EDIT_COMMANDS:
                action.setEnabled(not frozen)
        ws._update_undo()
        for shortcut in ws.class_shortcuts:
            shortcut.setEnabled(not frozen)
        ws.layers_panel.setEnabled(not frozen)
        ws.tags_panel.single.setEnabled(not frozen)
        ws.schema_button.setEnabled(not frozen)
        ws.schema_button.setToolTip(reason)
        ws.toolbar.setToolTip(reason)
        ws.refresh_tags()
