"""Splitting a dataset into train/val/test (or any named splits) by ratio with a seed,
stratified by label class or a metadata field, grouped so that items sharing a metadata value
never straddle splits.

Guarantees (tested exactly):

* without grouping, every stratum's count in every split is the floor or the ceiling of
  ``ratio x stratum size`` (with no stratification the whole dataset is one stratum) when all
  its items are being assigned; items that keep their split count towards the ratios;
* with grouping, all items of a group get one split; split sizes then follow the ratios as
  closely as whole groups allow (largest groups placed first, each in the split that is
  emptiest relative to its share, within its stratum and overall);
* the same items, ratios, options and seed give the same split.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select

from labelhub.errors import Cancelled, InvalidInput
from labelhub.project.item_edits import ItemEditsMixin, revise_items
from labelhub.project.item_filter import check_meta_key, split_names
from labelhub.project.items import _chunks
from labelhub.store.tables import Annotation, Item
from labelhub.store.versioned import current

_item = Item.__table__
_annotation = Annotation.__table__
NO_LABELS = "(no labels)"
NOT_SET = "(not set)"
Progress = Callable[[int, int, str], None]


def parse_ratios(ratios: dict[str, float] | str) -> dict[str, float]:
    """``{"train": 0.8, ...}`` or ``"train=0.8,val=0.1,test=0.1"`` (or 80,10,10), normalised
    to sum to 1."""
    if isinstance(ratios, str):
        parsed: dict[str, float] = {}
        for part in ratios.split(","):
            name, sep, value = part.partition("=")
            if not sep:
                raise InvalidInput(f"ratios look like train=0.8,val=0.1,test=0.1, not {ratios!r}")
            if name.strip() in parsed:
                raise InvalidInput(f"the split {name.strip()!r} is named twice")
            try:
                parsed[name.strip()] = float(value)
            except ValueError:
                raise InvalidInput(f"{value.strip()!r} is not a number (in {part.strip()!r})") from None
        ratios = parsed
    names = split_names(list(ratios))
    if len(set(names)) != len(names):
        raise InvalidInput("a split is named twice")
    values = [float(ratios[n]) for n in ratios]
    if any(not np.isfinite(v) or v < 0 for v in values) or sum(values) <= 0:
        raise InvalidInput("ratios must be numbers of zero or more, not all zero")
    total = sum(values)
    return {n: v / total for n, v in zip(names, values, strict=True)}


def _leftovers(quota: np.ndarray, base: np.ndarray, free: np.ndarray) -> np.ndarray:
    """Which cells get one unit above their floor: every stratum (row) gets exactly the units
    it has left, only in cells with a fractional quota, so each cell is the floor or ceiling
    of its quota; and each split's (column's) total is the floor or ceiling of its quota sum.

    Rows are filled in turn where the running shortfall is largest, then any column outside
    its bounds is mended by moving units along chains of rows (such a rounding always exists:
    controlled rounding of a table with integer row sums).
    """
    rows, k = quota.shape
    frac = quota - base
    cand = frac > 1e-9
    extra = np.zeros((rows, k), np.int64)
    col_quota = quota.sum(axis=0)
    running = np.zeros(k)
    placed = np.zeros(k)
    for s in range(rows):
        left = int(free[s] - base[s].sum())
        running += quota[s]
        pressure = running - placed - base[s]
        order = sorted(np.flatnonzero(cand[s]), key=lambda j: (-pressure[j], -frac[s, j], j))
        extra[s, order[:left]] = 1
        placed += base[s] + extra[s]
    lo = np.floor(col_quota + 1e-9)
    hi = np.ceil(col_quota - 1e-9)
    for _ in range(rows * k + k):
        total = (base + extra).sum(axis=0)
        over = [j for j in range(k) if total[j] > hi[j]]
        under = [j for j in range(k) if total[j] < lo[j]]
        if not over and not under:
            break
        if over:
            sources, targets = over, {j for j in range(k) if total[j] < hi[j]}
        else:
            sources, targets = [j for j in range(k) if total[j] > lo[j]], set(under)
        prev: dict[int, tuple[int, int] | None] = dict.fromkeys(sources)
        queue = list(sources)
        found = None
        while queue:
            c = queue.pop(0)
            if c in targets and c not in sources:
                found = c
                break
            holders = np.flatnonzero(extra[:, c])
            for c2 in range(k):
                if c2 in prev:
                    continue
                movable = holders[cand[holders, c2] & (extra[holders, c2] == 0)]
                if movable.size:
                    prev[c2] = (c, int(movable[0]))
                    queue.append(c2)
        if found is None:
            break
        c = found
        while (step := prev[c]) is not None:
            c0, s = step
            extra[s, c0] = 0
            extra[s, c] = 1
            c = c0
    return extra


def plan_assignment(ratios: Sequence[float], seed: int, strata: Sequence[str],
                    groups: Sequence[str | None] | None = None,
                    fixed: Sequence[int] | None = None) -> np.ndarray:
    """The split index (into ``ratios``) for each item; items with ``fixed[i] >= 0`` keep it.

    ``strata[i]`` is the item's stratum ("" for all when not stratified); ``groups[i]`` its
    group (None: a group of its own).
    """
    n = len(strata)
    r = np.asarray(ratios, float)
    k = len(r)
    out = np.full(n, -1, np.int64) if fixed is None else np.asarray(fixed, np.int64).copy()
    rng = np.random.default_rng(seed)
    by_stratum: dict[str, list[int]] = defaultdict(list)
    if groups is None:
        for i, s in enumerate(strata):
            by_stratum[s].append(i)
        names = sorted(by_stratum)
        quota = np.zeros((len(names), k))
        free_counts = np.zeros(len(names), np.int64)
        for row, s in enumerate(names):
            members = by_stratum[s]
            free = [i for i in members if out[i] < 0]
            held = out[[i for i in members if out[i] >= 0]]
            have = np.bincount(held, minlength=k).astype(float)
            want = np.maximum(r * len(members) - have, 0)
            quota[row] = want * (len(free) / want.sum()) if want.sum() > 0 else r * len(free)
            free_counts[row] = len(free)
        base = np.floor(quota + 1e-9).astype(np.int64)
        counts = base + _leftovers(quota, base, free_counts)
        for row, s in enumerate(names):
            free = [i for i in by_stratum[s] if out[i] < 0]
            split_of = np.repeat(np.arange(k), counts[row])
            for pos, j in enumerate(rng.permutation(len(free))):
                out[free[j]] = split_of[pos]
        return out

    # Grouped: whole groups, largest first, each to the split where the shortfall (of its
    # stratum and of the whole, so that small strata still fill every split) is largest.
    members_of: dict[Any, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        members_of[("g", g) if g is not None else ("i", i)].append(i)
    keys = list(members_of)
    keys = [keys[j] for j in rng.permutation(len(keys))]
    keys_of: dict[str, list[Any]] = defaultdict(list)
    for key in keys:
        tally = Counter(strata[i] for i in members_of[key])
        keys_of[min(tally, key=lambda s: (-tally[s], s))].append(key)
    overall = np.zeros(k)
    held_total = out[out >= 0]
    overall += np.bincount(held_total, minlength=k) if len(held_total) else 0
    plans: list[tuple[np.ndarray, np.ndarray, list[Any]]] = []
    for s in sorted(keys_of):
        ks = keys_of[s]
        size = sum(len(members_of[key]) for key in ks)
        have = np.zeros(k)
        loose = []
        for key in ks:
            held = [out[i] for i in members_of[key] if out[i] >= 0]
            if held:
                split = Counter(held).most_common(1)[0][0]
                for i in members_of[key]:
                    if out[i] < 0:
                        out[i] = split
                        overall[split] += 1
                have += np.bincount(out[members_of[key]], minlength=k)
            else:
                loose.append(key)
        loose.sort(key=lambda key: -len(members_of[key]))  # stable: random among equal sizes
        plans.append((r * size, have, loose))
    total_target = r * n
    usable = [j for j in range(k) if r[j] > 0]
    for target, have, loose in plans:
        for key in loose:
            # How empty each split still is, relative to what it should get: of this stratum
            # and of the whole (a split with ratio 0 gets nothing).
            score = ((target - have) / np.maximum(target, 1e-9)
                     + (total_target - overall) / np.maximum(total_target, 1e-9))
            split = int(max(usable, key=lambda j: (score[j], r[j], -j)))
            out[members_of[key]] = split
            have[split] += len(members_of[key])
            overall[split] += len(members_of[key])
    return out


@dataclass
class SplitPlan:
    """A split worked out but not yet written: the new split of each item that changes."""

    dataset: str
    ratios: dict[str, float]
    seed: int
    stratify: str | None
    group: str | None
    counts: dict[str, int]
    strata: dict[str, dict[str, int]]
    groups: int
    changes: dict[str, str] = field(default_factory=dict)
    considered: int = 0
    seq: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "ratios": self.ratios, "seed": self.seed,
                "stratify": self.stratify, "group": self.group, "counts": self.counts,
                "strata": self.strata, "groups": self.groups, "items": self.considered,
                "changed": len(self.changes), "seq": self.seq}

    def summary(self) -> str:
        total = max(self.considered, 1)
        parts = [f"{name} {n:,} ({100 * n / total:.1f}%)" for name, n in self.counts.items()]
        return f"{self.considered:,} items: " + ", ".join(parts)


class SplitsMixin(ItemEditsMixin):
    def plan_split(self, dataset: str, ratios: dict[str, float] | str, *, seed: int = 0,
                   stratify: str | None = None, group: str | None = None,
                   only_unassigned: bool = False, uids: Sequence[str] | None = None,
                   progress: Progress | None = None) -> SplitPlan:
        """Work out a split without writing it.

        ``stratify`` is ``"class"`` (each item's rarest ground-truth class; items without
        labels form a stratum of their own) or ``"meta:KEY"``; ``group`` is ``"meta:KEY"``
        (items without the field are groups of one). With ``only_unassigned`` items that
        have a split keep it (and count towards the ratios and anchor their group). ``uids``
        limits the split to those items.
        """
        shares = parse_ratios(ratios)
        names = list(shares)
        strat_key = _option_key(stratify, "stratify", allow_class=True)
        group_key = _option_key(group, "group", allow_class=False)
        if progress:
            progress(0, 3, "reading the items")
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            cols = [_item.c.uid, _item.c.split]
            if strat_key not in (None, "class"):
                cols.append(_item.c.meta[strat_key].as_string().label("stratum"))
            if group_key is not None:
                cols.append(_item.c.meta[group_key].as_string().label("grp"))
            rows = conn.execute(select(*cols).where(_item.c.dataset_id == ds.id, current(_item))
                                .order_by(_item.c.name)).all()
            if uids is not None:
                wanted = set(uids)
                rows = [r for r in rows if r.uid in wanted]
            classes_of = self._item_classes(conn, dataset) if strat_key == "class" else {}
        if not rows:
            raise InvalidInput(f"{dataset} has no items to split")
        if strat_key == "class":
            freq = Counter(c for cs in classes_of.values() for c in cs)
            strata = [min(classes_of[r.uid], key=lambda c: (freq[c], c)) if classes_of.get(r.uid)
                      else NO_LABELS for r in rows]
        elif strat_key is not None:
            strata = [r.stratum if r.stratum not in (None, "") else NOT_SET for r in rows]
        else:
            strata = [""] * len(rows)
        groups = [r.grp if r.grp not in (None, "") else None for r in rows] if group_key else None
        index = {n: j for j, n in enumerate(names)}
        fixed = [index.get(r.split, -1) if only_unassigned and r.split else -1 for r in rows]
        kept_elsewhere = sum(1 for r in rows if only_unassigned and r.split and r.split not in index)
        if kept_elsewhere:
            raise InvalidInput(f"{kept_elsewhere} items are in splits not named in the ratios; "
                               f"name every split in use ({', '.join(sorted({r.split for r in rows if r.split}))})")
        if progress:
            progress(1, 3, "working out the split")
        result = plan_assignment([shares[n] for n in names], seed, strata, groups, fixed)
        counts = {n: int((result == j).sum()) for j, n in enumerate(names)}
        per_stratum: dict[str, dict[str, int]] = {}
        if strat_key is not None:
            for s, j in zip(strata, result, strict=True):
                per_stratum.setdefault(s, dict.fromkeys(names, 0))[names[j]] += 1
        plan = SplitPlan(dataset, shares, seed, stratify if strat_key else None,
                         group if group_key else None, counts, dict(sorted(per_stratum.items())),
                         len({g for g in groups if g is not None}) if groups else 0,
                         considered=len(rows))
        plan.changes = {r.uid: names[j] for r, j in zip(rows, result, strict=True) if r.split != names[j]}
        return plan

    def _item_classes(self, conn: Any, dataset: str) -> dict[str, set[str]]:
        scope = self._scope(conn, dataset)
        names = {c.uid: c.name for c in self._classes(conn, scope.dataset_id)}
        out: dict[str, set[str]] = defaultdict(set)
        for item_uid, class_uid in conn.execute(
            select(_annotation.c.item_uid, _annotation.c.class_uid).distinct().where(
                _annotation.c.label_set_id == scope.ground_truth_id, current(_annotation),
                _annotation.c.class_uid.is_not(None))
        ):
            if class_uid in names:
                out[item_uid].add(names[class_uid])
        return out

    def split_items(self, dataset: str, ratios: dict[str, float] | str, *, seed: int = 0,
                    stratify: str | None = None, group: str | None = None,
                    only_unassigned: bool = False, uids: Sequence[str] | None = None,
                    progress: Progress | None = None,
                    cancel: threading.Event | None = None) -> SplitPlan:
        """Work out a split (see ``plan_split``) and write it as one change."""
        self.authorize("items.split")
        plan = self.plan_split(dataset, ratios, seed=seed, stratify=stratify, group=group,
                               only_unassigned=only_unassigned, uids=uids, progress=progress)
        if cancel is not None and cancel.is_set():
            raise Cancelled("the split was cancelled; no item changed")
        if not plan.changes:
            return plan
        if progress:
            progress(2, 3, f"saving the split of {len(plan.changes):,} items")
        with self._change("items.split", "dataset", dataset=dataset, op="assign",
                          ratios=plan.ratios, seed=seed, stratify=plan.stratify, group=plan.group,
                          only_unassigned=only_unassigned, counts=plan.counts) as tx:
            ds = self._dataset_row(tx.conn, dataset)
            tx.pending.entity_uid = ds.uid
            changed = 0
            for chunk in _chunks(list(plan.changes), 20000):
                if cancel is not None and cancel.is_set():
                    raise Cancelled("the split was cancelled; no item changed")
                done, _same = revise_items(tx.conn, ds.id, chunk,
                                           lambda row: {"split": plan.changes[row["uid"]]}, tx.seq)
                changed += done
            tx.detail["changed"] = changed
            plan.seq = tx.seq
        if progress:
            progress(3, 3, "done")
        return plan


def _option_key(value: str | None, what: str, *, allow_class: bool) -> str | None:
    if value in (None, "", "none"):
        return None
    assert value is not None
    if allow_class and value == "class":
        return "class"
    if value.startswith("meta:"):
        return check_meta_key(value[5:])
    allowed = "class or meta:KEY" if allow_class else "meta:KEY"
    raise InvalidInput(f"--{what} takes {allowed}, not {value!r}")
