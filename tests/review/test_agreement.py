"""Agreement over a dataset through the project: hand-computed cases, the metrics module and
the reference packages as oracles."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labelhub.geometry import Box, Keypoints, Polygon, Tag
from labelhub.metrics.agreement import Shapes, ShapeTable, agreement_report

from .conftest import draw


def _label(member, name: str, per_item: dict[str, list[tuple[str, object]]], submit: bool = True) -> None:
    with member(name) as p:
        for item, labels in per_item.items():
            if labels:
                draw(p, item, labels)
            if submit:
                p.submit_item("street", item)


def _setup(member, annotators: list[str], items: list[str]) -> None:
    with member("lena") as p:
        p.set_review_policy("street", overlap=len(annotators), review_required=True)
        p.assign("street", annotators, items=items)


def test_hand_computed_pairs_classes_and_items(member) -> None:
    _setup(member, ["ana", "ben"], ["a.png", "b.png"])
    _label(member, "ana", {"a.png": [("car", Box(10, 10, 20, 20)), ("person", Box(60, 10, 10, 30))],
                           "b.png": [("car", Box(10, 10, 20, 20))]})
    _label(member, "ben", {"a.png": [("car", Box(12, 10, 20, 20))],       # jittered; misses the person
                           "b.png": [("person", Box(10, 10, 20, 20))]})   # same place, other class
    with member("rui") as p:
        report = p.agreement("street")
    assert report.annotators == ("ana", "ben")
    a, b = report.item_index(report.items[0]), report.item_index(report.items[1])
    assert report.item_f1[a] == pytest.approx(2 / 3) and report.item_f1[b] == 0.0
    assert report.pair_f1[0, 1] == pytest.approx(1 / 3) and math.isnan(report.pair_f1[0, 0])
    assert report.pair_matched[0, 1] == 1 and report.pair_disagreements[0, 1] == 1
    assert report.pair_missed[0, 1] == 1 and report.pair_missed[1, 0] == 0
    assert report.f1 == pytest.approx(1 / 3)
    assert report.classes["car"] == (pytest.approx(2 / 3), 3, 3)  # 2 matched of 3 car shapes
    assert report.classes["person"] == (0.0, 2, 2)
    d = report.to_dict(per_item=True)
    assert d["pairs"]["f1"][0][1] == pytest.approx(1 / 3) and d["pairs"]["f1"][0][0] is None
    assert [i["disagreements"] for i in d["per_item"]] == [0, 1]
    assert [i["missed"] for i in d["per_item"]] == [1, 0]


def test_work_in_progress_does_not_count_until_submitted(member) -> None:
    _setup(member, ["ana", "ben"], ["a.png"])
    _label(member, "ana", {"a.png": [("car", Box(10, 10, 20, 20))]})
    _label(member, "ben", {"a.png": [("car", Box(50, 50, 20, 20))]}, submit=False)
    with member("rui") as p:
        report = p.agreement("street")
        assert report.rated.sum() == 1 and math.isnan(report.f1)


def test_label_sets_filled_without_assignments_count(member) -> None:
    """However a set was filled (here: drawn on unassigned items, like an import), it counts."""
    _label(member, "ana", {"c.png": [("car", Box(10, 10, 20, 20))]}, submit=False)
    _label(member, "ben", {"c.png": [("car", Box(10, 10, 20, 20))]}, submit=False)
    with member("rui") as p:
        report = p.agreement("street")
        assert report.f1 == 1.0 and p.item_state("street", "c.png").state == "ready_for_review"


def test_same_numbers_as_the_metrics_module_on_random_boxes(member) -> None:
    rng = np.random.default_rng(3)
    names = ["ana", "ben", "cid"]
    items = ["a.png", "b.png", "c.png", "d.png", "e.png", "f.png"]
    _setup(member, names, items)
    base = {i: [(rng.choice(["car", "person"]), rng.uniform(0, 40, 2), rng.uniform(8, 40, 2))
                for _ in range(rng.integers(0, 5))] for i in items}
    drawn: dict[tuple[int, int], list[tuple[str, Box]]] = {}
    for k, name in enumerate(names):
        per_item = {}
        for n, item in enumerate(items):
            labels = []
            for cls, xy, wh in base[item]:
                if rng.random() < 0.2:
                    continue  # a miss
                if rng.random() < 0.1:
                    cls = "person" if cls == "car" else "car"  # a class flip
                x, y = np.clip(xy + rng.normal(0, 3, 2), 0, 45)
                labels.append((str(cls), Box(float(x), float(y), float(wh[0]), float(wh[1]))))
            per_item[item] = labels
            drawn[(n, k)] = labels
        _label(member, name, per_item)
    with member("rui") as p:
        report = p.agreement("street", iou_threshold=0.4)
        order = [report.item_names.index(i) for i in items]
    classes = {"car": 0, "person": 1}
    rows = [[Shapes(np.array([classes[c] for c, _ in drawn[(n, k)]], dtype=np.int64),
                    boxes=np.array([(b.x, b.y, b.w, b.h) for _, b in drawn[(n, k)]]).reshape(-1, 4))
             for k in range(3)] for n in range(len(items))]
    oracle = agreement_report(ShapeTable.from_items(rows), iou_threshold=0.4)
    np.testing.assert_allclose(report.pair_f1, oracle.pair_f1, atol=1e-12)
    np.testing.assert_array_equal(report.pair_matched, oracle.pair_matched)
    np.testing.assert_array_equal(report.pair_missed, oracle.pair_missed)
    np.testing.assert_allclose(report.annotator_f1, oracle.annotator_f1, atol=1e-12)
    np.testing.assert_allclose(report.item_f1[order], oracle.item_f1, atol=1e-12)
    assert report.f1 == pytest.approx(oracle.f1, abs=1e-12)
    for name, c in classes.items():
        f1, _drawn, n = report.classes[name]
        assert n == oracle.class_shapes[list(oracle.classes).index(c)]
        assert f1 == pytest.approx(oracle.class_f1[list(oracle.classes).index(c)], abs=1e-12)


def test_polygons_and_boxes_compare_by_mask_iou_and_keypoints_by_oks(member) -> None:
    _setup(member, ["ana", "ben"], ["a.png"])
    triangle = Polygon(((10, 10), (50, 10), (30, 40)))
    _label(member, "ana", {"a.png": [("car", triangle),
                                     ("person", Keypoints(((80, 20), (82, 60)), (2, 2)))]})
    _label(member, "ben", {"a.png": [("car", Box(10, 10, 40, 30)),
                                     ("person", Keypoints(((80.5, 20), (82, 60.5)), (2, 2)))]})
    with member("rui") as p:
        report = p.agreement("street")
        review = p.review_item("street", "a.png")
    # The triangle covers half its box: mask IoU ~0.5, a match at 0.45 but not at 0.6.
    assert report.pair_matched[0, 1] == 2 and report.item_f1[0] == 1.0
    assert {c.family for c in review.clusters} == {"region", "keypoints:2"}
    with member("rui") as p:
        assert p.agreement("street", iou_threshold=0.6).pair_matched[0, 1] == 1


def _tag_ratings(member, ratings: dict[str, list[str | None]]) -> None:
    items = ["a.png", "b.png", "c.png", "d.png", "e.png", "f.png"]
    names = list(ratings)
    with member("lena") as p:
        p.set_review_policy("street", review_required=True)
        for n, item in enumerate(items):
            raters = [name for name in names if ratings[name][n] is not None]
            p.assign("street", raters, overlap=len(raters), items=[item])
    for name in names:
        with member(name) as p:
            for item, tag in zip(items, ratings[name], strict=True):
                if tag is None:
                    continue
                if tag != "-":
                    draw(p, item, [(tag, Tag())])
                p.submit_item("street", item)


def test_tags_match_scikit_learn_statsmodels_and_krippendorff(member) -> None:
    from krippendorff import alpha
    from sklearn.metrics import cohen_kappa_score
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    ratings = {"ana": ["day", "day", "night", "night", "day", "-"],
               "ben": ["day", "night", "night", "night", "day", "day"],
               "cid": ["day", "day", "night", "-", "night", "day"]}
    _tag_ratings(member, ratings)
    with member("rui") as p:
        tags = p.agreement("street").tags
        d = p.agreement("street").to_dict()["tags"]
    cats = sorted({"day", "night", "(no tag)"})
    table = np.array([[cats.index("(no tag)" if r == "-" else r) for r in ratings[n]] for n in ratings]).T
    for i, a in enumerate(ratings):
        for j, b in enumerate(ratings):
            if i < j:
                expected = cohen_kappa_score(table[:, i], table[:, j])
                assert tags.cohen_kappa[i, j] == pytest.approx(expected, abs=1e-9)
                assert d["cohen_kappa"]["pairs"][f"{a}/{b}"] == pytest.approx(expected, abs=1e-9)
    assert tags.fleiss_kappa == pytest.approx(fleiss_kappa(aggregate_raters(table)[0]), abs=1e-9)
    assert tags.krippendorff_alpha == pytest.approx(
        alpha(table.T.astype(float), level_of_measurement="nominal"), abs=1e-9)
    assert d["fleiss_kappa"] == pytest.approx(tags.fleiss_kappa)


def test_tags_with_missing_ratings(member) -> None:
    from krippendorff import alpha

    ratings = {"ana": ["day", "day", "night", None, "day", "night"],
               "ben": ["day", "night", None, "night", "day", "night"],
               "cid": ["day", None, "night", "night", "night", "night"]}
    _tag_ratings(member, ratings)
    with member("rui") as p:
        tags = p.agreement("street").tags
    table = np.array([[np.nan if r is None else ["day", "night"].index(r) for r in ratings[n]]
                      for n in ratings])
    assert tags.krippendorff_alpha == pytest.approx(alpha(table, level_of_measurement="nominal"), abs=1e-9)
    assert math.isnan(tags.fleiss_kappa) and "same number of annotators" in tags.notes[0]


def test_raters_and_accepted_items_follow_the_review_states(member) -> None:
    """Who counts for agreement is who the item's state names as its raters: submitted work,
    and labels drawn without an assignment; not work in progress or sent back."""
    with member("lena") as p:
        p.set_review_policy("street", overlap=2, review_required=True)
        p.assign("street", ["ana", "ben"], items=["a.png", "b.png"])
        p.assign("street", ["ben"], overlap=1, items=["d.png"])
        p.assign("street", ["cid"], overlap=1, items=["e.png"])
    car = [("car", Box(10, 10, 20, 20))]
    _label(member, "ana", {"a.png": car, "b.png": car, "c.png": car}, submit=False)
    with member("ana") as p:
        for item in ("a.png", "b.png"):
            p.submit_item("street", item)
    _label(member, "ben", {"a.png": car}, submit=False)  # still in progress
    _label(member, "ben", {"b.png": car, "d.png": car})
    _label(member, "cid", {"c.png": car, "d.png": car}, submit=False)  # without an assignment
    _label(member, "cid", {"e.png": car})
    with member("rui") as p:
        p.accept_consensus("street", "b.png")
        p.reject_item("street", "e.png", "Please box the whole car")
        report = p.agreement("street")
        states = {s.item_uid: s for s in p.item_states("street")}
        few = p.agreement("street", items=["a.png", "d.png"])
    raters = {uid: {report.annotators[k] for k in np.flatnonzero(report.rated[i])}
              for i, uid in enumerate(report.items)}
    assert raters == {uid: set(s.raters) for uid, s in states.items()}
    assert {states[u].item_name: sorted(r) for u, r in raters.items() if r} == {
        "a.png": ["ana"], "b.png": ["ana", "ben"], "c.png": ["ana", "cid"], "d.png": ["ben", "cid"]}
    assert report.accepted_items == sum(s.state == "accepted" for s in states.values()) == 1
    assert few.item_names == ("a.png", "d.png")
    assert [sorted(few.annotators[k] for k in np.flatnonzero(row)) for row in few.rated] == [["ana"], ["ben", "cid"]]
    assert few.item_f1[1] == 1.0 and report.item_f1[report.item_names.index("d.png")] == 1.0
