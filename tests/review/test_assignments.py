"""Assignments, the review policy, every state transition and who may make it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from labelhub.errors import InvalidInput, NotFound, PermissionDenied
from labelhub.geometry import Box, Tag
from labelhub.project import Project

from .conftest import ITEMS, draw, uid_of


def _assignees(p: Project) -> dict[str, dict[str, str]]:
    return {s.item_name: s.assignees for s in p.item_states("street")}


def test_balanced_assignment_spreads_items_with_overlap(member) -> None:
    with member("lena") as p:
        report = p.assign("street", ["ana", "ben", "cid"], overlap=2)
        assert (report.items, report.created) == (6, 12)
        assert report.per_member == {"ana": 4, "ben": 4, "cid": 4}
        assert p.review_policy("street").overlap == 2  # giving an overlap sets the policy
        assert all(len(a) == 2 for a in _assignees(p).values())
        # Assigning again only tops up: nothing is missing.
        again = p.assign("street", ["ana", "ben", "cid"])
        assert (again.created, again.full) == (0, 6)
        # Raising the overlap gives each item the one annotator it lacks.
        more = p.assign("street", ["ana", "ben", "cid"], overlap=3)
        assert more.created == 6 and all(len(a) == 3 for a in _assignees(p).values())


def test_round_robin_takes_annotators_in_turn(member) -> None:
    with member("lena") as p:
        p.assign("street", ["ana", "ben", "cid"], overlap=1, mode="round-robin")
        order = [next(iter(a)) for _, a in sorted(_assignees(p).items())]
        assert order == ["ana", "ben", "cid", "ana", "ben", "cid"]


def test_balanced_counts_work_already_given(member) -> None:
    with member("lena") as p:
        p.assign("street", ["ana"], overlap=1, items=["a.png", "b.png", "c.png"])
        p.assign("street", ["ana", "ben"], overlap=1, only_unassigned=True)
        load = Counter(m for a in _assignees(p).values() for m in a)
        assert load == {"ana": 3, "ben": 3}


def test_filters_choose_the_items(member) -> None:
    with member("lena") as p:
        report = p.assign("street", ["ana"], overlap=1, match="[ab].png")
        assert report.items == 2
        assert {n for n, a in _assignees(p).items() if a} == {"a.png", "b.png"}
        with pytest.raises(NotFound, match="no item 'zz.png' in dataset street"):
            p.assign("street", ["ana"], items=["zz.png"])
        with pytest.raises(InvalidInput, match="an overlap of 3 needs at least 3 annotators"):
            p.assign("street", ["ana", "ben"], overlap=3)
        with pytest.raises(NotFound, match="no member named 'zed'"):
            p.assign("street", ["zed"])


def test_only_leads_assign_and_set_the_policy(member) -> None:
    for name in ("rui", "ana"):
        with member(name) as p:
            with pytest.raises(PermissionDenied, match="needs the lead role"):
                p.assign("street", ["ana"])
            with pytest.raises(PermissionDenied):
                p.set_review_policy("street", overlap=2)
            with pytest.raises(PermissionDenied):
                p.unassign("street", ["a.png"])


def test_reassign_and_unassign(member) -> None:
    with member("lena") as p:
        p.assign("street", ["ana"], overlap=1, items=["a.png", "b.png"])
        assert p.reassign("street", ["a.png"], "ana", "ben") == 1
        assert _assignees(p)["a.png"] == {"ben": "todo"}
        with pytest.raises(InvalidInput, match="ana is not assigned to a.png"):
            p.reassign("street", ["a.png"], "ana", "cid")
        assert p.unassign("street", ["b.png"]) == 1
        assert _assignees(p)["b.png"] == {} and p.item_state("street", "b.png").state == "unassigned"
        # The change that ended it says what it held.
        assert p.changes(limit=1)[0].detail["removed"] == [
            {"item": uid_of(p, "b.png"), "member": "ana", "state": "todo"}]
        assert p.audit_verify().ok
    with member("ben") as p:
        draw(p, "a.png", [("car", Box(1, 1, 10, 10))])
        p.submit_item("street", "a.png")
    with member("lena") as p:
        with pytest.raises(InvalidInput, match="ben has already submitted a.png"):
            p.reassign("street", ["a.png"], "ben", "ana")


def test_the_life_of_an_item_with_two_annotators(member) -> None:
    with member("lena") as p:
        p.set_review_policy("street", overlap=2, review_required=True)
        p.assign("street", ["ana", "ben"], items=["a.png"])
        assert p.item_state("street", "a.png").state == "in_annotation"
    with member("ana") as p:
        entry = p.next_task("street")
        assert (entry.item_name, entry.state) == ("a.png", "todo")
        draw(p, "a.png", [("car", Box(10, 10, 30, 20))])  # editing starts the work
        assert p.queue("street")[0].state == "in_progress"
        assert p.submit_item("street", "a.png") == "submitted"
        with pytest.raises(InvalidInput, match="a.png is submitted; it cannot be changed"):
            draw(p, "a.png", [("car", Box(50, 50, 10, 10))])
        with pytest.raises(InvalidInput, match="already submitted"):
            p.submit_item("street", "a.png")
        assert p.next_task("street") is None
    with member("lena") as p:
        status = p.item_state("street", "a.png")
        assert status.state == "in_annotation" and status.assignees == {"ana": "submitted", "ben": "todo"}
    with member("ben") as p:
        assert p.start_item("street", "a.png") == "in_progress"
        p.submit_item("street", "a.png")  # an empty set: "nothing here" is an answer too
    with member("rui") as p:
        status = p.item_state("street", "a.png")
        assert status.state == "ready_for_review" and status.raters == ("ana", "ben")
        assert p.reject_item("street", "a.png", "Label the parked cars too", ["ben"]) == ["ben"]
        assert p.item_state("street", "a.png").assignees == {"ana": "submitted", "ben": "rejected"}
    with member("ben") as p:
        entry = p.next_task("street")
        assert (entry.state, entry.reviewer_comment) == ("rejected", "Label the parked cars too")
        assert [c.text for c in entry.comments] == ["Label the parked cars too"]
        draw(p, "a.png", [("car", Box(11, 10, 30, 20))])
        assert p.queue("street")[0].state == "in_progress"
        p.submit_item("street", "a.png")
    with member("rui") as p:
        p.accept_consensus("street", "a.png")
        status = p.item_state("street", "a.png")
        assert status.state == "accepted" and set(status.assignees.values()) == {"accepted"}
        assert p.audit_verify().ok


def test_one_annotator_without_review_submitting_accepts(member) -> None:
    with member("lena") as p:
        assert p.review_policy("street").submitting_accepts
        p.assign("street", ["ana"], items=["b.png"])
    with member("ana") as p:
        drawn = draw(p, "b.png", [("car", Box(5, 5, 20, 20)), ("day", Tag())])
        seq = p.seq()
        assert p.submit_item("street", "b.png") == "accepted"
        assert p.seq() == seq + 1  # one change
        gt = p.annotations(p.ground_truth("street").uid, uid_of(p, "b.png"))
        assert sorted(a.sources[0] for a in gt) == sorted(drawn)
        assert p.item_state("street", "b.png").state == "accepted"
        lineage = p.lineage(gt[0].uid)
        assert lineage.drawn_by == ("ana",) and lineage.accepted.member == "ana"


def test_with_review_required_one_annotator_goes_to_review(member) -> None:
    with member("lena") as p:
        p.set_review_policy("street", review_required=True)
        p.assign("street", ["ana"], items=["b.png"])
    with member("ana") as p:
        draw(p, "b.png", [("car", Box(5, 5, 20, 20))])
        assert p.submit_item("street", "b.png") == "submitted"
        assert p.item_state("street", "b.png").state == "ready_for_review"


def test_others_work_stays_hidden_until_accepted(member) -> None:
    with member("lena") as p:
        p.assign("street", ["ana", "ben"], overlap=2, items=["c.png"])
    with member("ben") as p:
        draw(p, "c.png", [("car", Box(5, 5, 20, 20))])
        p.submit_item("street", "c.png")
        ben_set = p.my_label_set("street").uid
    with member("ana") as p:
        item = uid_of(p, "c.png")
        with pytest.raises(PermissionDenied, match="stay hidden from ana"):
            p.annotations(ben_set, item)
        with pytest.raises(PermissionDenied, match="stay hidden from ana"):
            p.packed_annotations(ben_set, item)  # the Annotate workspace's reader
        draw(p, "c.png", [("car", Box(6, 5, 20, 20))])
        p.submit_item("street", "c.png")
        with pytest.raises(PermissionDenied):
            p.annotations(ben_set, item)
        with pytest.raises(PermissionDenied, match="needs the reviewer role"):
            p.review_item("street", "c.png")
        with pytest.raises(PermissionDenied):
            p.agreement("street")
    with member("rui") as p:
        assert len(p.annotations(ben_set, uid_of(p, "c.png"))) == 1  # reviewers see everything
        p.accept_annotator("street", "c.png", "ben")
    with member("ana") as p:
        assert len(p.annotations(ben_set, item)) == 1  # accepted: no longer hidden


def test_annotators_may_not_judge_and_reviewers_may_not_assign(member) -> None:
    with member("lena") as p:
        p.assign("street", ["ana"], items=["d.png"])
    with member("ana") as p:
        draw(p, "d.png", [("car", Box(5, 5, 20, 20))])
        with pytest.raises(PermissionDenied, match="needs the reviewer role"):
            p.reject_item("street", "d.png", "no")
        with pytest.raises(PermissionDenied):
            p.accept_consensus("street", "d.png")
        with pytest.raises(PermissionDenied):
            p.review_queue("street")
        with pytest.raises(PermissionDenied):
            p.queue("street", member="ben")
    with member("ben") as p:
        with pytest.raises(InvalidInput, match="d.png is not assigned to ben"):
            p.submit_item("street", "d.png")
    with member("rui") as p:
        with pytest.raises(PermissionDenied, match="needs the lead role"):
            p.assign("street", ["ana"])
        with pytest.raises(InvalidInput, match="in annotation"):
            p.accept_consensus("street", "d.png")
        with pytest.raises(InvalidInput, match="nobody has submitted d.png"):
            p.reject_item("street", "d.png", "send back")
        with pytest.raises(InvalidInput, match="needs some text"):
            p.reject_item("street", "d.png", "  ")


def test_comments_on_items_and_shapes(member) -> None:
    with member("lena") as p:
        p.assign("street", ["ana", "ben"], overlap=2, items=["e.png"])
    with member("ana") as p:
        (ana_car,) = draw(p, "e.png", [("car", Box(5, 5, 20, 20))])
        p.add_comment("street", "e.png", "Is the van a car?")
        with pytest.raises(PermissionDenied, match="only on the items assigned to them"):
            p.add_comment("street", "f.png", "hello")
    with member("ben") as p:
        (ben_car,) = draw(p, "e.png", [("car", Box(5, 5, 20, 20))])
    with member("rui") as p:
        on_ben = p.add_comment("street", "e.png", "Box is loose", annotation=ben_car)
        with pytest.raises(NotFound):
            p.add_comment("street", "a.png", "wrong item", annotation=ben_car)
        assert [c.text for c in p.comments("street", "e.png")] == ["Is the van a car?", "Box is loose"]
    with member("ana") as p:
        # ana sees the item's comments, not those on ben's shapes.
        texts = [c.text for c in p.queue("street")[0].comments]
        assert texts == ["Is the van a car?"]
        assert [c.text for c in p.comments("street", "e.png")] == ["Is the van a car?"]
        with pytest.raises(PermissionDenied):
            p.resolve_comment(on_ben.uid)
    with member("ben") as p:
        assert [c.text for c in p.queue("street")[0].comments] == ["Is the van a car?", "Box is loose"]
    with member("rui") as p:
        resolved = p.resolve_comment(on_ben.uid)
        assert resolved.resolved and resolved.resolved_by == "rui"
        assert [c.text for c in p.comments("street")] == ["Is the van a car?"]
        assert len(p.comments("street", include_resolved=True)) == 2
        with pytest.raises(InvalidInput, match="already resolved"):
            p.resolve_comment(on_ben.uid)
        assert ana_car


def test_state_counts_and_queue_order(member, team: Path) -> None:
    with member("lena") as p:
        p.assign("street", ["ana"], overlap=1, items=list(ITEMS[:3]))
        p.set_review_policy("street", review_required=True)
    with member("ana") as p:
        draw(p, "b.png", [("car", Box(5, 5, 20, 20))])
        p.submit_item("street", "c.png")
        assert [(e.item_name, e.state) for e in p.queue()] == [
            ("b.png", "in_progress"), ("a.png", "todo"), ("c.png", "submitted")]
    with member("lena") as p:
        assert p.submitted_counts() == {"street": 1}
        counts = p.state_counts("street")
        assert counts["items"] == {"unassigned": 3, "in_annotation": 2, "ready_for_review": 1, "accepted": 0}
        assert counts["annotators"]["ana"]["todo"] == 1
