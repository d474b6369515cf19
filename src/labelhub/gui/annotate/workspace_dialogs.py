"""The dialogs the Annotate workspace opens: keyboard help, display settings, a class's
guidelines, shortcut bindings and the label schema editor."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from labelhub.gui.annotate import actions as act
from labelhub.gui.annotate.overlays import DisplayDialog, GuidelinesDialog


class WorkspaceDialogsMixin:
    """Part of AnnotateWorkspace (``self`` is the workspace)."""

    def show_help(self) -> None:
        self.help_overlay.open()

    def show_display(self) -> None:
        if self.display_dialog is None:
            self.display_dialog = DisplayDialog(self)
            self.display_dialog.changed.connect(self.canvas.set_display)
        self.display_dialog.show()
        self.display_dialog.raise_()

    def show_guidelines(self) -> GuidelinesDialog | None:
        cls = self.class_by_name.get(self.canvas.current_label)
        if cls is None:
            self.say("There is no class to show guidelines for.")
            return None
        dialog = GuidelinesDialog(cls.name, cls.guidelines, self.project.guideline_image_path, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def edit_shortcuts(self) -> Any:
        from labelhub.gui.annotate.shortcuts_dialog import ShortcutsDialog

        dialog = ShortcutsDialog(self.shortcuts, self)
        dialog.accepted.connect(self.apply_shortcuts)
        dialog.open()
        return dialog

    def apply_shortcuts(self) -> None:
        act.apply_bindings(self, self.actions_)
        act.bind_class_keys(self, self.classes_panel.keys)
        self.help_overlay.update()

    def open_schema_editor(self) -> Any:
        from labelhub.gui.annotate.schema_editor import SchemaEditor
        from labelhub.gui.messages import show_info

        if self.project is None or self.dataset is None:
            show_info(self, "Open a project with a dataset first.")
            return None
        if self.version is not None:
            show_info(self, "A dataset version is shown: its label schema is read-only. "
                            "Back to current to edit the schema.")
            return None
        editor = SchemaEditor(self.project, self.dataset, self)
        editor.schema_changed.connect(self._schema_changed)
        editor.open()
        return editor

    def _schema_changed(self) -> None:
        if self.version is not None:  # a version's schema never changes
            return
        self.reload_schema()
        if self.item is not None:
            self._load_layers()
