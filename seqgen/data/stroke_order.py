"""Pen strokes from a glyph's skeleton graph, in a plausible Latin writing order.

`order_strokes(graph)` takes a skeleton_graph.Graph whose coordinates are
x-heights, y up (tracing.py converts them) and returns the strokes, each a
polyline, in the order and direction a writer would draw them. The rules,
kept simple on purpose (handwriting is varied; these are the habits taught
in school, Zaner-Bloser or D'Nealian style):

Covering the graph. Every edge is drawn exactly once. At each node the
edge ends are paired greedily, the straightest pair first (the two leaving
directions, measured DIRECTION_REACH x-heights along each edge, closest to
opposite), until fewer than two are left; a pair is a pen passing through,
an unpaired end a pen lift. So a bend (two ends) is always passed through,
a T or Y junction (three) passes the straight pair and ends the third
edge there (the stem of a 'T' and its bar are two strokes; the 'h' stem
and its arch two), and a crossing (four) passes both lines straight (the
two bars of an 'x', the stem and bar of a 't'): the fewest pen lifts a
node allows, and straight lines stay whole.

Direction. An open stroke starts at its higher end when its ends differ in
height by more than START_DY x-heights, else at its left end: strokes run
top to bottom and left to right (a 'c', 's', 'J', 'y' from the top; a 'u',
'n', 'M' from the left). One exception: when the lower end is the left one
and the stroke leaves it within STEM_ANGLE of straight up, and the stroke
is bent (its ink BENT times the straight line between its ends), that end
is the foot of a stem a writer goes up first: an 'N', or an 'r' whose stem
and arm are one line of ink, start at the foot, not at the arm's tip (the
skeleton has no record of the retrace a writer makes down and up a stem).
A closed stroke (a ring, or a loop passed through at its junctions: an
'o', a '0', an '8') starts at its top-most point and sets off leftwards,
counter-clockwise as a written 'o'. A bowl that meets its stem along a
stretch (a 'b', 'p', 'd', 'q') is an open arc between two junctions and
follows the open rule: from its upper junction, so a 'b' runs clockwise and
a 'd' counter-clockwise, as written.

Order. Marks come last: a connected piece with less ink than MARK_INK
x-heights and under MARK_SHARE of the glyph's largest piece (an i or j dot,
an accent, the dot of '!' and '?'), or one under MARK_SIZE x-heights
across both ways that is not the largest (a dot drawn as a ring). Among the rest, and then among the
marks, strokes are taken one at a time: of the strokes whose predecessors
are drawn, those whose ink's centre lies within ORDER_TIE x-heights of the
left-most one, then of those the highest-starting (within ORDER_TIE), then
the one starting furthest left, then the longest. The centre of the ink,
not its left edge, so that a 'y' begins with its short left arm although
its tail reaches further left. A bar (a stroke at most BAR_SLOPE as high
as wide) that shares a node with a stroke that is not a bar comes after
it: stems before crossbars, as in 't', 'f', 'A', 'H', 'T' and '+'.

Polylines. `order_polylines(strokes)` applies the same rules to a glyph
that already is pen paths (a single-line font drawn for plotters, whose
strokes run in whatever direction suited the plotter: an EMS 's' from its
foot, an 'i' stem upwards): its strokes are the graph's edges, their ends
within NODE_MERGE x-heights one node, a stroke whose ends meet alone a
closed ring (a speck under 3 NODE_MERGE of ink a dot, kept as drawn) and
a one-point stroke a dot.

Dimension letters: N points of a path.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from seqgen.data.skeleton_graph import Edge, Graph, arc_length

NODE_MERGE = 0.05  # x-heights: polyline ends this close are one node (order_polylines)
DIRECTION_REACH = 0.15  # x-heights along an edge to measure its leaving direction
START_DY = 0.2  # x-heights: ends closer in height than this start from the left one
STEM_ANGLE = 25.0  # degrees from upright: a lower left end leaving this steeply is a stem's foot
BENT = 1.2  # ... of a stroke whose ink is this much longer than the straight line between its ends
MARK_INK = 0.6  # x-heights of ink: a smaller piece can be a mark ...
MARK_SHARE = 0.34  # ... if it has under this share of the glyph's largest piece
MARK_SIZE = 0.3  # x-heights: a smaller piece (not the largest) is a mark whatever its ink
ORDER_TIE = 0.25  # x-heights within which two strokes count as equally left or high
BAR_SLOPE = 0.35  # a stroke at most this high for its width is a bar


@dataclasses.dataclass
class _Stroke:
    path_Nx2: np.ndarray
    nodes: frozenset[int]  # graph nodes it ends at or passes through
    piece: int  # connected piece of the glyph it belongs to

    @property
    def ink(self) -> float:
        return arc_length(self.path_Nx2)

    @property
    def is_bar(self) -> bool:
        size = self.path_Nx2.max(axis=0) - self.path_Nx2.min(axis=0)
        return bool(size[1] <= BAR_SLOPE * size[0])

    @property
    def centre_x(self) -> float:
        """The x of the ink's centre, weighting each segment by its length."""
        p = self.path_Nx2
        if len(p) < 2 or self.ink == 0:
            return float(p[:, 0].mean())
        seg = np.hypot(*np.diff(p, axis=0).T)
        return float(((p[1:, 0] + p[:-1, 0]) / 2 * seg).sum() / seg.sum())


def _leaving(path_Nx2: np.ndarray) -> np.ndarray:
    """Unit direction from path[0] to the point DIRECTION_REACH along it."""
    arc_N = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(path_Nx2, axis=0).T))])
    at = min(DIRECTION_REACH, arc_N[-1])
    p = np.array([np.interp(at, arc_N, path_Nx2[:, 0]), np.interp(at, arc_N, path_Nx2[:, 1])])
    d = p - path_Nx2[0]
    n = float(np.hypot(*d))
    return d / n if n > 1e-12 else d


def _pairings(graph: Graph) -> dict[tuple[int, int], tuple[int, int]]:
    """(edge, end) -> the (edge, end) the pen passes on to at that node."""
    ends_at: dict[int, list[tuple[int, int]]] = {n: [] for n in graph.nodes}
    for i, e in enumerate(graph.edges):
        ends_at[e.a].append((i, 0))
        ends_at[e.b].append((i, 1))
    paired = {}
    for node in sorted(ends_at):
        ends = ends_at[node]
        directions = {end: _leaving(graph.edges[end[0]].path_Nx2 if end[1] == 0
                                    else graph.edges[end[0]].path_Nx2[::-1]) for end in ends}
        while len(ends) >= 2:
            # cos of the angle: -1 = straight through; ties broken by order.
            cost, x, y = min((float(directions[x] @ directions[y]), x, y)
                             for i, x in enumerate(ends) for y in ends[i + 1:])
            paired[x], paired[y] = y, x
            ends = [end for end in ends if end not in (x, y)]
    return paired


def _chains(graph: Graph) -> list[tuple[np.ndarray, frozenset[int], bool]]:
    """(path, nodes, closed) of each pen-down run through the pairings."""
    paired = _pairings(graph)
    used: set[int] = set()

    def run(edge: int, end: int) -> tuple[np.ndarray, frozenset[int], bool]:
        pieces, nodes = [], set()
        first = (edge, end)
        while True:
            used.add(edge)
            e = graph.edges[edge]
            pieces.append(e.path_Nx2 if end == 0 else e.path_Nx2[::-1])
            nodes |= {e.a, e.b}
            nxt = paired.get((edge, 1 - end))
            if nxt is None:
                closed = False
                break
            if nxt == first:
                closed = True
                break
            edge, end = nxt
        path = np.concatenate([pieces[0]] + [p[1:] for p in pieces[1:]])
        if closed:
            path = path[:-1]
        return path, frozenset(nodes), closed

    chains = []
    for i in range(len(graph.edges)):
        for end in (0, 1):
            if i not in used and (i, end) not in paired:
                chains.append(run(i, end))
    for i in range(len(graph.edges)):
        if i not in used:
            chains.append(run(i, 0))
    return chains


def orient_open(path_Nx2: np.ndarray) -> np.ndarray:
    """The path from its higher end, or from its left end when the heights are
    close or the left end is the foot of a stem (module docstring)."""
    (x0, y0), (x1, y1) = path_Nx2[0], path_Nx2[-1]
    left = path_Nx2 if x0 <= x1 else path_Nx2[::-1]
    if abs(y0 - y1) <= START_DY:
        return left
    higher = path_Nx2 if y0 > y1 else path_Nx2[::-1]
    if higher is not left:
        rise = _leaving(left)
        straight = float(np.hypot(*(left[-1] - left[0])))
        if rise[1] >= np.cos(np.radians(STEM_ANGLE)) and arc_length(left) > BENT * straight:
            return left  # up the stem first: an 'N', an 'r'
    return higher


def orient_closed(ring_Nx2: np.ndarray) -> np.ndarray:
    """A closed path from its top-most point, setting off leftwards, closed again."""
    top = int(np.argmax(ring_Nx2[:, 1]))
    ring = np.roll(ring_Nx2, -top, axis=0)
    ahead, behind = _leaving(np.concatenate([ring, ring[:1]])), _leaving(
        np.concatenate([ring[:1], ring[::-1]]))
    if ahead[0] > behind[0]:
        ring = np.concatenate([ring[:1], ring[1:][::-1]])
    return np.concatenate([ring, ring[:1]])


def _pieces(chains) -> list[int]:
    """The connected piece of each chain (chains sharing a node are one piece)."""
    parent = list(range(len(chains)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    owner: dict[int, int] = {}
    for i, (_, nodes, _) in enumerate(chains):
        for n in nodes:
            if n in owner:
                parent[root(i)] = root(owner[n])
            else:
                owner[n] = i
    return [root(i) for i in range(len(chains))]


def order_strokes(graph: Graph) -> list[np.ndarray]:
    """The graph's strokes (x-heights, y up), oriented and in writing order."""
    chains = _chains(graph)
    strokes = [_Stroke(orient_closed(p) if closed else orient_open(p), nodes, piece)
               for (p, nodes, closed), piece in zip(chains, _pieces(chains),
                                                    strict=True)]
    piece = max((s.piece for s in strokes), default=0) + 1
    for c in graph.cycles:
        strokes.append(_Stroke(orient_closed(c), frozenset(), piece))
        piece += 1
    for d in graph.dots:
        strokes.append(_Stroke(d, frozenset(), piece))
        piece += 1
    ink: dict[int, float] = {}
    for s in strokes:
        ink[s.piece] = ink.get(s.piece, 0.0) + s.ink
    largest = max(ink.values(), default=0.0)
    low: dict[int, np.ndarray] = {}
    high: dict[int, np.ndarray] = {}
    for s in strokes:
        low[s.piece] = np.minimum(low.get(s.piece, np.inf), s.path_Nx2.min(axis=0))
        high[s.piece] = np.maximum(high.get(s.piece, -np.inf), s.path_Nx2.max(axis=0))
    biggest = max(ink, key=ink.get, default=None)
    marks = {p for p, v in ink.items() if v < MARK_INK and v < MARK_SHARE * largest
             or p != biggest and bool(np.all(high[p] - low[p] < MARK_SIZE))}
    after: dict[int, set[int]] = {i: set() for i in range(len(strokes))}
    for i, s in enumerate(strokes):
        if s.is_bar:
            after[i] = {j for j, t in enumerate(strokes)
                        if j != i and not t.is_bar and s.nodes & t.nodes}
    order: list[int] = []
    for group in ([i for i, s in enumerate(strokes) if s.piece not in marks],
                  [i for i, s in enumerate(strokes) if s.piece in marks]):
        left = list(group)
        while left:
            ready = [i for i in left if after[i] <= set(order)] or left  # no deadlock
            x = min(strokes[i].centre_x for i in ready)
            ready = [i for i in ready if strokes[i].centre_x <= x + ORDER_TIE]
            y = max(strokes[i].path_Nx2[0, 1] for i in ready)
            ready = [i for i in ready if strokes[i].path_Nx2[0, 1] >= y - ORDER_TIE]
            best = min(ready, key=lambda i: (strokes[i].path_Nx2[0, 0], -strokes[i].ink, i))
            order.append(best)
            left.remove(best)
    return [strokes[i].path_Nx2 for i in order]


def order_polylines(strokes: list[np.ndarray]) -> list[np.ndarray]:
    """Pen paths (x-heights, y up) in writing order and direction (module
    docstring, Polylines)."""
    ends: list[np.ndarray] = []  # node positions

    def node(p: np.ndarray) -> int:
        for i, q in enumerate(ends):
            if np.hypot(*(p - q)) <= NODE_MERGE:
                return i
        ends.append(np.asarray(p, np.float64))
        return len(ends) - 1

    lines = [np.asarray(st, np.float64) for st in strokes if len(st) > 1
             and arc_length(np.asarray(st, np.float64)) > 0]
    dots = [np.asarray(st, np.float64)[:1] for st in strokes if len(st) == 1
            or arc_length(np.asarray(st, np.float64)) == 0]
    pairs = [(node(st[0]), node(st[-1])) for st in lines]
    count = np.bincount([n for pair in pairs for n in pair], minlength=len(ends))
    edges, cycles = [], []
    for st, (a, b) in zip(lines, pairs, strict=True):
        if a == b and count[a] == 2 and arc_length(st) <= 3 * NODE_MERGE:
            dots.append(st)  # a speck: a full stop drawn as a tiny scribble
        elif a == b and count[a] == 2:  # a ring alone
            # orient_closed closes it again: the ring without its repeated end.
            cycles.append(st[:-1] if np.array_equal(st[0], st[-1]) else st)
        else:
            edges.append(Edge(a, b, st))
    graph = Graph(nodes=dict(enumerate(ends)), edges=edges, cycles=cycles, dots=dots,
                  radius_HxW=np.ones((1, 1)))
    return order_strokes(graph)
