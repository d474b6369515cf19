"""One item's shapes from several annotators grouped into clusters, and a cluster's consensus.

numpy only. Pairs come from :func:`~labelhub.metrics.agreement_match.match_item`.

Clusters (:func:`cluster_shapes`)
    Matched pairs (same class or not) from every pair of annotators, strongest first, join
    clusters unless that would put two shapes of one annotator in one cluster.

Consensus (:func:`consensus`)
    The class is the majority vote, ties going to the lowest class id; the shape is the member
    closest to the others (as CVAT does) or the mean shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from labelhub.errors import InvalidInput
from labelhub.metrics.agreement_match import Shapes, match_item, similarity_matrix

__all__ = ["Cluster", "Consensus", "cluster_shapes", "consensus"]


@dataclass(frozen=True)
class Cluster:
    """Shapes of different annotators that lie on one object: member m is shape
    ``indices[m]`` of annotator ``annotators[m]``; ``shapes`` holds the members, in order."""

    annotators: np.ndarray
    indices: np.ndarray
    shapes: Shapes

    @property
    def size(self) -> int:
        return int(self.annotators.size)


def cluster_shapes(sets: Sequence[Shapes], iou_threshold: float = 0.5) -> list[Cluster]:
    """Group one item's shapes from K annotators (``sets[k]``) into clusters.

    Every pair of annotators is matched as in :func:`match_item`; matched pairs, highest IoU
    first (ties in annotator and index order), merge their clusters unless an annotator would
    then have two shapes in one cluster. Unmatched shapes form clusters of one. Clusters come
    ordered by their first member.
    """
    offset = np.cumsum([0] + [len(s) for s in sets])
    edges = []
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            m = match_item(sets[i], sets[j], iou_threshold)
            edges += [(-float(v), int(offset[i] + x), int(offset[j] + y))
                      for v, x, y in zip(m.iou, m.a, m.b, strict=True)]
    owner = np.repeat(np.arange(len(sets)), np.diff(offset))
    parent = list(range(int(offset[-1])))
    members = {n: {int(owner[n])} for n in parent}

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for _, x, y in sorted(edges):
        rx, ry = root(x), root(y)
        if rx != ry and not members[rx] & members[ry]:
            parent[ry] = rx
            members[rx] |= members.pop(ry)
    groups: dict[int, list[int]] = {}
    for n in range(int(offset[-1])):
        groups.setdefault(root(n), []).append(n)
    everything = Shapes.concat(list(sets)) if sets else None
    out = []
    for nodes in sorted(groups.values()):
        idx = np.array(nodes)
        out.append(Cluster(owner[idx], idx - offset[owner[idx]], everything.take(idx)))
    return out


@dataclass(frozen=True)
class Consensus:
    """The merged shape of a cluster: ``shape`` (one row, labelled ``label``), the votes for
    that class, the cluster size, and ``source`` (annotator, index) of the member chosen, or
    None for a mean shape."""

    label: int
    votes: int
    support: int
    shape: Shapes
    source: tuple[int, int] | None


def consensus(cluster: Cluster, quorum: int = 1, method: str = "closest") -> Consensus | None:
    """Merge a cluster into one shape, or None when fewer than ``quorum`` annotators drew it.

    Class: majority vote over the members; a tie goes to the lowest class id. Shape, with
    ``method="closest"``: the member closest to the others (boxes and keypoints: highest
    similarity to the members' mean; masks: highest mean IoU to the other members; ties go to
    the first member); with ``"mean"``: the mean box, or for keypoints the mean position of
    each point over the members that labelled it (masks have no mean: InvalidInput).
    """
    if method not in ("closest", "mean"):
        raise InvalidInput(f'method must be "closest" or "mean", not {method!r}.')
    if cluster.size == 0 or cluster.size < quorum:
        return None
    s = cluster.shapes
    values, votes = np.unique(s.labels, return_counts=True)
    label = int(values[np.argmax(votes)])
    mean = None
    if s.kind == "mask":
        if method == "mean":
            raise InvalidInput('Masks have no mean shape; use method="closest".')
        sim = similarity_matrix(s, s)
        score = (sim.sum(axis=1) - 1.0) / max(s.labels.size - 1, 1)
    else:
        box = s.boxes.mean(axis=0, keepdims=True)
        kp = area = None
        if s.kind == "keypoints":
            seen = s.keypoints[:, :, 2] > 0
            n = np.maximum(seen.sum(axis=0), 1)[:, None]
            xy = (s.keypoints[:, :, :2] * seen[:, :, None]).sum(axis=0) / n
            kp = np.concatenate([xy, s.keypoints[:, :, 2:].max(axis=0)], axis=1)[None]
            area = s.areas.mean(keepdims=True)
        mean = Shapes(np.array([label]), box, None, kp, area, s.sigmas)
        score = similarity_matrix(s, mean)[:, 0]
    if method == "mean":
        return Consensus(label, int(votes.max()), cluster.size, mean, None)
    best = int(np.argmax(score))
    chosen = s.take([best])
    chosen = Shapes(np.array([label]), chosen.boxes, chosen.masks, chosen.keypoints,
                    chosen.areas, chosen.sigmas)
    return Consensus(label, int(votes.max()), cluster.size, chosen,
                     (int(cluster.annotators[best]), int(cluster.indices[best])))
