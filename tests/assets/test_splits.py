"""Splits: ratios with a seed, stratification by class or field, grouping, keeping existing
splits; the guarantees checked exactly, through the API."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np
import pytest

from labelhub.errors import InvalidInput
from labelhub.geometry import Box
from labelhub.project import NewAnnotation
from labelhub.project.splits import parse_ratios, plan_assignment

from .conftest import uids_by_name


def floor_or_ceil(count: int, share: float, size: int) -> bool:
    quota = share * size
    return math.floor(quota + 1e-9) <= count <= math.ceil(quota - 1e-9)


@pytest.fixture
def forty(lead_project, make_images):  # noqa: ANN001, ANN201
    """40 items; a camera field (4 values), a patient field (groups of 1 to 5), and classes:
    cat on 0-14, dog on 15-34 (rarest class wins: 10-14 have both), none on 35-39."""
    p = lead_project
    p.create_dataset("ds")
    p.import_images("ds", [make_images("forty", 40)])
    u = uids_by_name(p, "ds")
    names = sorted(u)
    for cam in range(4):
        p.edit_metadata("ds", [u[n] for n in names[cam::4]], {"camera": f"cam{cam}"})
    sizes = [1, 5, 2, 4, 3, 5, 1, 2, 4, 3, 5, 5]
    start = 0
    for g, size in enumerate(sizes):
        p.edit_metadata("ds", [u[n] for n in names[start : start + size]], {"patient": f"p{g}"})
        start += size
    assert start == 40
    p.add_label_class("ds", "cat")
    p.add_label_class("ds", "dog")
    gt = p.ground_truth("ds").uid
    for i, n in enumerate(names[:35]):
        labels = (["cat"] if i < 15 else []) + (["dog"] if i >= 10 else [])
        p.add_annotations(gt, u[n], [NewAnnotation(c, Box(1, 1, 8, 8)) for c in labels])
    return p


def splits_of(p, dataset: str = "ds") -> dict[str, str | None]:  # noqa: ANN001
    return {i.name: i.split for i in p.items(dataset)}


def test_plain_ratio_split_is_exact_seeded_and_one_change(forty) -> None:  # noqa: ANN001
    p = forty
    before = p.seq()
    plan = p.split_items("ds", "train=0.7,val=0.2,test=0.1", seed=5)
    assert plan.counts == {"train": 28, "val": 8, "test": 4} and plan.seq == before + 1
    got = Counter(splits_of(p).values())
    assert got == {"train": 28, "val": 8, "test": 4}
    assert p.changes(limit=1)[0].detail["counts"] == plan.counts
    assert p.plan_split("ds", {"train": 7, "val": 2, "test": 1}, seed=5).changes == {}  # same seed, same split
    other = p.plan_split("ds", "train=0.7,val=0.2,test=0.1", seed=6)
    assert other.counts == plan.counts and other.changes  # another seed, another draw
    assert p.audit_verify().ok


def test_stratified_by_class_is_exact_in_every_stratum(forty) -> None:  # noqa: ANN001
    p = forty
    plan = p.split_items("ds", "train=0.6,val=0.2,test=0.2", seed=1, stratify="class")
    # Strata: the rarest class of each item (cat: 15 items, dog: 25) or no labels.
    assert set(plan.strata) == {"cat", "dog", "(no labels)"}
    items = {i.name: i for i in p.items("ds")}
    names = sorted(items)
    stratum = {n: ("cat" if i < 15 else "dog" if i < 35 else "(no labels)") for i, n in enumerate(names)}
    table: dict[str, Counter] = defaultdict(Counter)
    for n, s in stratum.items():
        table[s][items[n].split] += 1
    for s, counts in table.items():
        size = sum(counts.values())
        for split, share in plan.ratios.items():
            assert floor_or_ceil(counts[split], share, size), (s, split, counts)
        assert dict(counts) == {k: v for k, v in plan.strata[s].items() if v}
    total = Counter(i.split for i in items.values())
    for split, share in plan.ratios.items():
        assert floor_or_ceil(total[split], share, 40)


def test_stratified_by_a_metadata_field(forty) -> None:  # noqa: ANN001
    p = forty
    plan = p.split_items("ds", "a=0.5,b=0.5", seed=2, stratify="meta:camera")
    assert plan.strata == {f"cam{c}": {"a": 5, "b": 5} for c in range(4)}


def test_grouping_never_straddles_splits(forty) -> None:  # noqa: ANN001
    p = forty
    plan = p.split_items("ds", "train=0.6,val=0.2,test=0.2", seed=3, group="meta:patient")
    assert plan.groups == 12
    by_patient: dict[str, set] = defaultdict(set)
    for item in p.items("ds"):
        by_patient[item.metadata["patient"]].add(item.split)
    assert all(len(splits) == 1 for splits in by_patient.values())
    counts = Counter(i.split for i in p.items("ds"))
    assert set(counts) == {"train", "val", "test"} and abs(counts["train"] - 24) <= 5
    # Grouped and stratified together: still no patient straddles.
    p.split_items("ds", "train=0.5,test=0.5", seed=4, group="meta:patient", stratify="meta:camera")
    by_patient.clear()
    for item in p.items("ds"):
        by_patient[item.metadata["patient"]].add(item.split)
    assert all(len(splits) == 1 for splits in by_patient.values())


def test_only_unassigned_keeps_splits_and_groups(forty) -> None:  # noqa: ANN001
    p = forty
    u = uids_by_name(p, "ds")
    names = sorted(u)
    p.set_split("ds", [u[names[1]]], "test")  # patient p1 (items 1-5) is anchored in test
    p.set_split("ds", [u[names[0]]], "train")
    plan = p.split_items("ds", "train=0.8,test=0.2", seed=9, group="meta:patient", only_unassigned=True)
    got = splits_of(p)
    assert got[names[0]] == "train" and all(got[n] == "test" for n in names[1:6])
    assert names[0] not in {p.item_details("ds", [u]).names[0] for u in plan.changes}
    with pytest.raises(InvalidInput, match="splits not named"):
        p.split_items("ds", "a=1", only_unassigned=True)


def test_manual_override_of_a_selection_and_subset_split(forty) -> None:  # noqa: ANN001
    p = forty
    u = uids_by_name(p, "ds")
    chosen = [u[n] for n in sorted(u)[:10]]
    plan = p.split_items("ds", "x=0.5,y=0.5", seed=0, uids=chosen)
    assert plan.considered == 10 and plan.counts == {"x": 5, "y": 5}
    assert sum(1 for s in splits_of(p).values() if s is None) == 30
    p.set_split("ds", chosen[:2], "holdout")
    assert Counter(splits_of(p).values())["holdout"] == 2


def test_ratio_parsing_and_options() -> None:
    assert parse_ratios("train=80,val=10,test=10") == {"train": 0.8, "val": 0.1, "test": 0.1}
    for bad, message in (("train", "ratios look like"), ("a=x", "not a number"), ("a=-1", "zero or more"),
                         ("a=0", "zero or more"), ("a=1,a=2", "named twice"), ("none=1", "not a usable")):
        with pytest.raises(InvalidInput, match=message):
            parse_ratios(bad)


def test_the_planner_on_random_tables() -> None:
    rng = np.random.default_rng(0)
    for trial in range(200):
        k = int(rng.integers(2, 5))
        shares = rng.random(k)
        shares /= shares.sum()
        n = int(rng.integers(1, 200))
        strata = [f"s{int(x)}" for x in rng.integers(0, int(rng.integers(1, 12)), n)]
        out = plan_assignment(list(shares), trial, strata)
        for s in set(strata):
            rows = [i for i, x in enumerate(strata) if x == s]
            counts = np.bincount(out[rows], minlength=k)
            assert all(floor_or_ceil(int(counts[j]), shares[j], len(rows)) for j in range(k))
        totals = np.bincount(out, minlength=k)
        assert all(floor_or_ceil(int(totals[j]), shares[j], n) for j in range(k)), trial
        groups = [f"g{int(x)}" for x in rng.integers(0, max(1, n // 3), n)]
        grouped = plan_assignment(list(shares), trial, strata, groups)
        seen: dict[str, int] = {}
        for g, split in zip(groups, grouped, strict=True):
            assert seen.setdefault(g, int(split)) == split
