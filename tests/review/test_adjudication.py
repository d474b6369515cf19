"""The review queue, one item's clusters, accepting and rejecting, and the lineage of labels."""

from __future__ import annotations

import pytest

from labelhub.errors import InvalidInput
from labelhub.geometry import Box, Tag
from labelhub.project import NewAnnotation

from .conftest import draw, uid_of

ANA = [("car", Box(10, 10, 30, 20)), ("car", Box(60, 40, 20, 20)), ("person", Box(5, 50, 10, 30)),
       ("day", Tag())]
BEN = [("car", Box(12, 11, 30, 20)),       # jittered
       ("person", Box(60, 40, 20, 20)),    # the second car, called a person
       ("day", Tag())]                     # and the person is missed


@pytest.fixture
def submitted(member):  # noqa: ANN201
    """a.png and b.png labelled by ana and ben and submitted; b.png in full agreement."""
    with member("lena") as p:
        p.set_review_policy("street", overlap=2, review_required=True)
        p.assign("street", ["ana", "ben"], items=["a.png", "b.png"])
    uids = {}
    for name, labels in (("ana", ANA), ("ben", BEN)):
        with member(name) as p:
            uids[name] = draw(p, "a.png", labels)
            draw(p, "b.png", [("car", Box(20, 20, 30, 30))])
            p.submit_item("street", "a.png")
            p.submit_item("street", "b.png")
    return uids


def test_queue_sorted_worst_first_and_filtered(member, submitted) -> None:
    with member("rui") as p:
        queue = p.review_queue("street")
        assert [e.item_name for e in queue] == ["a.png", "b.png"]
        assert queue[0].f1 == pytest.approx(2 * 2 / 7) and queue[1].f1 == 1.0
        assert (queue[0].disagreements, queue[0].missed) == (1, 1)
        assert queue[0].classes == ("car", "day", "person")
        assert [e.item_name for e in p.review_queue("street", sort="name")] == ["a.png", "b.png"]
        assert [e.item_name for e in p.review_queue("street", label="person")] == ["a.png"]
        assert p.review_queue("street", annotator="cid") == []


def test_review_item_lists_clusters_and_disagreements(member, submitted) -> None:
    with member("rui") as p:
        review = p.review_item("street", "a.png")
    assert review.raters == ("ana", "ben") and review.quorum == 1
    assert review.f1 == pytest.approx(4 / 7) and review.pair_f1 == {("ana", "ben"): pytest.approx(4 / 7)}
    problems = review.disagreements
    assert any("class differs at box at (60, 40): ana car, ben person" in t for t in problems)
    assert any("person box at (5, 50): drawn by ana, missed by ben" in t for t in problems)
    agreed = [c for c in review.clusters if c.agreed]
    assert {c.labels for c in agreed} == {("car", "car"), ("day", "day")}
    # With a quorum of 2, the missed person is left out of the consensus.
    with member("rui") as p:
        strict = p.review_item("street", "a.png", quorum=2)
    assert sorted(n.label for n in strict.consensus) == ["car", "car", "day"]


def test_accept_consensus_writes_ground_truth_with_its_sources_in_one_change(member, submitted) -> None:
    with member("rui") as p:
        seq = p.seq()
        uids = p.accept_consensus("street", "a.png", quorum=2, method="mean")
        assert p.seq() == seq + 1
        gt = {a.uid: a for a in p.annotations(p.ground_truth("street").uid, uid_of(p, "a.png"))}
        assert set(gt) == set(uids) and len(uids) == 3
        mean_car = next(a for a in gt.values() if a.label == "car" and a.shape.x < 30)
        assert mean_car.shape == Box(11, 10.5, 30, 20)  # the mean box
        assert set(mean_car.sources) == {submitted["ana"][0], submitted["ben"][0]}
        lineage = p.lineage(mean_car.uid)
        assert set(lineage.drawn_by) == {"ana", "ben"}
        assert lineage.accepted.member == "rui" and lineage.how == "consensus:mean:quorum=2"
        assert {s.annotator for s in lineage.sources} == {"ana", "ben"}
        # Editing the accepted label later shows up as a change by its author.
        p.change_annotation(mean_car.uid, shape=Box(11, 10, 31, 21))
        lineage = p.lineage(mean_car.uid)
        assert lineage.changed_by == ("rui",) and [e.what for e in lineage.events] == ["accepted", "changed"]
        history = p.item_history(uid_of(p, "a.png"))
        assert [h["member"] for h in history[-2:]] == ["rui", "rui"]
        assert p.audit_verify().ok


def test_closest_consensus_keeps_an_annotator_shape(member, submitted) -> None:
    with member("rui") as p:
        review = p.review_item("street", "a.png", method="closest")
        car = next(n for n in review.consensus if n.label == "car" and n.shape.x < 30)
        assert car.shape in (Box(10, 10, 30, 20), Box(12, 11, 30, 20))
        assert len(car.sources) == 2


def test_accept_one_annotator_and_accept_after_editing(member, submitted) -> None:
    with member("rui") as p:
        uids = p.accept_annotator("street", "a.png", "ben")
        gt = p.annotations(p.ground_truth("street").uid, uid_of(p, "a.png"))
        assert sorted(a.sources[0] for a in gt) == sorted(submitted["ben"]) and len(uids) == 3
        with pytest.raises(InvalidInput, match="cid is not among the annotators"):
            p.accept_annotator("street", "b.png", "cid")
        # Edit then accept: the reviewer's own box, and one derived from ana's shape.
        edited = [NewAnnotation("car", Box(21, 21, 28, 28), sources=(submitted["ana"][0],)),
                  NewAnnotation("person", Box(70, 10, 10, 20))]
        with pytest.raises(InvalidInput, match="sources must be the raters' shapes on this item"):
            p.accept_labels("street", "b.png", edited)  # ana's shape is on a.png, not b.png
        ana_b = p.review_item("street", "b.png").annotations["ana"][0].uid
        edited[0] = NewAnnotation("car", Box(21, 21, 28, 28), sources=(ana_b,))
        p.accept_labels("street", "b.png", edited)
        lineage = p.lineage(p.annotations(p.ground_truth("street").uid, uid_of(p, "b.png"))[0].uid)
        assert lineage.how == "edited" and lineage.drawn_by == ("ana",)
        assert p.item_state("street", "b.png").state == "accepted"


def test_accepting_again_replaces_the_ground_truth(member, submitted) -> None:
    with member("rui") as p:
        first = p.accept_annotator("street", "a.png", "ana")
        second = p.accept_annotator("street", "a.png", "ben")
        gt = p.annotations(p.ground_truth("street").uid, uid_of(p, "a.png"))
        assert {a.uid for a in gt} == set(second)
        old = p.lineage(first[0])
        assert [e.what for e in old.events] == ["accepted", "replaced"]


def test_reject_one_annotator_and_they_see_the_comment(member, submitted) -> None:
    with member("rui") as p:
        with pytest.raises(InvalidInput, match="cid has not submitted a.png"):
            p.reject_item("street", "a.png", "why", ["cid"])
        assert p.reject_item("street", "a.png", "The person at the left is missing", ["ben"]) == ["ben"]
        assert p.item_state("street", "a.png").state == "in_annotation"
        assert [e.item_name for e in p.review_queue("street")] == ["b.png"]
    with member("ben") as p:
        task = p.next_task("street")
        assert (task.item_name, task.state) == ("a.png", "rejected")
        assert task.reviewer_comment == "The person at the left is missing"
        draw(p, "a.png", [("person", Box(5, 50, 10, 30))])
        p.submit_item("street", "a.png")
    with member("rui") as p:
        assert p.review_item("street", "a.png").f1 == pytest.approx(6 / 8)
        p.accept_consensus("street", "a.png")
        assert p.item_state("street", "a.png").state == "accepted"


def test_reject_an_accepted_item_reopens_it(member, submitted) -> None:
    with member("rui") as p:
        p.accept_consensus("street", "b.png")
        p.reject_item("street", "b.png", "Second look: the box is too loose")
        assert p.item_state("street", "b.png").assignees == {"ana": "rejected", "ben": "rejected"}
