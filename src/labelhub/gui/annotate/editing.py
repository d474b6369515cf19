"""The workspace's edits: each canvas gesture or panel action becomes one Project call through
the session (saved at once, undoable), and what undo and redo did is shown on the canvas."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

from labelhub.errors import InvalidInput, LabelHubError
from labelhub.geometry import Shape, Tag, shape_from_dict
from labelhub.gui.annotate.loading import NO_CLASS, apply_item_change, rounded
from labelhub.gui.canvas import (
    CanvasShape,
    Command,
    LabelsChanged,
    ShapeAdded,
    ShapeChanged,
    ShapesChanged,
    ShapesDeleted,
)
from labelhub.project import AnnotationEdit, NewAnnotation

if TYPE_CHECKING:
    from labelhub.gui.annotate.workspace import AnnotateWorkspace

MIME = "application/x-labelhub-shapes"
DUPLICATE_OFFSET = 10.0


def _kind(shape: Shape) -> str:
    return shape.kind.replace("_", " ")


class EditingMixin:
    """Mixed into AnnotateWorkspace."""

    def _ws(self) -> AnnotateWorkspace:
        return self  # type: ignore[return-value]

    # ---------------------------------------------------------------------- canvas gestures
    def _on_command(self, cmd: Command) -> None:
        ws = self._ws()
        if ws.item is None or ws.project is None or ws.version is not None:
            ws.canvas.revert(cmd)
            if ws.version is not None:
                ws.session.failed.emit(ws.session.read_only or "read-only")
            return
        try:
            done = self._save_command(cmd)
        except LabelHubError as error:  # refused before reaching the project (no class, ...)
            ws.session.failed.emit(str(error))
            done = False
        if not done:
            ws.canvas.revert(cmd)
        ws.after_edit()

    def _save_command(self, cmd: Command) -> bool:
        ws = self._ws()
        if isinstance(cmd, ShapeAdded):
            return self._save_added(cmd)
        if isinstance(cmd, ShapeChanged | ShapesChanged):
            changes = (cmd,) if isinstance(cmd, ShapeChanged) else cmd.changes
            edits, shown = [], []
            for c in changes:
                new = rounded(c.new)
                edits.append(AnnotationEdit(c.uid, shape=new))
                shown.append(ShapeChanged(c.uid, c.new, new))
            what = (f"{_kind(changes[0].new)} changed" if len(changes) == 1
                    else f"{len(changes)} shapes moved")
            if ws.session.run(what, lambda: ws.project.change_annotations(edits)) is None:
                return False
            for s in shown:
                if s.old != s.new:
                    ws.canvas.apply(s)
            return True
        if isinstance(cmd, ShapesDeleted):
            uids = list(cmd.uids)
            what = f"{_kind(cmd.shapes[0].shape)} deleted" if len(uids) == 1 else f"{len(uids)} shapes deleted"
            if ws.session.run(what, lambda: ws.project.delete_annotations(uids)) is None:
                return False
            for content in ws.contents.values():
                for uid in uids:
                    content.z.pop(uid, None)
                    content.flagged.discard(uid)
            return True
        if isinstance(cmd, LabelsChanged):
            edits = [AnnotationEdit(uid, label=ws.class_uid(new)) for uid, _old, new in cmd.changes]
            what = f"class changed to {cmd.changes[0][2]}"
            result = ws.session.run(what, lambda: ws.project.change_annotations(edits))
            if result is not None:
                self._refresh_flags([uid for uid, _o, _n in cmd.changes], result[1])
            return result is not None
        return False

    def _save_added(self, cmd: ShapeAdded) -> bool:
        ws = self._ws()
        cls = ws.class_by_name.get(cmd.label)
        if cls is None:
            raise InvalidInput("there are no label classes yet: a lead adds them with "
                               "Project › Label Schema…")
        shape = rounded(cmd.shape)
        set_uid = ws.set_uid(cmd.layer, create=True)
        content = ws.contents[cmd.layer]
        attrs = {a.name: a.default for a in cls.attributes if a.default is not None}
        z = content.top()
        new = NewAnnotation(cls.uid, shape, attrs, z=z)
        result = ws.session.run(f"{cls.name} {_kind(shape)} added",
                                lambda: ws.project.add_annotations_seq(set_uid, ws.item.uid, [new]))
        if result is None:
            return False
        (_seq, uids), _ = result
        ws.canvas.replace_uid(cmd.uid, uids[0])
        if shape != cmd.shape:
            ws.canvas.apply(ShapeChanged(uids[0], cmd.shape, shape))
        content.z[uids[0]] = z
        if any(a.required and a.name not in attrs for a in cls.attributes):
            content.flagged.add(uids[0])
        ws.canvas.select([uids[0]])
        return True

    def _refresh_flags(self, uids: list[str], _seq: int) -> None:
        ws = self._ws()
        infos = ws.project.annotation_infos(uids)
        content = ws.contents.get(ws.target)
        if content is None:
            return
        for info in infos:
            if info.problems:
                content.flagged.add(info.uid)
            else:
                content.flagged.discard(info.uid)

    # --------------------------------------------------------------------------- undo, redo
    def undo(self) -> None:
        self._ws().canvas.tool.cancel()
        seq = self._ws().session.undo()
        if seq is not None:
            self._show_change(seq)

    def redo(self) -> None:
        self._ws().canvas.tool.cancel()
        seq = self._ws().session.redo()
        if seq is not None:
            self._show_change(seq)

    def _show_change(self, seq: int) -> None:
        ws = self._ws()
        set_uid = ws.set_uid(ws.target, create=False)
        if set_uid is None or ws.item is None:
            return
        change = ws.project.item_change(set_uid, ws.item.uid, seq)
        apply_item_change(ws.canvas, change, ws.target, ws.contents[ws.target], ws.class_name,
                          ws.effective_flags)
        ws.after_edit()

    # ---------------------------------------------------------------------------- selection
    def editable_selection(self) -> list[str]:
        ws = self._ws()
        return [u for u in ws.canvas.selected_uids() if ws.layer_of(u) == ws.target]

    def delete_selected(self) -> None:
        """The delete command: the vertex under the pointer (select tool), else the selected
        shapes of the label set drawn in."""
        self._ws().canvas.delete_command()

    # ---------------------------------------------------------------------- copy and paste
    def copy_selected(self) -> int:
        ws = self._ws()
        uids = ws.canvas.selected_uids()
        if not uids:
            ws.say("Select shapes to copy first.")
            return 0
        shapes = []
        for info in self._infos(uids):
            shapes.append({"class": info.class_uid, "label": info.label, "shape": info.shape.to_dict(),
                           "attributes": info.attributes})
        data = json.dumps({"dataset": ws.dataset, "shapes": shapes})
        ws.clipboard = data
        mime = QMimeData()
        mime.setData(MIME, data.encode("utf-8"))
        mime.setText(f"{len(shapes)} LabelHub shape{'s' if len(shapes) != 1 else ''}")
        QGuiApplication.clipboard().setMimeData(mime)
        ws.say(f"Copied {len(shapes)} shape{'s' if len(shapes) != 1 else ''}.")
        return len(shapes)

    def _infos(self, uids: list[str]) -> list[Any]:
        """Annotation infos of canvas shapes in any layer (with their attributes); those of a
        version shown, as they were in it."""
        ws = self._ws()
        if ws.version is not None:
            known = ws.version_annotations()
            return [known[u] for u in uids if u in known]
        return ws.project.annotation_infos(uids)

    def paste(self) -> int:
        ws = self._ws()
        mime = QGuiApplication.clipboard().mimeData()
        data = bytes(mime.data(MIME)).decode("utf-8") if mime is not None and mime.hasFormat(MIME) \
            else ws.clipboard
        if not data:
            ws.say("Nothing to paste: copy shapes first (Ctrl+C).")
            return 0
        payload = json.loads(data)
        shapes = [(s["class"], s.get("label"), shape_from_dict(s["shape"]), s.get("attributes") or {})
                  for s in payload["shapes"]]
        return self._add_copies(shapes, "pasted", same_dataset=payload.get("dataset") == ws.dataset)

    def duplicate(self) -> int:
        ws = self._ws()
        uids = ws.canvas.selected_uids()
        if not uids:
            ws.say("Select shapes to duplicate first.")
            return 0
        shapes = [(i.class_uid, i.label, i.shape.translated(DUPLICATE_OFFSET, DUPLICATE_OFFSET),
                   i.attributes) for i in self._infos(uids)]
        return self._add_copies(shapes, "duplicated", same_dataset=True)

    def _add_copies(self, shapes: list[tuple[str | None, str | None, Shape, dict[str, Any]]],
                    verb: str, *, same_dataset: bool) -> int:
        ws = self._ws()
        if ws.item is None:
            return 0
        content = ws.contents[ws.target]
        z = content.top()
        new, skipped = [], 0
        for class_uid, label, shape, attrs in shapes:
            cls = ws.class_by_uid.get(class_uid or "") if same_dataset else ws.class_by_name.get(label or "")
            if cls is None or not cls.allows(shape.kind) or shape.validate(ws.item.width, ws.item.height):
                skipped += 1
                continue
            if isinstance(shape, Tag):
                continue
            keep = {k: v for k, v in attrs.items() if cls.attribute(k) is not None}
            new.append(NewAnnotation(cls.uid, shape, keep, z=z))
        if not new:
            ws.say(f"Nothing {verb}: the shapes do not fit this image or its classes.")
            return 0
        set_uid = ws.set_uid(ws.target, create=True)
        n = len(new)
        result = ws.session.run(f"{n} shape{'s' if n != 1 else ''} {verb}",
                                lambda: ws.project.add_annotations_seq(set_uid, ws.item.uid, new))
        if result is None:
            return 0
        self._show_change(result[1])
        ws.canvas.select(result[0][1])
        if skipped:
            ws.say(f"{n} {verb}; {skipped} left out (they do not fit this image or its classes).")
        return n

    def copy_previous(self) -> int:
        """Copy every shape of the previous image of the queue onto this one (one change)."""
        ws = self._ws()
        if ws.item is None:
            return 0
        before = ws.navigator.neighbour(ws.item.uid, -1)
        set_uid = ws.set_uid(ws.target, create=False)
        if before is None or set_uid is None:
            ws.say("There is no previous image with shapes to copy.")
            return 0
        set_uid = ws.set_uid(ws.target, create=True)
        result = ws.session.run(f"shapes copied from {before.name}",
                                lambda: ws.project.copy_annotations(set_uid, before.uid, ws.item.uid))
        if result is None:
            return 0
        copy, seq = result
        if copy.seq is None:
            ws.say(f"{before.name} has no shapes that fit this image.")
            return 0
        self._show_change(seq)
        ws.canvas.select(list(copy.uids))
        extra = f"; {len(copy.skipped)} did not fit" if copy.skipped else ""
        ws.say(f"Copied {len(copy.uids)} shapes from {before.name}{extra}.")
        return len(copy.uids)

    # ------------------------------------------------------------- flags, order, classes, tags
    def _edit_selection(self, what: str, make: Any, uids: list[str] | None = None) -> bool:
        ws = self._ws()
        uids = self.editable_selection() if uids is None else uids
        if not uids:
            ws.say("Select shapes of the label set you draw in first.")
            return False
        edits = [make(u) for u in uids]
        result = ws.session.run(what, lambda: ws.project.change_annotations(edits))
        if result is None:
            return False
        self._show_change(result[1])
        return True

    def toggle_hidden(self) -> None:
        ws = self._ws()
        uids = self.editable_selection()
        content = ws.contents.get(ws.target)
        if not uids or content is None:
            ws.say("Select shapes to hide first; Shift+H shows hidden ones again.")
            return
        hide = not all(u in content.hidden for u in uids)
        self._edit_selection(f"{len(uids)} shape{'s' if len(uids) != 1 else ''} {'hidden' if hide else 'shown'}",
                             lambda u: AnnotationEdit(u, hidden=hide), uids)

    def show_all_hidden(self) -> None:
        ws = self._ws()
        content = ws.contents.get(ws.target)
        uids = sorted(content.hidden) if content else []
        if not uids:
            ws.say("No shape is hidden.")
            return
        self._edit_selection(f"{len(uids)} hidden shapes shown", lambda u: AnnotationEdit(u, hidden=False), uids)

    def toggle_locked(self) -> None:
        ws = self._ws()
        uids = self.editable_selection()
        content = ws.contents.get(ws.target)
        if not uids or content is None:
            ws.say("Select shapes to lock or unlock first.")
            return
        lock = not all(u in content.locked for u in uids)
        self._edit_selection(f"{len(uids)} shape{'s' if len(uids) != 1 else ''} {'locked' if lock else 'unlocked'}",
                             lambda u: AnnotationEdit(u, locked=lock), uids)

    def restack(self, front: bool) -> None:
        ws = self._ws()
        content = ws.contents.get(ws.target)
        if content is None:
            return
        z = content.top() + 1 if front else content.bottom() - 1
        self._edit_selection("brought to front" if front else "sent to back",
                             lambda u: AnnotationEdit(u, z=z))

    def choose_class(self, uid: str) -> None:
        """Make ``uid`` the current class; the selected shapes of the target layer take it."""
        ws = self._ws()
        cls = ws.class_by_uid.get(uid)
        if cls is None:
            return
        if ws.version is not None:
            ws.say(ws.session.read_only or "read-only", error=True)
            return
        if cls.kinds == ("tag",):
            self.toggle_tag(uid, uid not in set(ws.contents[ws.target].tags.values())
                            if ws.target in ws.contents else True)
            return
        ws.set_current_class(uid)
        uids = [u for u in self.editable_selection() if ws.canvas.store.labels[ws.canvas.store.row_of[u]] != cls.name]
        if uids:
            refused = [u for u in uids if not cls.allows(ws.canvas.geometry_of(u).kind)]
            if refused:
                ws.say(f"{cls.name} does not allow {_kind(ws.canvas.geometry_of(refused[0]))} shapes.", error=True)
                return
            ws.canvas.relabel_selected(cls.name)

    def toggle_tag(self, class_uid: str, on: bool) -> None:
        ws = self._ws()
        if ws.item is None or ws.target not in ws.contents:
            return
        if ws.version is not None:
            ws.say(ws.session.read_only or "read-only", error=True)
            ws.refresh_tags()
            return
        cls = ws.class_by_uid[class_uid]
        tags = ws.contents[ws.target].tags
        existing = [u for u, c in tags.items() if c == class_uid]
        set_uid = ws.set_uid(ws.target, create=True)
        if on and existing or not on and not existing:
            ws.refresh_tags()
            return
        if not on:
            result = ws.session.run(f"tag {cls.name} removed", lambda: ws.project.delete_annotations(existing))
        elif ws.tags_panel.single.isChecked() and len(tags) == 1:
            only = next(iter(tags))
            result = ws.session.run(f"tagged {cls.name}", lambda: ws.project.change_annotations(
                [AnnotationEdit(only, label=class_uid)]))
        elif ws.tags_panel.single.isChecked() and tags:
            ws.say("One tag per image: the image has several tags; remove them first.", error=True)
            result = None
        else:
            result = ws.session.run(f"tagged {cls.name}", lambda: ws.project.add_annotations_seq(
                set_uid, ws.item.uid, [NewAnnotation(class_uid, Tag())]))
        if result is not None:
            self._show_change(result[1])
        ws.refresh_tags()

    def edit_attributes(self, values: dict[str, Any]) -> None:
        ws = self._ws()
        uids = self.editable_selection()
        if not uids:
            return
        infos = ws.project.annotation_infos(uids)
        changed = [i.uid for i in infos if any(i.attributes.get(k) != v for k, v in values.items())]
        if not changed:
            return
        name = next(iter(values))
        if self._edit_selection(f"attribute {name} set", lambda u: AnnotationEdit(u, attributes=values), changed):
            ws.show_attributes()

    # ------------------------------------------------------------------------- class switches
    def effective_flags(self, uid: str, label: str) -> tuple[bool, bool]:
        """(hidden, locked) as the canvas shows ``uid``: saved flags or per-class switches."""
        ws = self._ws()
        content = ws.contents.get(ws.layer_of(uid) or ws.target)
        cls = ws.class_by_name.get(label)
        cls_uid = cls.uid if cls else NO_CLASS
        hidden = (content is not None and uid in content.hidden) or cls_uid in ws.hidden_classes
        locked = (content is not None and uid in content.locked) or cls_uid in ws.locked_classes
        return hidden, locked

    def apply_class_switches(self, class_uid: str) -> None:
        ws = self._ws()
        store = ws.canvas.store
        name = ws.class_name(class_uid)
        if name not in store.label_names:
            return
        index = store.label_names.index(name)
        rows = np.flatnonzero(store.alive[: store.n] & (store.label[: store.n] == index))
        uids = [store.uids[r] for r in rows.tolist()]
        hide = [u for u in uids if ws.effective_flags(u, name)[0]]
        show = [u for u in uids if not ws.effective_flags(u, name)[0]]
        lock = [u for u in uids if ws.effective_flags(u, name)[1]]
        unlock = [u for u in uids if not ws.effective_flags(u, name)[1]]
        ws.canvas.set_hidden(hide, True)
        ws.canvas.set_hidden(show, False)
        ws.canvas.set_locked(lock, True)
        ws.canvas.set_locked(unlock, False)

    def shape_row(self, uid: str) -> CanvasShape:
        return replace(self._ws().canvas.shape(uid))
