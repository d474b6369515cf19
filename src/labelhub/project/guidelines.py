"""Guidelines of a label class with example images.

A class's guidelines are Markdown text. An example image is stored like any other picture of
the project (content-addressed in ``media/``, deduplicated, a ``media`` row) and appears in the
text as ``![caption](media:SHA256)``; ``guideline_images`` lists them and ``media_path`` finds
their files. Adding one is a schema change (leads), versioned with the class.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from sqlalchemy import insert, select

from labelhub.errors import InvalidInput
from labelhub.media.probe import probe_image
from labelhub.project.assets import AssetsMixin
from labelhub.project.schema import LabelClassInfo, SchemaMixin, class_info
from labelhub.store.tables import LabelClass, Media
from labelhub.store.versioned import revise

_media = Media.__table__
_class = LabelClass.__table__
#: An example image in guidelines text: ![caption](media:<sha256>).
IMAGE_LINK = re.compile(r"!\[([^\]\n]*)\]\(media:([0-9a-f]{64})\)")


def guideline_images(text: str) -> list[tuple[str, str]]:
    """(caption, sha256) of each example image in a guidelines text, in order."""
    return [(m.group(1), m.group(2)) for m in IMAGE_LINK.finditer(text or "")]


class GuidelinesMixin(SchemaMixin, AssetsMixin):
    def add_guideline_image(self, dataset: str, label_class: str, path: str | os.PathLike[str],
                            caption: str = "") -> LabelClassInfo:
        """Store the image at ``path`` in the project and append it to the guidelines of
        ``label_class`` as an example, in one change."""
        self.authorize("schema.change")
        path = Path(path).expanduser()
        caption = " ".join((caption or path.stem).split()).replace("]", ")")
        info = probe_image(path)  # BadImage names the file and the problem
        store = self.media_store()
        _rel, present = store.put(path, info)
        try:
            with self._change("schema.change", "label_class", op="guideline_image",
                              dataset=dataset, name=label_class, media=info.sha256) as tx:
                ds = self._dataset_row(tx.conn, dataset)
                row = self._class_row(tx.conn, ds.id, label_class)
                tx.pending.entity_uid = row.uid
                if tx.conn.execute(select(_media.c.id).where(_media.c.sha256 == info.sha256)).first() is None:
                    tx.conn.execute(insert(_media).values(
                        sha256=info.sha256, ext=info.ext, format=info.format, width=info.width,
                        height=info.height, orientation=info.orientation, bytes=info.bytes,
                        storage="copy", location=store.relpath(info.sha256, info.ext),
                        exif_time=info.exif_time, created_seq=tx.seq))
                text = (row.guidelines or "").rstrip()
                link = f"![{caption}](media:{info.sha256})"
                revise(tx.conn, _class, row.uid, {"guidelines": f"{text}\n\n{link}\n" if text else f"{link}\n"},
                       tx.seq)
                return class_info(self._class_row(tx.conn, ds.id, row.uid))
        except BaseException:
            if not present:
                self._forget_unused([store.path_for(info.sha256, info.ext)])
            raise

    def guideline_image_path(self, sha256: str) -> Path:
        """The file of an example image named in guidelines (``media:<sha256>``)."""
        if not re.fullmatch(r"[0-9a-f]{64}", sha256 or ""):
            raise InvalidInput(f"not an image reference: {sha256!r}")
        return self.media_path(sha256)
