"""The main window: start page or an open project with its five workspaces.

Workspaces load lazily: when a project is opened or its data changes, only the page on screen
(and Assets, which lists its items lazily itself) reads the project; every other page is told
when it is next shown. Opening a project of a million items therefore costs what the Assets
page costs, and a page nobody opens reads nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QWidget,
)

from labelhub.errors import LabelHubError, UnknownMember
from labelhub.gui import import_dialogs, project_dialogs
from labelhub.gui.about_dialog import AboutDialog
from labelhub.gui.assets import AssetsWorkspace
from labelhub.gui.assets.datasets import created_times
from labelhub.gui.icons import app_icon
from labelhub.gui.importer import ImportController
from labelhub.gui.members_dialog import MembersDialog
from labelhub.gui.menus import build_menus, refresh_action_icons
from labelhub.gui.messages import show_error, show_info
from labelhub.gui.settings import AppSettings, default_demo_folder, project_key
from labelhub.gui.start_page import StartPage
from labelhub.gui.tasks import BackgroundTask, Progress
from labelhub.gui.widgets import Sidebar
from labelhub.gui.workspaces import (
    WORKSPACE_FACTORIES,
    WORKSPACES,
    PlaceholderWorkspace,
    load_workspaces,
)

DEMO_LEAD = "lena"


def _project_api() -> Any:
    from labelhub.project import Project

    return Project


def _role_value(role: object) -> str:
    return str(getattr(role, "value", role))


def local_paths(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[Path]:
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


class MainWindow(QMainWindow):
    project_opened = Signal()
    project_closed = Signal()

    def __init__(self, settings: AppSettings | None = None, demo_folder: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings if settings is not None else AppSettings()
        self.demo_folder = demo_folder if demo_folder is not None else default_demo_folder()
        self.project: Any = None
        self.demo_task: BackgroundTask | None = None
        self.members_dialog: MembersDialog | None = None
        self.about_dialog: AboutDialog | None = None
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.setMinimumSize(820, 560)
        self.resize(1180, 760)

        self.pages = QStackedWidget(self)
        self.setCentralWidget(self.pages)
        self.start_page = StartPage(self.pages)
        self.pages.addWidget(self.start_page)

        self.project_view = QWidget(self.pages)
        row = QHBoxLayout(self.project_view)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        self.sidebar = Sidebar(self.project_view)
        self.workspace_stack = QStackedWidget(self.project_view)
        row.addWidget(self.sidebar)
        row.addWidget(self.workspace_stack, 1)
        self.pages.addWidget(self.project_view)

        load_workspaces()
        self.assets = AssetsWorkspace(self.workspace_stack)
        self.workspaces: dict[str, QWidget] = {}
        for info in WORKSPACES:
            factory = WORKSPACE_FACTORIES.get(info.key)
            if info.key == "assets" and factory is None:
                page: QWidget = self.assets
            elif factory is not None:
                page = factory(self)
            else:
                page = PlaceholderWorkspace(info)
            self.workspaces[info.key] = page
            self.workspace_stack.addWidget(page)
            self.sidebar.add_workspace(info.key, info.title, info.tooltip)
        #: Pages that owe a project or a refresh: key -> "project" | "refresh" (see _pages_call).
        self._owed: dict[str, str] = {}
        self.sidebar.workspace_selected.connect(self._show_workspace)
        self.sidebar.setCurrentRow(0)

        self.project_label = QLabel(self)
        self.member_label = QLabel(self)
        self.role_label = QLabel(self)
        self.role_label.setObjectName("RoleBadge")
        status = self.statusBar()
        status.setSizeGripEnabled(False)
        for label in (self.project_label, self.member_label, self.role_label):
            status.addPermanentWidget(label)

        self.importer = ImportController(self)
        self.recent_menu: QMenu | None = None
        self.menu_actions: dict[str, QAction] = build_menus(self)
        schema_action = self.menu_actions.get("label_schema")
        if schema_action is not None:  # the Annotate page may not have loaded the project yet
            schema_action.triggered.disconnect()
            schema_action.triggered.connect(lambda _checked=False: self.open_label_schema())
        self.start_page.new_requested.connect(self.new_project)
        self.start_page.open_requested.connect(self.choose_and_open_project)
        self.start_page.demo_requested.connect(self.open_demo)
        self.start_page.recent_requested.connect(self.open_project)
        self.start_page.clear_missing_requested.connect(self.remove_missing_recent)
        self.assets.import_requested.connect(self.importer.choose_and_import)
        self.assets.new_dataset_requested.connect(self.new_dataset)

        self._icon_timer = QTimer(self)
        self._icon_timer.setSingleShot(True)
        self._icon_timer.setInterval(0)
        self._icon_timer.timeout.connect(self.refresh_icons)
        self._restore_window()
        self._show_start_page()

    # Pages ------------------------------------------------------------------------------------

    def _show_start_page(self) -> None:
        self.refresh_recent()
        self.pages.setCurrentWidget(self.start_page)
        self.setWindowTitle("LabelHub")
        self._update_status()
        self._update_actions()

    def refresh_recent(self) -> None:
        Project = _project_api()
        self.start_page.set_recent(self.settings.recent_projects(), Project.is_project)

    def remove_missing_recent(self) -> None:
        Project = _project_api()
        for path in self.settings.recent_projects():
            if not Project.is_project(path):
                self.settings.remove_recent_project(path)
        self.refresh_recent()

    def showing_start_page(self) -> bool:
        return self.pages.currentWidget() is self.start_page

    def set_workspace(self, key: str) -> None:
        self.sidebar.setCurrentRow([info.key for info in WORKSPACES].index(key))

    def current_workspace(self) -> str:
        return WORKSPACES[self.workspace_stack.currentIndex()].key

    def _show_workspace(self, index: int) -> None:
        self.workspace_stack.setCurrentIndex(index)
        if 0 <= index < len(WORKSPACES):
            self.workspace(WORKSPACES[index].key)

    def workspace(self, key: str) -> QWidget:
        """The page of workspace ``key``, brought up to date with the project first if it was
        not on screen when the project opened or changed."""
        page = self.workspaces[key]
        owed = self._owed.pop(key, None)
        if owed == "project":
            page.set_project(self.project)  # type: ignore[attr-defined]
        elif owed == "refresh":
            page.refresh()  # type: ignore[attr-defined]
        return page

    def open_label_schema(self) -> Any:
        """Project > Label Schema…: the Annotate page's schema editor for its dataset."""
        page = self.workspace("annotate")
        return page.open_schema_editor()  # type: ignore[attr-defined]

    def refresh_icons(self) -> None:
        self.setWindowIcon(app_icon())
        self.sidebar.refresh_icons()
        self.start_page.refresh_icons()
        self.assets.refresh_icons()
        for page in self.workspaces.values():
            if page is not self.assets and hasattr(page, "refresh_icons"):
                page.refresh_icons()
        refresh_action_icons(self.menu_actions.values())

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._icon_timer.start()
        super().changeEvent(event)

    # Opening and closing ----------------------------------------------------------------------

    def _busy(self) -> bool:
        if self.importer.busy or (self.demo_task is not None and self.demo_task.running):
            show_info(self, "LabelHub is still working. Wait for it to finish, or cancel it.")
            return True
        return False

    def choose_member(self, path: Path, user: str | None = None,
                      preselect: str | None = None) -> str | None:
        """Who signs in: ``user`` if valid, else the remembered member, else ask."""
        Project = _project_api()
        members = Project.list_members(path)
        active = {m.name for m in members if m.active}
        for candidate in (user, self.settings.remembered_member(path)):
            if candidate and candidate in active:
                return candidate
        if len(active) == 1:
            return next(iter(active))
        guess = preselect or project_dialogs.default_member_name()
        return project_dialogs.ask_member(self, Path(project_key(path)).name, members, guess)

    def _open_as_known_member(self, path: Path, user: str | None) -> Any:
        """The project opened as ``user`` or the member remembered for it, None when neither is
        an active member (then the sign-in list is read). Opening checks the whole file once:
        listing the members first would check it twice."""
        Project = _project_api()
        for candidate in dict.fromkeys((user, self.settings.remembered_member(path))):
            if candidate:
                try:
                    return Project.open(path, user=candidate)
                except UnknownMember:
                    continue
        return None

    def open_project(self, path: Path | str, user: str | None = None,
                     preselect: str | None = None) -> bool:
        """Open the project at ``path`` (folder or project.labelhub), signing in; True if open."""
        if self._busy():
            return False
        Project = _project_api()
        path = Path(path).expanduser()
        try:
            project = self._open_as_known_member(path, user)
            if project is None:
                member = self.choose_member(path, user, preselect)
                if member is None:
                    return False
                project = Project.open(path, user=member)
        except LabelHubError as error:
            show_error(self, error, title="Could not open the project")
            self.refresh_recent()
            return False
        self._set_project(project)
        return True

    def _set_project(self, project: Any) -> None:
        old, self.project = self.project, project
        if old is not None:
            old.close()
        self.settings.add_recent_project(project.folder)
        self.settings.remember_member(project.folder, project.member.name)
        self.pages.setCurrentWidget(self.project_view)
        self._pages_call("set_project", project)
        self.refresh_project()
        self.project_opened.emit()

    def _pages_call(self, method: str, *args: Any) -> None:
        """Call ``method`` on every built workspace page that has it, except that a page off
        screen is given a project (``set_project``) or refreshed (``refresh``) only when it is
        next shown (``workspace``); until then it holds no project. Assets is always called:
        it reads its items lazily, and the window fills its dataset list on every refresh."""
        current = self.workspace_stack.currentWidget() if self.pages.currentWidget() is self.project_view else None
        for key, page in self.workspaces.items():
            if page is self.assets and WORKSPACE_FACTORIES.get("assets") is None:
                continue
            handler = getattr(page, method, None)
            if handler is None:
                continue
            lazy = page is not self.assets and page is not current
            if method == "set_project":
                self._owed.pop(key, None)
                if lazy and args and args[0] is not None:
                    if getattr(page, "project", None) is not None:
                        handler(None)  # let go of the previous project now
                    self._owed[key] = "project"
                    continue
            elif method == "refresh" and lazy:
                self._owed.setdefault(key, "refresh")
                continue
            handler(*args)

    def show_item(self, dataset: str, item_uid: str, version: Any = None) -> None:
        """Open one item in the Annotate workspace (from any other workspace); ``version`` (a
        VersionInfo): as that dataset version held it, read-only."""
        page = self.workspaces.get("annotate")
        if page is not None and hasattr(page, "show_item"):
            self.set_workspace("annotate")
            annotate: Any = self.workspace("annotate")
            if version is not None:
                annotate.show_item(dataset, item_uid, version=version)
            else:
                annotate.show_item(dataset, item_uid)

    def browse_version(self, dataset: str, version: Any) -> None:
        """Browse ``dataset`` as ``version`` (a VersionInfo) held it in the Assets workspace."""
        self.set_workspace("assets")
        self.assets.show_version(dataset, version)

    def close_project(self) -> bool:
        if self.project is None:
            return True
        if self._busy():
            return False
        project, self.project = self.project, None
        self._pages_call("set_project", None)
        project.close()
        self._show_start_page()
        self.project_closed.emit()
        return True

    def new_project(self) -> bool:
        if self._busy():
            return False
        dialog = project_dialogs.NewProjectDialog(self.settings.last_location(), self)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return False
            return self.create_project(dialog.folder(), dialog.lead(), dialog.display_name())
        finally:
            dialog.deleteLater()

    def create_project(self, folder: Path, lead: str, display_name: str | None = None) -> bool:
        Project = _project_api()
        try:
            project = Project.create(folder, lead=lead, display_name=display_name)
        except LabelHubError as error:
            show_error(self, error, title="Could not create the project")
            return False
        self.settings.set_last_location(Path(folder).parent)
        self._set_project(project)
        return True

    def choose_and_open_project(self) -> bool:
        start = self.project.folder.parent if self.project else self.settings.last_location()
        folder = QFileDialog.getExistingDirectory(self, "Open a project folder", str(start))
        if not folder:
            return False
        self.settings.set_last_location(Path(folder).parent)
        return self.open_project(Path(folder))

    def open_demo(self, user: str | None = None) -> bool:
        """Open the demo project, building it first (on a worker) if it does not exist yet."""
        if self._busy():
            return False
        Project = _project_api()
        folder = self.demo_folder
        if Project.is_project(folder):
            return self.open_project(folder, user=user, preselect=DEMO_LEAD) and self._show_demo_item()

        def job(progress: Progress, cancel: Any) -> Any:
            from labelhub.project.demo import build_demo

            return build_demo(folder, progress=progress, cancel=cancel)

        def built(path: Any) -> None:
            if self.open_project(Path(path) if path else folder, user=user, preselect=DEMO_LEAD):
                self._show_demo_item()

        self.demo_task = BackgroundTask(
            self, "Open demo", "Building the demo project…", job, on_success=built,
            on_error=lambda error: show_error(self, error, title="Could not build the demo"),
            on_cancelled=lambda: show_info(self, "The demo project was not built."),
        )
        self.demo_task.finished.connect(self._demo_finished)
        self.demo_task.start()
        return True

    def _show_demo_item(self) -> bool:
        """Open the demo's labelled image in the Annotate workspace."""
        from labelhub.project.annotate_demo import demo_item

        found = demo_item(self.project) if self.project is not None else None
        if found is not None and "annotate" in WORKSPACE_FACTORIES:
            self.show_item(*found)
        return True

    def _demo_finished(self) -> None:
        if self.demo_task is not None:
            self.demo_task.deleteLater()
        self.demo_task = None

    def switch_member(self) -> bool:
        if self.project is None or self._busy():
            return False
        Project = _project_api()
        folder = self.project.folder
        try:
            members = Project.list_members(folder)
            chosen = project_dialogs.ask_member(self, self.project.name, members,
                                                self.project.member.name)
            if chosen is None or chosen == self.project.member.name:
                return False
            project = Project.open(folder, user=chosen, backup=False)
        except LabelHubError as error:
            show_error(self, error, title="Could not switch member")
            return False
        self._set_project(project)
        return True

    # Project content --------------------------------------------------------------------------

    def refresh_project(self) -> None:
        if self.project is None:
            return
        try:
            datasets = self.project.datasets()
            created = created_times(self.project, datasets)
        except LabelHubError as error:
            show_error(self, error)
            datasets, created = [], {}
        self.assets.set_datasets(datasets, created)
        self.assets.set_permissions(self.project.can("dataset.create"),
                                    self.project.can("images.import"), self._lead_only_tip())
        self.setWindowTitle(f"{self.project.name} — LabelHub")
        self._update_status()
        self._update_actions()
        self._pages_call("refresh")

    def dataset_names(self) -> list[str]:
        return self.assets.model.dataset_names()

    def current_dataset_name(self) -> str | None:
        rows = self.assets.table.selectionModel().selectedRows()
        names = self.dataset_names()
        if rows and rows[0].row() < len(names):
            return names[rows[0].row()]
        return names[0] if len(names) == 1 else None

    def current_role(self) -> str:
        """The signed-in member's role as the project records it now."""
        if self.project is None:
            return ""
        name = self.project.member.name
        try:
            for member in self.project.members():
                if member.name == name:
                    return _role_value(member.role)
        except LabelHubError:
            pass
        return _role_value(self.project.member.role)

    def _update_status(self) -> None:
        if self.project is None:
            for label in (self.project_label, self.member_label, self.role_label):
                label.clear()
                label.hide()
            self.statusBar().showMessage("No project open")
            return
        self.statusBar().clearMessage()
        member = self.project.member
        self.project_label.setText(self.project.name)
        self.project_label.setToolTip(str(self.project.folder))
        shown = member.display_name or member.name
        self.member_label.setText(f"Signed in as {shown}")
        self.member_label.setToolTip(f"Member name: {member.name}")
        self.role_label.setText(project_dialogs.role_title(self.current_role()))
        for label in (self.project_label, self.member_label, self.role_label):
            label.show()

    def _lead_only_tip(self) -> str:
        if self.project is None:
            return ""
        member = self.project.member
        return (f"Only a lead can do this; {member.name} is "
                f"{project_dialogs.role_title(member.role).lower()}.")

    def _update_actions(self) -> None:
        has_project = self.project is not None
        for key in ("close", "members", "switch_member"):
            self.menu_actions[key].setEnabled(has_project)
        for key, permission in (("import", "images.import"), ("new_dataset", "dataset.create")):
            self.menu_actions[key].setEnabled(has_project and self.project.can(permission))
        for info in WORKSPACES:
            self.menu_actions[f"workspace_{info.key}"].setEnabled(has_project)
        if "label_schema" in self.menu_actions:
            self.menu_actions["label_schema"].setEnabled(has_project and self.project.can("schema.change"))

    def new_dataset(self) -> bool:
        if self.project is None:
            return False
        values = import_dialogs.ask_new_dataset(self)
        if values is None:
            return False
        name, description = values
        try:
            self.project.create_dataset(name, description=description)
        except LabelHubError as error:
            show_error(self, error, title="Could not create the dataset")
            return False
        self.refresh_project()
        self.set_workspace("assets")
        return True

    def show_members(self) -> MembersDialog | None:
        if self.project is None:
            return None
        if self.members_dialog is not None:
            self.members_dialog.close()
            self.members_dialog.deleteLater()
        self.members_dialog = MembersDialog(self.project, self)
        self.members_dialog.members_changed.connect(self.refresh_project)
        self.members_dialog.open()
        return self.members_dialog

    def show_about(self) -> AboutDialog:
        if self.about_dialog is None:
            self.about_dialog = AboutDialog(self)
        self.about_dialog.open()
        return self.about_dialog

    # Drag and drop ----------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if local_paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_paths(event)
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        # Dialogs must not run inside the drop handler: the drag source waits for it to return.
        QTimer.singleShot(0, lambda: self.handle_dropped(paths))

    def handle_dropped(self, paths: list[Path]) -> None:
        Project = _project_api()
        if len(paths) == 1 and Project.is_project(paths[0]):
            self.open_project(paths[0])
        elif self.project is None:
            show_info(self, "Open or create a project first, then drop images on the window "
                            "to import them.")
        else:
            self.importer.import_paths(paths)

    # Window -----------------------------------------------------------------------------------

    def _restore_window(self) -> None:
        geometry = self.settings.window_geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state)

    def closeEvent(self, event: QCloseEvent) -> None:
        for task in (self.importer.task, self.demo_task):
            if task is not None and task.running:
                task.abandon()
        self.settings.save_window(self.saveGeometry(), self.saveState())
        if self.project is not None:
            self.project.close()
            self.project = None
        super().closeEvent(event)
