"""Paths to GC roots: the reference graph of an indexed dump and one breadth-first search from every root.

Roots, in the order ties are broken: static fields (each class's statics are roots, as in Eclipse MAT's
"path to GC roots": the Class object itself is never walked through), JNI globals, thread-stack locals
(java frames, JNI locals: with the thread's name and the frame), thread objects, then the rest
(sticky classes, monitors, native stacks, unknown). References listed in :data:`IGNORED` are not
followed (like Shark's ``JdkReferenceMatchers``): without ``Reference.referent`` every garbage buffer
would look reachable through its own Cleaner (INCIDENTS.md, "HPROF facts").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .hprof import KIND_CLASS, KIND_INSTANCE, KIND_OBJ_ARRAY, Hprof

__all__ = ["IGNORED", "Paths", "find_paths"]

# (declaring class, field): references the path search does not follow
IGNORED: tuple[tuple[str, str], ...] = (
    ("java.lang.ref.Reference", "referent"),
)
_ROOT_ORDER = {"static": 0, "JNI global": 1, "java frame": 2, "JNI local": 3, "thread object": 4}
_SMALL = 48  # frontiers smaller than this are walked in Python (cheaper than a numpy round)


@dataclass
class Paths:
    """The search result: for each object index, its BFS parent (-1 for a root object, -2 unreachable)
    and, for reachable objects, the index of its root's label in ``labels``."""

    parent: np.ndarray
    root: np.ndarray
    labels: list[str]

    def reachable(self, index: int) -> bool:
        return int(self.parent[index]) != -2

    def chain(self, index: int) -> list[int]:
        """Object indices from the root object down to ``index`` (empty when unreachable)."""
        if not self.reachable(index):
            return []
        out = [index]
        while int(self.parent[out[-1]]) >= 0:
            out.append(int(self.parent[out[-1]]))
        return out[::-1]


def _spread(firsts: np.ndarray, counts: np.ndarray, step: int = 1) -> np.ndarray:
    """For runs given by their first value and length: every value, e.g. ([10, 50], [2, 3]) -> 10 11 50 51 52."""
    total = int(counts.sum())
    return np.repeat(firsts - step * (np.cumsum(counts) - counts), counts) + step * np.arange(total)


def _edges(heap: Hprof) -> tuple[np.ndarray, np.ndarray]:
    """(indptr, targets): the outgoing references of every object as a CSR over object indices, in field
    (or element) order; -1 marks a reference that is not followed (null, outside the dump, a Class)."""
    n = len(heap.ids)
    counts_all = np.zeros(n, dtype=np.int64)
    class_ids = np.array(sorted(heap.classes), dtype=np.uint64)
    per_class = [[f.offset for f in heap.layout(int(c)) if f.type == 2 and (f.owner, f.name) not in IGNORED]
                 for c in class_ids]
    nref = np.array([len(x) for x in per_class], dtype=np.int64)
    flat = np.array([o for x in per_class for o in x], dtype=np.int64)
    inst = np.flatnonzero(heap.kinds == KIND_INSTANCE)
    cls = np.searchsorted(class_ids, heap.class_of[inst]) if len(class_ids) else np.zeros(len(inst), np.int64)
    cls[cls >= len(class_ids)] = 0
    inst_counts = nref[cls] if len(class_ids) else np.zeros(len(inst), np.int64)
    counts_all[inst] = inst_counts
    arrs = np.flatnonzero(heap.kinds == KIND_OBJ_ARRAY)
    arr_offs = heap.offsets[arrs]
    arr_counts = heap.u4_at(arr_offs + 13).astype(np.int64)
    counts_all[arrs] = arr_counts
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts_all, out=indptr[1:])
    ids = np.zeros(int(indptr[-1]), dtype=np.uint64)
    if len(inst) and len(flat):
        at = _spread(np.cumsum(nref)[cls] - nref[cls], inst_counts)          # index into flat
        ids[_spread(indptr[inst], inst_counts)] = heap.ids_at(np.repeat(heap.offsets[inst] + 25, inst_counts) + flat[at])
        del at
    if len(arrs):
        ids[_spread(indptr[arrs], arr_counts)] = heap.ids_at(_spread(arr_offs + 25, arr_counts, 8))
    targets = heap.indices_of(ids)
    del ids
    hit = targets >= 0
    targets[hit] = np.where(heap.kinds[targets[hit]] == KIND_CLASS, -1, targets[hit])  # statics are roots already
    return indptr, targets.astype(np.int32)


def _root_list(heap: Hprof) -> list[tuple[int, str]]:
    """(object index, label), in tie-break order."""
    out: list[tuple[int, int, str]] = []
    for c in heap.classes.values():
        for name, t, value in c.statics:
            if t == 2 and value:
                i = heap.index_of(int(value))  # type: ignore[call-overload]
                if i >= 0:
                    out.append((0, i, f"static {c.name}.{name}"))
    names: dict[int, str] = {}
    for kind, oid, thread, frame in heap.roots:
        i = heap.index_of(oid)
        if i < 0 or int(heap.kinds[i]) == KIND_CLASS:
            continue
        if thread and thread not in names:
            names[thread] = heap.thread_name(thread)
        if kind in ("java frame", "JNI local"):
            label = f"{'local' if kind == 'java frame' else 'JNI local'} in {heap.frame_of(thread, frame)} " \
                    f"(thread '{names[thread]}')"
        elif kind == "thread object":
            label = f"thread '{names[thread]}'"
        elif thread:
            label = f"{kind} (thread '{names[thread]}')"
        else:
            label = kind
        out.append((_ROOT_ORDER.get(kind, 9), i, label))
    out.sort(key=lambda r: r[0])  # stable: dump order within a kind
    return [(i, label) for _, i, label in out]


def find_paths(heap: Hprof) -> Paths:
    """Breadth-first from all roots at once: each object gets a shortest path (ties: root order, then
    field order). Level by level in numpy; small levels (deep chains) in plain Python."""
    indptr, targets = _edges(heap)
    n = len(heap.ids)
    parent = np.full(n, -2, dtype=np.int64)
    root = np.full(n, -1, dtype=np.int32)
    labels: list[str] = []
    label_ix: dict[str, int] = {}
    frontier_l: list[int] = []
    for i, label in _root_list(heap):
        if parent[i] != -2:
            continue
        parent[i] = -1
        root[i] = label_ix.setdefault(label, len(labels))
        if root[i] == len(labels):
            labels.append(label)
        frontier_l.append(i)
    frontier = np.array(frontier_l, dtype=np.int64)
    seen = parent != -2
    claim = np.zeros(n, dtype=np.int64)
    while len(frontier):
        if len(frontier) < _SMALL:
            nxt = []
            for s in frontier.tolist():
                for t in targets[indptr[s]:indptr[s + 1]].tolist():
                    if t >= 0 and not seen[t]:
                        seen[t] = True
                        parent[t] = s
                        root[t] = root[s]
                        nxt.append(t)
            frontier = np.array(nxt, dtype=np.int64)
            continue
        starts, counts = indptr[frontier], indptr[frontier + 1] - indptr[frontier]
        total = int(counts.sum())
        if not total:
            break
        src = np.repeat(frontier, counts)
        pos = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(total)
        tgt = targets[pos]
        fresh = tgt >= 0
        fresh[fresh] = ~seen[tgt[fresh]]
        tgt, src = tgt[fresh], src[fresh]
        # the first claim on each target wins (discovery order, as a FIFO queue would have it), no sort
        at = np.arange(len(tgt))
        claim[tgt[::-1]] = at[::-1]
        first = claim[tgt] == at
        frontier, src = tgt[first], src[first]
        seen[frontier] = True
        parent[frontier] = src
        root[frontier] = root[src]
    return Paths(parent, root, labels)
