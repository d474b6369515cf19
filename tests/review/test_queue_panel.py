"""The review queue panel sorts its entries by a key per entry (as fast for 25,000 items as for
five) with ties in item order, keeps the reviewer's item selected across sorts, and filters."""

from __future__ import annotations

from PySide6.QtCore import Qt

from labelhub.gui.review.queue_panel import ReviewQueuePanel
from labelhub.project.review_adjudicate import ReviewEntry


def _entries() -> list[ReviewEntry]:
    return [
        ReviewEntry("u-c", "c.png", ("ana", "ben"), 0.5, ("dog",), 1, 0),
        ReviewEntry("u-a", "a.png", ("ben",), None, ("cat",), 0, 2),
        ReviewEntry("u-d", "d.png", ("ana", "ben"), 0.5, ("cat", "dog"), 0, 0, 3),
        ReviewEntry("u-b", "b.png", ("ana", "ben"), 0.9, ("cat",), 0, 1),
        ReviewEntry("u-e", "e.png", ("ana",), 0.1, ("bird",), 2, 0),
    ]


def test_queue_sorts_keeps_the_selection_and_filters(qtbot) -> None:  # noqa: ANN001
    panel = ReviewQueuePanel()
    qtbot.addWidget(panel)
    panel.set_entries(_entries())
    # Worst agreement first; no F1 (one rater) last; equal F1 in item order.
    assert panel.uids() == ["u-e", "u-c", "u-d", "u-b", "u-a"]
    assert panel.select("u-d") and panel.current_uid() == "u-d"
    panel.sort.setCurrentIndex(1)  # by item
    assert panel.uids() == ["u-a", "u-b", "u-c", "u-d", "u-e"]
    assert panel.current_uid() == "u-d"  # still the reviewer's item
    panel.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)  # notes, a header click
    assert panel.uids()[0] == "u-d"
    panel.sort.setCurrentIndex(2)  # by class: ties in item order
    assert panel.uids() == ["u-e", "u-a", "u-b", "u-d", "u-c"]
    panel.set_entries(list(reversed(_entries())), keep="u-b")  # new entries keep the order chosen
    assert panel.uids() == ["u-e", "u-a", "u-b", "u-d", "u-c"] and panel.current_uid() == "u-b"
    panel.label_filter.setCurrentText("cat")
    assert panel.uids() == ["u-a", "u-b", "u-d"]
    panel.annotator_filter.setCurrentText("ana")
    assert panel.uids() == ["u-b", "u-d"]
