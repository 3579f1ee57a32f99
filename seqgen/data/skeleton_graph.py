"""A glyph's ink thinned to its skeleton and read as a graph of pen paths.

`skeleton_graph(mask_HxW)` thins the ink (skimage's skeletonize) to a
one-pixel centre line and reads it as a graph: nodes are stroke ends (a
skeleton pixel with one neighbour) and junctions (three or more; the pixels
of one junction, which thinning leaves as a small blob, are one node, as are
junction pixels within 2 px of each other), edges are the pixel paths
between nodes, a closed ring without any node (an 'o', a '0') is a cycle, and
ink whose skeleton is a single pixel or a lone junction blob (a heavy '.') is
a dot. Then it cleans what thinning gets wrong, with the local half stroke
width r (the ink's distance transform: the radius of the largest disc
inside the ink there) as the yardstick:

- spurs: a terminal edge whose ink (its length plus the half width r at
  its tip) reaches less than SPUR_FACTOR * r beyond its junction's disc
  (radius r there) is a twig thinning grows into a corner or a bump of the
  outline, not a stroke: it goes, and a junction left with two edges
  becomes a bend. A real arm, say a 't' bar reaching a stroke width past
  the stem, reaches ~1.7 r beyond and stays;
- split crossings: two junctions joined by an edge shorter than
  MERGE_FACTOR * (r_a + r_b) are one crossing thinning split in two (an X
  read as two Y's, the cross of a 't'); they merge into one node;
- small holes: a loop at a junction shorter than HOLE_FACTOR * r is a gap
  in the ink, not a counter; it goes;
- pulled-in ends: thinning stops a stroke short of the end of its ink (by up
  to r); each free end is extended along its direction while it stays
  inside the ink, by at most r, so that the pen's centre line spans the ink
  as a thin pen drawing the letter would;
- pixel stairs: paths are smoothed (Gaussian, sigma from the stroke width,
  ends held) and simplified (Douglas-Peucker at SIMPLIFY_PX).

Coordinates are pixel (column, row), pixel centres at +0.5 as in
outline.Raster. Dimension letters: H, W rows and columns; N points of a path.
"""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy import ndimage

SPUR_FACTOR = 0.8  # a terminal edge reaching under this times r past its junction's disc: a spur
MERGE_FACTOR = 1.5  # junctions closer than this times (r_a + r_b) (along the edge) merge
HOLE_FACTOR = 4.0  # a self-loop shorter than this times r (a hole under ~1.3 r across) goes
SIMPLIFY_PX = 0.4  # Douglas-Peucker tolerance, pixels (~0.004 x-heights)
SMOOTH_SIGMA = (1.0, 3.0)  # pixels: the smoothing's range, 0.5 r clipped to it
_EIGHT = np.ones((3, 3), bool)


@dataclasses.dataclass(eq=False)  # identity: edges are removed from lists
class Edge:
    a: int  # node at path_Nx2[0]
    b: int  # node at path_Nx2[-1]
    path_Nx2: np.ndarray  # float64 (column, row)

    @property
    def length(self) -> float:
        return arc_length(self.path_Nx2)


@dataclasses.dataclass(eq=False)
class Graph:
    """Nodes (positions), edges between them, node-free cycles and dots."""

    nodes: dict[int, np.ndarray]
    edges: list[Edge]
    cycles: list[np.ndarray]  # closed paths (N, 2), the first point not repeated
    dots: list[np.ndarray]  # (N, 2), N >= 1: ink too small to have a path
    radius_HxW: np.ndarray  # float64: the ink's distance transform (half stroke width)

    def degree(self, node: int) -> int:
        return sum((e.a == node) + (e.b == node) for e in self.edges)

    def radius(self, p: np.ndarray) -> float:
        """The half stroke width at a point (the distance transform, >= 1 px)."""
        h, w = self.radius_HxW.shape
        c = int(np.clip(p[0], 0, w - 1))
        r = int(np.clip(p[1], 0, h - 1))
        return max(float(self.radius_HxW[r, c]), 1.0)


def arc_length(path_Nx2: np.ndarray) -> float:
    return float(np.hypot(*np.diff(path_Nx2, axis=0).T).sum()) if len(path_Nx2) > 1 else 0.0


# ----------------------------------------------------------------------------
# Reading the skeleton.
# ----------------------------------------------------------------------------

def _walk(pixels: set[tuple[int, int]], start: tuple[int, int]) -> list[tuple[int, int]]:
    """The chain of pixels from `start`, each next one an unvisited 8-neighbour
    (4-neighbours first: a diagonal shortcut would skip a pixel)."""
    order, seen = [start], {start}
    while True:
        r, c = order[-1]
        nxt = [(r + dr, c + dc) for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1),
                                                  (-1, -1), (-1, 1), (1, -1), (1, 1))
               if (r + dr, c + dc) in pixels and (r + dr, c + dc) not in seen]
        if not nxt:
            return order
        order.append(nxt[0])
        seen.add(nxt[0])


def _centre(rc_Nx2: np.ndarray) -> np.ndarray:
    """(row, column) pixel indices -> (column, row) coordinates of their centres."""
    return np.asarray(rc_Nx2, np.float64)[:, ::-1] + 0.5


def skeleton_graph(mask_HxW: np.ndarray) -> Graph:
    """The cleaned graph of the ink's skeleton (module docstring)."""
    radius_HxW = ndimage.distance_transform_edt(mask_HxW)
    # scikit-image is the tracer's extra (pip install seqgen[hands]): drawing
    # the vendored hands needs only the graph types and stroke_order.
    from skimage.morphology import skeletonize

    skel_HxW = skeletonize(mask_HxW)
    neighbours_HxW = ndimage.convolve(skel_HxW.astype(np.int32), _EIGHT.astype(np.int32),
                                      mode="constant") - 1
    junction_HxW = skel_HxW & (neighbours_HxW >= 3)
    # Junction pixels within 2 px of each other form one node.
    cluster_HxW, n_clusters = ndimage.label(ndimage.binary_dilation(junction_HxW, _EIGHT),
                                            _EIGHT)
    cluster_HxW = np.where(junction_HxW, cluster_HxW, 0)
    graph = Graph({}, [], [], [], radius_HxW)
    for k in range(1, n_clusters + 1):
        rc = np.argwhere(cluster_HxW == k)
        if len(rc):
            graph.nodes[k] = _centre(rc).mean(axis=0)
    next_node = n_clusters + 1
    touched: set[int] = set()
    path_HxW, n_paths = ndimage.label(skel_HxW & ~junction_HxW, _EIGHT)
    for k, where in enumerate(ndimage.find_objects(path_HxW), start=1):
        rows, cols = np.nonzero(path_HxW[where] == k)
        pixels = set(zip((rows + where[0].start).tolist(), (cols + where[1].start).tolist(),
                          strict=True))

        def near_clusters(p: tuple[int, int]) -> list[int]:
            r, c = p
            window = cluster_HxW[max(r - 1, 0):r + 2, max(c - 1, 0):c + 2]
            return sorted(set(window[window > 0].tolist()))

        ends = sorted(p for p in pixels
                      if sum((p[0] + dr, p[1] + dc) in pixels
                             for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc) <= 1)
        if not ends:  # a ring
            ring = _walk(pixels, min(pixels))
            graph.cycles.append(_centre(np.array(ring)))
            continue
        chain = _walk(pixels, ends[0])
        path = _centre(np.array(chain))
        first, last = near_clusters(chain[0]), near_clusters(chain[-1])
        if len(chain) == 1 and len(first) >= 2:
            first, last = first[:1], first[1:2]
        elif len(chain) == 1:
            last = []  # a one-pixel twig off one junction: its other side is free
        ids = []
        for clusters, point in ((first, path[0]), (last, path[-1])):
            if clusters:
                ids.append(clusters[0])
                touched.add(clusters[0])
            else:
                graph.nodes[next_node] = point
                ids.append(next_node)
                next_node += 1
        a, b = ids
        # A junction's edges all end at its node, so that they meet.
        if first:
            path = np.concatenate([graph.nodes[a][None], path])
        if last:
            path = np.concatenate([path, graph.nodes[b][None]])
        graph.edges.append(Edge(a, b, path))
    for k in range(1, n_clusters + 1):
        if k in graph.nodes and k not in touched:  # a lone junction blob
            graph.dots.append(graph.nodes.pop(k)[None])
    _clean(graph, mask_HxW)
    return graph


# ----------------------------------------------------------------------------
# Cleaning.
# ----------------------------------------------------------------------------

def _dissolve(graph: Graph) -> None:
    """Nodes with exactly two edge ends become bends: their edges join into one
    (an edge that is a loop at such a node becomes a cycle)."""
    changed = True
    while changed:
        changed = False
        for node in sorted(graph.nodes):
            at = [e for e in graph.edges if node in (e.a, e.b)]
            if len(at) == 1 and at[0].a == at[0].b == node:
                graph.edges.remove(at[0])
                graph.cycles.append(at[0].path_Nx2[:-1])
                del graph.nodes[node]
                changed = True
            elif len(at) == 2 and graph.degree(node) == 2:
                e, f = at
                p = e.path_Nx2 if e.b == node else e.path_Nx2[::-1]
                q = f.path_Nx2 if f.a == node else f.path_Nx2[::-1]
                start = e.a if e.b == node else e.b
                end = f.b if f.a == node else f.a
                graph.edges.remove(e)
                graph.edges.remove(f)
                graph.edges.append(Edge(start, end, np.concatenate([p, q[1:]])))
                del graph.nodes[node]
                changed = True


def _prune(graph: Graph) -> None:
    """Spurs, split crossings and small holes go (module docstring), shortest first."""
    changed = True
    while changed:
        _dissolve(graph)
        changed = False
        for e in sorted(graph.edges, key=lambda e: e.length):
            da, db = graph.degree(e.a), graph.degree(e.b)
            if e.a == e.b:  # a loop at a junction
                if e.length < HOLE_FACTOR * graph.radius(graph.nodes[e.a]):
                    graph.edges.remove(e)
                    changed = True
                    break
                continue
            if min(da, db) == 1 and max(da, db) >= 3:
                junction, tip = (e.a, e.b) if da >= 3 else (e.b, e.a)
                r_junction = graph.radius(graph.nodes[junction])
                if (e.length + graph.radius(graph.nodes[tip])
                        < (1 + SPUR_FACTOR) * r_junction):
                    graph.edges.remove(e)
                    del graph.nodes[e.b if junction == e.a else e.a]
                    changed = True
                    break
            if da >= 3 and db >= 3 and e.length < MERGE_FACTOR * (
                    graph.radius(graph.nodes[e.a]) + graph.radius(graph.nodes[e.b])):
                _contract(graph, e)
                changed = True
                break


def _contract(graph: Graph, e: Edge) -> None:
    """Edge e's two nodes become one, at the middle of e."""
    graph.edges.remove(e)
    middle = e.path_Nx2[len(e.path_Nx2) // 2].copy()
    graph.nodes[e.a] = middle
    for f in graph.edges:
        for end in ("a", "b"):
            if getattr(f, end) in (e.a, e.b):
                setattr(f, end, e.a)
                i = 0 if end == "a" else -1
                f.path_Nx2 = f.path_Nx2.copy()
                f.path_Nx2[i] = middle
    del graph.nodes[e.b]


def _extend(path_Nx2: np.ndarray, graph: Graph, mask_HxW: np.ndarray) -> np.ndarray:
    """The path's last point moved on along its direction while inside the ink,
    by at most the stroke's half width there."""
    end = path_Nx2[-1]
    length = arc_length(path_Nx2)
    arc_N = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(path_Nx2, axis=0).T))])
    # Direction from a point about 2 r back: the last pixels wobble.
    back_at = np.interp(length - min(max(4.0, 2 * graph.radius(end)), length), arc_N,
                        np.arange(len(path_Nx2)))
    back = path_Nx2[int(back_at)]
    direction = end - back
    norm = float(np.hypot(*direction))
    if norm < 1e-9:
        return path_Nx2
    direction = direction / norm
    reach = graph.radius(back)
    h, w = mask_HxW.shape
    step, moved = 0.5, 0.0
    while moved + step <= reach:
        c, r = end + (moved + step) * direction
        if not (0 <= r < h and 0 <= c < w) or not mask_HxW[int(r), int(c)]:
            break
        moved += step
    moved = max(moved - 1.0, 0.0)  # a pixel short of the ink's edge
    if moved < 0.5:
        return path_Nx2
    return np.concatenate([path_Nx2, (end + moved * direction)[None]])


def smooth(path_Nx2: np.ndarray, sigma: float, closed: bool = False) -> np.ndarray:
    """Gaussian smoothing of a path resampled at 1 px; an open path keeps its ends."""
    if len(path_Nx2) < 3:
        return path_Nx2
    ring = np.concatenate([path_Nx2, path_Nx2[:1]]) if closed else path_Nx2
    arc_N = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(ring, axis=0).T))])
    n = max(int(np.ceil(arc_N[-1])), 2)
    at = np.linspace(0.0, arc_N[-1], n + 1)
    dense = np.stack([np.interp(at, arc_N, ring[:, 0]), np.interp(at, arc_N, ring[:, 1])], 1)
    if closed:
        dense = dense[:-1]
        return ndimage.gaussian_filter1d(dense, sigma, axis=0, mode="wrap")
    out = ndimage.gaussian_filter1d(dense, sigma, axis=0, mode="nearest")
    # Hold the ends (junctions must meet, free ends stay where the ink ends),
    # blending into the smoothed path over 2 sigma.
    k = np.arange(len(dense))
    weight = np.clip(np.minimum(k, len(dense) - 1 - k) / (2 * sigma), 0.0, 1.0)[:, None]
    return weight * out + (1 - weight) * dense


def simplify(path_Nx2: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas-Peucker: the fewest of the path's points within `tolerance` of it."""
    keep = np.zeros(len(path_Nx2), bool)
    keep[[0, -1]] = True
    stack = [(0, len(path_Nx2) - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        a, b = path_Nx2[i], path_Nx2[j]
        ab = b - a
        p = path_Nx2[i + 1:j] - a
        denom = float(np.hypot(*ab))
        d = (np.abs(ab[0] * p[:, 1] - ab[1] * p[:, 0]) / denom if denom > 1e-9
             else np.hypot(p[:, 0], p[:, 1]))
        k = int(np.argmax(d))
        if d[k] > tolerance:
            keep[i + 1 + k] = True
            stack += [(i, i + 1 + k), (i + 1 + k, j)]
    return path_Nx2[keep]


def _clean(graph: Graph, mask_HxW: np.ndarray) -> None:
    _prune(graph)
    _dissolve(graph)
    # The stroke's half width: the distance transform along the skeleton.
    on_skeleton = [graph.radius(p) for e in graph.edges for p in e.path_Nx2]
    on_skeleton += [graph.radius(p) for c in graph.cycles for p in c]
    sigma = float(np.clip(0.5 * np.median(on_skeleton) if on_skeleton else 1.0,
                          *SMOOTH_SIGMA))
    for e in graph.edges:
        if graph.degree(e.b) == 1:
            e.path_Nx2 = _extend(e.path_Nx2, graph, mask_HxW)
        if graph.degree(e.a) == 1:
            e.path_Nx2 = _extend(e.path_Nx2[::-1], graph, mask_HxW)[::-1]
        e.path_Nx2 = simplify(smooth(e.path_Nx2, sigma), SIMPLIFY_PX)
    graph.cycles = [simplify(smooth(c, sigma, closed=True), SIMPLIFY_PX)
                    for c in graph.cycles if len(c) >= 3]
    # A stroke with (almost) no length is a dot: the skeleton of a small blob.
    for e in list(graph.edges):
        if graph.degree(e.a) == graph.degree(e.b) == 1 and e.length < 1.0:
            graph.edges.remove(e)
            graph.dots.append(e.path_Nx2[:1])
            del graph.nodes[e.a]
            graph.nodes.pop(e.b, None)
