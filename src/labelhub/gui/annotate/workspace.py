"""The Annotate workspace: the queue on the left, the canvas in the middle, classes, attributes,
tags, layers and the shapes list on the right. Every finished gesture is saved at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from labelhub.errors import LabelHubError
from labelhub.gui.annotate import actions as act
from labelhub.gui.annotate.attributes_panel import AttributesPanel
from labelhub.gui.annotate.context_menu import show_context_menu
from labelhub.gui.annotate.editing import EditingMixin
from labelhub.gui.annotate.loading import (
    NO_CLASS,
    TOOL_KINDS,
    AnnotateCanvas,
    LayerContent,
    load_layer,
)
from labelhub.gui.annotate.navigator import Navigator
from labelhub.gui.annotate.overlays import DisplayDialog, HelpOverlay
from labelhub.gui.annotate.panels import ClassPanel, LayersPanel, TagsPanel, set_title
from labelhub.gui.annotate.queue import LazyQueue
from labelhub.gui.annotate.session import EditSession
from labelhub.gui.annotate.shapes_panel import ShapesPanel
from labelhub.gui.annotate.shortcuts import ShortcutSettings
from labelhub.gui.annotate.version_mode import VersionBanner, VersionModeMixin
from labelhub.gui.annotate.workspace_dialogs import WorkspaceDialogsMixin
from labelhub.gui.canvas import Layer, Skeleton
from labelhub.gui.widgets import EmptyState

MINE = "mine"
OK_STYLE = "color: #2e9e5b;"
ERROR_STYLE = "color: #d64541; font-weight: bold;"


class AnnotateWorkspace(QWidget, EditingMixin, VersionModeMixin, WorkspaceDialogsMixin):
    def __init__(self, main_window: Any = None, parent: QWidget | None = None,
                 settings: QSettings | None = None) -> None:
        super().__init__(parent)
        self.main_window = main_window
        if settings is None:
            settings = main_window.settings.qsettings if main_window is not None else QSettings()
        self.shortcuts = ShortcutSettings(settings)
        self.project: Any = None
        self.dataset: str | None = None
        self.item: Any = None
        self.classes: list[Any] = []
        self.class_by_uid: dict[str, Any] = {}
        self.class_by_name: dict[str, Any] = {}
        self.sets: list[Any] = []
        self.own: Any = None
        self.target = MINE
        self.shown_layers: set[str] = set()
        self.contents: dict[str, LayerContent] = {}
        self.hidden_classes: set[str] = set()
        self.locked_classes: set[str] = set()
        self.clipboard = ""
        self.class_shortcuts: list[Any] = []
        self.context_menu: Any = None
        #: The dataset version shown read-only (a VersionInfo), None for the live state.
        self.version: Any = None
        self.version_set: str | None = None  # the ground-truth label set read at the version
        self._version_infos: dict[str, Any] | None = None
        self.session = EditSession(self)
        self._build()
        self.set_project(None)

    # ------------------------------------------------------------------------------- layout
    def _build(self) -> None:
        cache = None
        self.canvas = AnnotateCanvas(self, cache_dir=cache)
        self.navigator = Navigator(self)
        self.classes_panel = ClassPanel(self)
        self.attributes_panel = AttributesPanel(self)
        self.tags_panel = TagsPanel(self)
        self.layers_panel = LayersPanel(self)
        self.shapes_panel = ShapesPanel(self.canvas, self)
        self.actions_ = act.build_actions(self)
        self.toolbar = act.build_toolbar(self, self.actions_, self)
        self.help_overlay = HelpOverlay(self.shortcuts, self)
        self.display_dialog: DisplayDialog | None = None

        self.item_label = QLabel(self)
        self.item_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cursor_label = QLabel(self)
        self.save_label = QLabel("All changes are saved as you make them.", self)
        self.save_label.setStyleSheet(OK_STYLE)
        status = QHBoxLayout()
        status.setContentsMargins(8, 2, 8, 4)
        status.addWidget(self.item_label)
        status.addStretch(1)
        status.addWidget(self.save_label)
        status.addSpacing(16)
        status.addWidget(self.cursor_label)

        self.empty = EmptyState("annotate", "Annotate", "", "", self)
        centre = QWidget(self)
        column = QVBoxLayout(centre)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.toolbar)
        column.addWidget(self.canvas, 1)
        column.addWidget(self.empty, 1)
        column.addLayout(status)

        extra = QHBoxLayout()
        self.display_button = QPushButton("Display…", self)
        self.schema_button = QPushButton("Label schema…", self)
        self.keys_button = QPushButton("Shortcuts…", self)
        for b in (self.display_button, self.schema_button, self.keys_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            extra.addWidget(b)
        self.display_button.clicked.connect(self.show_display)
        self.schema_button.clicked.connect(self.open_schema_editor)
        self.keys_button.clicked.connect(self.edit_shortcuts)

        self.side_tabs = QTabWidget(self)
        self.side_tabs.addTab(self.attributes_panel, "Attributes")
        self.side_tabs.addTab(self.tags_panel, "Image tags")
        self.side_tabs.addTab(self.layers_panel, "Label sets")
        right = QSplitter(Qt.Orientation.Vertical, self)
        right.addWidget(self.classes_panel)
        right.addWidget(self.side_tabs)
        right.addWidget(self.shapes_panel)
        right.setStretchFactor(2, 1)
        right_box = QWidget(self)
        right_col = QVBoxLayout(right_box)
        right_col.setContentsMargins(0, 0, 6, 6)
        right_col.addLayout(extra)
        right_col.addWidget(right, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.navigator)
        splitter.addWidget(centre)
        splitter.addWidget(right_box)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([220, 900, 320])
        self.navigator.setContentsMargins(6, 6, 0, 6)
        self.banner = VersionBanner(self)
        self.banner.back.connect(self.back_to_current)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(splitter, 1)

        self.canvas.commandIssued.connect(self._on_command)
        self.canvas.selectionChanged.connect(lambda _u: self.show_attributes())
        self.canvas.vertexPicked.connect(lambda _v: self.show_attributes())
        self.canvas.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.canvas.customContextMenuRequested.connect(lambda pos: show_context_menu(self, pos))
        self.canvas.toolChanged.connect(self._tool_changed)
        self.canvas.cursorMoved.connect(self._cursor_moved)
        self.canvas.statusMessage.connect(lambda text: self.say(text))
        self.canvas.imageFailed.connect(lambda text: self.say(text, error=True))
        self.session.saved.connect(lambda _seq, text: self.say(f"Saved: {text}", saved=True))
        self.session.failed.connect(lambda text: self.say(text, error=True))
        self.session.stacks_changed.connect(self._update_undo)
        self.navigator.dataset_chosen.connect(self.set_dataset)
        self.navigator.item_chosen.connect(lambda uid: self.show_item(self.dataset, uid, version=self.version))
        self.classes_panel.class_chosen.connect(self.choose_class)
        self.classes_panel.search_done.connect(lambda: self.canvas.setFocus())
        self.classes_panel.visibility_changed.connect(self._class_shown)
        self.classes_panel.lock_changed.connect(self._class_locked)
        self.attributes_panel.edited.connect(self.edit_attributes)
        self.attributes_panel.keypoint_changed.connect(self.canvas.set_keypoint_visibility)
        self.tags_panel.toggled.connect(self.toggle_tag)
        self.layers_panel.target_changed.connect(self._target_changed)
        self.layers_panel.visibility_changed.connect(self._layer_shown)
        self.shapes_panel.picked.connect(self._picked_in_list)
        self.help_overlay.closed.connect(lambda: self.canvas.setFocus())

    # ----------------------------------------------------------------------- the window's API
    def set_project(self, project: Any) -> None:
        self.leave_version()
        self.project = project
        self.session.set_project(project)
        self.dataset = self.item = self.own = None
        self.contents = {}
        self.canvas.clear_image()
        self.canvas.clear_shapes()
        if project is not None:
            self.canvas.cache_dir = Path(project.folder) / "cache"
            names = [d.name for d in project.datasets()]
            self.navigator.set_datasets(names, None)
            if names:
                self.set_dataset(next((d.name for d in project.datasets() if d.item_count), names[0]))
        self._show_state()
        self._update_menu()

    def _update_menu(self) -> None:
        actions = getattr(self.main_window, "menu_actions", None) or {}
        action = actions.get("label_schema")
        if action is not None:
            action.setEnabled(self.project is not None and self.project.can("schema.change"))

    def refresh(self) -> None:
        if self.project is None:
            return
        names = [d.name for d in self.project.datasets()]
        self.navigator.set_datasets(names, self.dataset)
        if self.version is not None:
            if self.dataset in names:  # a version never changes: only its tag or deprecation
                self.refresh_version()
                self._update_menu()
                return
            self.leave_version()
            self.dataset = None
        if self.dataset is None and names:
            self.set_dataset(names[0])
        elif self.dataset is not None:
            self.reload_schema()
            self._load_queue()
            if self.item is None and self.navigator.items():
                self.show_item(self.dataset, self.navigator.items()[0].uid)
        self._show_state()
        self._update_menu()

    def show_item(self, dataset: str | None, item_uid: str, version: Any = None) -> None:
        """Open item ``item_uid`` of ``dataset``: live and editable, or with ``version`` (a
        VersionInfo of that dataset) as it was in that version, read-only (see
        ``version_mode``). Opening an item without a version leaves version mode."""
        if self.project is None or dataset is None:
            return
        if version is not None:
            self.open_version_item(dataset, item_uid, version)
            return
        if self.leave_version() or dataset != self.dataset:
            self.set_dataset(dataset, open_first=False)
        item = self.navigator.find(item_uid) or self.project.item_info(dataset, item_uid)
        if item is None:
            self.say(f"No such image in {dataset}.", error=True)
            return
        self._open(item)

    # ------------------------------------------------------------------------ dataset, item
    def set_dataset(self, name: str, open_first: bool = True) -> None:
        """Show dataset ``name`` live (leaving version mode)."""
        self.leave_version()
        self.dataset, self.item = name, None
        self.navigator.set_datasets([self.navigator.datasets.itemText(i)
                                     for i in range(self.navigator.datasets.count())], name)
        self.hidden_classes, self.locked_classes, self.shown_layers = set(), set(), set()
        self.sets = self.project.label_sets(name)
        me = self.project.member.name
        self.own = next((s for s in self.sets if s.kind == "annotator" and s.member == me), None)
        self.target = MINE
        reviewer = self.project.can("groundtruth.edit")
        self.shown_layers = {s.uid for s in self.sets if s is not self.own and reviewer}
        self.reload_schema()
        self._load_queue()
        if open_first and self.navigator.items():
            self._open(self.navigator.items()[0])
        self._show_state()

    def reload_schema(self) -> None:
        at = self.version.seq if self.version is not None else None
        self.classes = self.project.label_classes(self.dataset, at_seq=at)
        self.class_by_uid = {c.uid: c for c in self.classes}
        self.class_by_name = {c.name: c for c in self.classes}
        for c in self.classes:
            self.canvas.set_label_color(c.name, c.color)
            if c.keypoints:
                self.canvas.set_skeleton(c.name, Skeleton(tuple(c.keypoints), tuple(c.skeleton)))
        self.classes_panel.set_classes(self.classes, self.hidden_classes, self.locked_classes)
        warnings = act.bind_class_keys(self, self.classes_panel.keys)
        for shortcut in self.class_shortcuts:
            shortcut.setEnabled(self.version is None)
        self.classes_panel.setToolTip("\n".join(warnings))
        if self.classes_panel.current is not None:
            self.set_current_class(self.classes_panel.current)
        self.schema_button.setVisible(self.project.can("schema.change"))
        self._tool_changed(self.canvas.tool.name)

    def _load_queue(self) -> None:
        set_uid = self.set_uid(self.target, create=False)
        counts = self.project.annotation_counts(set_uid) if set_uid else {}
        # Row ids in queue order, the items read a page at a time as they are shown.
        queue = LazyQueue(self.project, self.dataset, self.project.annotation_queue_ids(self.dataset))
        self.navigator.set_queue(queue, counts)

    def set_uid(self, key: str, *, create: bool) -> str | None:
        if key != MINE:
            return key
        if self.own is None and create:
            self.own = self.project.my_label_set(self.dataset)
        return self.own.uid if self.own is not None else None

    def _open(self, item: Any) -> None:
        self.canvas.tool.cancel()
        self.item = item
        self.session.set_item(item.uid)
        try:
            self.canvas.open_image(self.project.media_path(item.media_sha256), sha256=item.media_sha256)
        except LabelHubError as error:
            self.canvas.clear_image()
            self.say(f"{item.name}: {error}", error=True)
        if self.version is not None:
            self.load_version_layer()
        else:
            self._load_layers()
        self.navigator.show_current(item.uid)
        pos = self.navigator.position(item.uid)
        total = len(self.navigator.items())
        where = f"{pos + 1} of {total}" if pos is not None else "not in your queue"
        if self.version is not None:
            where = f"{pos + 1} of {total} in v{self.version.number}" if pos is not None \
                else f"not in v{self.version.number}"
        self.item_label.setText(f"<b>{item.name}</b>  ·  {item.width} × {item.height}  ·  {where}")
        self._show_state()
        self.canvas.setFocus()

    def _load_layers(self) -> None:
        self.contents = {}
        keys = [self.target] + [s.uid for s in self.sets if s.uid in self.shown_layers
                                and s.uid != self.set_uid(self.target, create=False)
                                and s is not self.own]
        first = True
        for key in keys:
            set_uid = self.set_uid(key, create=False)
            if set_uid is None:
                self.contents[key] = LayerContent()
                if first:
                    self.canvas.clear_shapes()
            else:
                try:
                    packed = self.project.packed_annotations(set_uid, self.item.uid)
                except LabelHubError as error:  # a label set this member may not read here
                    self.say(str(error), error=True)
                    continue
                self.contents[key] = load_layer(self.canvas, packed, key, self.class_name, replace_all=first)
            first = False
        self.canvas.current_layer = self.target
        for key in keys:
            self.canvas.set_layer(Layer(key, key, visible=True, editable=key == self.target))
        for c in self.hidden_classes | self.locked_classes:
            self.apply_class_switches(c)
        self._fill_layers_panel()
        self.after_edit()

    def _fill_layers_panel(self) -> None:
        me = self.project.member.name
        editable = [(MINE, "Your labels")]
        gt = next((s for s in self.sets if s.kind == "ground_truth"), None)
        if gt is not None and self.project.can("groundtruth.edit"):
            editable.append((gt.uid, "Ground truth"))
        item = self.item.uid if self.item else None
        others = []
        for s in self.sets:
            if s is self.own or s.uid == self.target:
                continue
            count = self.project.annotation_counts(s.uid, [item]).get(item, 0) if item else 0
            others.append((s.uid, set_title(s, me), s.uid in self.shown_layers, count))
        self.layers_panel.set_layers(editable, others, self.target)
        titles = {s.uid: set_title(s, me) for s in self.sets if s is not self.own}
        self.shapes_panel.model.layer_titles = {k: v for k, v in titles.items() if k != self.target}

    # ------------------------------------------------------------------------------ helpers
    def class_name(self, class_uid: str | None) -> str:
        cls = self.class_by_uid.get(class_uid or "")
        return cls.name if cls is not None else NO_CLASS

    def class_uid(self, name: str) -> str:
        return self.class_by_name[name].uid

    def layer_of(self, uid: str) -> str | None:
        store = self.canvas.store
        row = store.row_of.get(uid)
        return None if row is None else store.layers[int(store.layer[row])].name

    def canvas_modifiers(self) -> Qt.KeyboardModifier:
        return Qt.KeyboardModifier.NoModifier

    def say(self, text: str, *, error: bool = False, saved: bool = False) -> None:
        self.save_label.setText(text)
        self.save_label.setStyleSheet(ERROR_STYLE if error else OK_STYLE if saved else "")
        self.save_label.setToolTip(text)

    def set_current_class(self, uid: str) -> None:
        cls = self.class_by_uid.get(uid)
        if cls is None:
            return
        self.canvas.current_label = cls.name
        self.classes_panel.set_current(uid)

    def after_edit(self) -> None:
        """Keep the panels in step after a change was saved or taken back."""
        content = self.contents.get(self.target)
        if self.item is not None and content is not None:
            store = self.canvas.store
            n = store.n
            layer = store.layer_index(self.target)
            count = int((store.alive[:n] & (store.layer[:n] == layer)).sum()) + len(content.tags)
            self.navigator.model.set_count(self.item.uid, count)
            self.shapes_panel.set_flagged(set(content.flagged))
        self.refresh_tags()
        self.show_attributes()
        self._update_undo()

    def refresh_tags(self) -> None:
        content = self.contents.get(self.target)
        on = set(content.tags.values()) if content else set()
        self.tags_panel.set_classes(self.classes, self.classes_panel.keys, on,
                                    self.item is not None and self.version is None)

    def show_attributes(self) -> None:
        uids = self.canvas.selected_uids()[:200]
        if not uids or self.project is None:
            self.attributes_panel.show_selection([], None, editable=False)
            return
        if self.version is not None:  # the attributes as they were in the version
            known = self.version_annotations()
            infos = [known[u] for u in uids if u in known]
        else:
            infos = self.project.annotation_infos(uids)
        classes = {i.class_uid for i in infos}
        cls = self.class_by_uid.get(next(iter(classes)) or "") if len(classes) == 1 else None
        editable = self.version is None and all(self.layer_of(u) == self.target for u in uids)
        self.attributes_panel.show_selection(infos, cls, editable=editable,
                                             picked=self.canvas.picked_keypoint())

    def _update_undo(self) -> None:
        if self.version is not None:
            self.actions_["undo"].setEnabled(False)
            self.actions_["redo"].setEnabled(False)
            return
        self.actions_["undo"].setEnabled(self.session.can_undo())
        self.actions_["redo"].setEnabled(self.session.can_redo())
        self.actions_["undo"].setText(f"Undo {self.session.undo_text()}".strip())
        self.actions_["redo"].setText(f"Redo {self.session.redo_text()}".strip())

    def _show_state(self) -> None:
        ready = self.project is not None and self.item is not None
        self.canvas.setVisible(ready)
        self.empty.setVisible(not ready)
        self.toolbar.setEnabled(ready)
        if self.project is None:
            text = "Open a project to annotate its images."
        elif self.dataset is None:
            text = "This project has no datasets yet. A lead creates one in Assets and imports images."
        elif not self.navigator.items() and self.version is not None:
            text = f"Version {self.version.number} of {self.dataset} has no images."
        elif not self.navigator.items():
            text = (f"The dataset {self.dataset} has no images in your queue yet. Import images into it "
                    "in the Assets workspace.")
        else:
            text = "Choose an image on the left."
        self.empty.text_label.setText(text)

    # ------------------------------------------------------------------------- navigation
    def go(self, step: int) -> None:
        target = self.navigator.neighbour(self.item.uid if self.item else None, step)
        if target is None:
            self.say("This is the last image of the queue." if step > 0 else "This is the first image.")
            return
        self._open(target)

    def go_unlabeled(self, step: int) -> None:
        items = self.navigator.items()
        counts = self.navigator.model.counts
        pos = self.navigator.position(self.item.uid if self.item else None) or 0
        n = len(items)
        for k in range(1, n + 1):
            candidate = items[(pos + k * step) % n]
            if not counts.get(candidate.uid):
                self._open(candidate)
                return
        self.say("Every image of your queue has labels.")

    def jump(self) -> None:
        item = self.navigator.ask_jump()
        if item is not None:
            self._open(item)

    def zoom(self, factor: float) -> None:
        from PySide6.QtCore import QPointF

        self.canvas.zoom_at(factor, QPointF(self.canvas.width() / 2, self.canvas.height() / 2))

    def select_all(self) -> None:
        self.canvas.select(self.canvas.shapes_inside(None))

    def set_tool(self, name: str) -> None:
        if self.version is not None and name != "select":
            self.say(f"Version {self.version.number} is read-only: there is nothing to draw.", error=True)
            return
        if self.item is not None:
            self.canvas.set_tool(name)

    def _tool_changed(self, name: str) -> None:
        action = self.actions_.get(next((k for k, v in act.TOOL_COMMANDS.items() if v == name), ""))
        if action is not None:
            action.setChecked(True)
        kind = TOOL_KINDS.get(name)
        self.classes_panel.set_enabled_kind(kind)
        current = self.class_by_name.get(self.canvas.current_label)
        if kind and (current is None or not current.allows(kind)):
            fitting = next((c for c in self.classes if c.allows(kind)), None)
            if fitting is not None:
                self.set_current_class(fitting.uid)
                self.say(f"{fitting.name} chosen: it allows {kind.replace('_', ' ')} shapes.")
            elif self.classes:
                self.say(f"No class allows {kind.replace('_', ' ')} shapes.", error=True)

    def _cursor_moved(self, x: float, y: float) -> None:
        self.cursor_label.setText(f"x {x:.1f}  y {y:.1f}  ·  {self.canvas.view.scale * 100:.0f}%")

    def tag_current_class(self) -> None:
        cls = self.class_by_name.get(self.canvas.current_label)
        if cls is None or not cls.allows("tag"):
            self.say("The current class does not allow image tags.", error=True)
            return
        tags = self.contents.get(self.target)
        self.toggle_tag(cls.uid, cls.uid not in set(tags.tags.values()) if tags else True)

    # ------------------------------------------------------------------------ panel events
    def _class_shown(self, uid: str, shown: bool) -> None:
        (self.hidden_classes.discard if shown else self.hidden_classes.add)(uid)
        self.apply_class_switches(uid)

    def _class_locked(self, uid: str, locked: bool) -> None:
        (self.locked_classes.add if locked else self.locked_classes.discard)(uid)
        self.apply_class_switches(uid)

    def _target_changed(self, key: str) -> None:
        if key and key != self.target and self.version is None:
            self.target = key
            self._load_queue()
            if self.item is not None:
                self._load_layers()

    def _layer_shown(self, key: str, shown: bool) -> None:
        (self.shown_layers.add if shown else self.shown_layers.discard)(key)
        if self.item is None or self.version is not None:
            return
        if shown and key not in self.contents:
            try:
                packed = self.project.packed_annotations(key, self.item.uid)
            except LabelHubError as error:  # e.g. another annotator's work hidden until review
                self.shown_layers.discard(key)
                self.say(str(error), error=True)
                return
            self.contents[key] = load_layer(self.canvas, packed, key, self.class_name, replace_all=False)
            self.canvas.set_layer(Layer(key, key, visible=True, editable=False))
        else:
            self.canvas.set_layer_visible(key, shown)

    def _picked_in_list(self, uids: list[str]) -> None:
        self.canvas.select(uids)
        if len(uids) == 1:
            b = self.canvas.store.bounds[self.canvas.store.row_of[uids[0]]]
            x0, y0, x1, y1 = self.canvas.view.visible(self.canvas.width(), self.canvas.height())
            if not (b[0] >= x0 and b[2] <= x1 and b[1] >= y0 and b[3] <= y1):
                self.canvas.center_on((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.help_overlay.isVisible():
            self.help_overlay.setGeometry(self.rect())
