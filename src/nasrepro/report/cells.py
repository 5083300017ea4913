"""Cell diagrams (``FigureSpec`` kind ``cell``): the cells a run found, drawn like the DARTS
paper's cell figures (thesis Figs. 2.1, 3.3): boxes for nodes (cell inputs green, intermediate
nodes blue, the cell output yellow), arrows labelled with their operation, and unlabelled arrows
into an output that concatenates (or, in the recurrent cell, averages) nodes and for edges whose
operation is ``""``. Nodes and edges come from the space
(``SearchSpace.cell_diagrams``); matplotlib only draws them.

Layout: the nodes in topological order on a half ellipse, inputs at the left end and the output
at the right end. No three points of a convex curve are collinear, so no straight edge runs
through a node; every edge points to the right. Each operation label runs along its edge, beside
it (not on it), at the first spot from the middle outwards where its box touches no edge, no node
and no label placed before it (``_place_labels``, in display units once the figure is laid out);
where no such spot exists, the one with the fewest contacts.

Input: one genotype record per run: on a DARTS-space figure the cell selected over the figure's
seeds (``<run>-selected/selection.json``, the cell its tables report: ``FigureSpec.selects``),
elsewhere ``search/genotype.json`` of the figure's first seed.
One panel per run (rows) and cell kind (columns).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from nasrepro import registry  # noqa: E402
from nasrepro.experiments.specs import FigureSpec  # noqa: E402
from nasrepro.report.figure import layout, save, suptitle  # noqa: E402
from nasrepro.spaces.base import CellDiagram  # noqa: E402

COLORS = {"input": "#c1e1c1", "node": "#add8e6", "output": "#eee8aa"}  # the DARTS figures' colours
SPACING = 1.8  # distance between neighbouring nodes on the arc (data units; aspect is equal)
HEIGHT = 0.42  # node box height
INCHES = 0.5  # inches per data unit: every cell figure has the same scale (boxes fit their names)
BENDS = (0.15, 0.3, 0.45)  # arc3 bends tried, in order, for an edge whose straight line meets a node
LABEL_SIZE = 6  # points
LABEL_PAD = 1.5  # points of white around a label, and its gap to its own edge
SPOTS = tuple(0.5 + sign * k * 0.04 for k in range(11) for sign in ((1,) if k == 0 else (-1, 1)))
# ^ where along its edge a label may go (0.5, 0.46, 0.54, ... 0.1, 0.9), tried in this order


def _positions(nodes: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    """Node i of n on the upper half of an ellipse, from the left end (i = 0) to the right."""
    n = len(nodes)
    width = SPACING * (n - 1) / 2
    return {node: (width * math.cos(math.pi * (1 - i / (n - 1))),
                   0.9 * width * math.sin(math.pi * i / (n - 1)))
            for i, node in enumerate(nodes)}


def _role(diagram: CellDiagram, node: str) -> str:
    return "input" if node in diagram.inputs else "output" if node == diagram.output else "node"


def _box_width(node: str) -> float:
    return 0.45 + 0.11 * len(node.replace("{", "").replace("}", ""))


def _box(pos, node: str, margin: float = 0.0) -> np.ndarray:
    """Corners of ``node``'s box (data units), grown by ``margin``."""
    (x, y), w, h = pos[node], _box_width(node) / 2 + margin, HEIGHT / 2 + margin
    return np.array([(x - w, y - h), (x + w, y - h), (x + w, y + h), (x - w, y + h)])


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two convex polygons (or segments: two points) given by their corners meet
    (separating axis theorem: they are apart iff their projections on some edge normal are)."""
    for poly in (a, b):
        for i in range(len(poly)):
            edge = poly[(i + 1) % len(poly)] - poly[i]
            normal = np.array([-edge[1], edge[0]])
            pa, pb = a @ normal, b @ normal
            if pa.max() < pb.min() or pb.max() < pa.min():
                return False
    return True


def _curve(p0, p1, bend: float) -> np.ndarray:
    """Start, control point and end of the quadratic Bezier curve matplotlib's ``arc3,rad=bend``
    draws from ``p0`` to ``p1`` (bend 0: the straight line)."""
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    d = p1 - p0
    return np.array([p0, (p0 + p1) / 2 + bend * np.array([d[1], -d[0]]), p1])


def _at(curve: np.ndarray, t: float) -> tuple[np.ndarray, float]:
    """The point at parameter ``t`` of a quadratic Bezier curve and its direction (radians)."""
    p0, c, p1 = curve
    point = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * c + t ** 2 * p1
    tangent = 2 * (1 - t) * (c - p0) + 2 * t * (p1 - c)
    return point, math.atan2(tangent[1], tangent[0])


def _polyline(curve: np.ndarray, pieces: int = 12) -> list[np.ndarray]:
    """The curve as ``pieces`` straight segments (one when it is straight)."""
    (ax, ay), (bx, by) = curve[1] - curve[0], curve[2] - curve[0]
    if abs(ax * by - ay * bx) < 1e-9:  # the control point on the chord
        return [curve[[0, 2]]]
    points = [_at(curve, i / pieces)[0] for i in range(pieces + 1)]
    return [np.array(points[i:i + 2]) for i in range(pieces)]


def _route(pos, src: str, dst: str) -> float:
    """The bend of edge src -> dst: 0 (straight) unless that line meets another node's box, else
    the least of ``BENDS`` that clears every box, bending away from the node in the way."""
    others = [_box(pos, n, 0.08) for n in pos if n not in (src, dst)]

    def meets(bend):
        return any(_overlap(seg, box) for seg in _polyline(_curve(pos[src], pos[dst], bend))
                   for box in others)

    if not meets(0.0):
        return 0.0
    for bend in BENDS:
        for signed in (bend, -bend):
            if not meets(signed):
                return signed
    return BENDS[-1]


def _label_box(center, width: float, height: float, angle: float) -> np.ndarray:
    """Corners of a ``width`` x ``height`` box centred at ``center``, rotated by ``angle``."""
    along = np.array([math.cos(angle), math.sin(angle)])
    across = np.array([-math.sin(angle), math.cos(angle)])
    return np.array([center + sx * width / 2 * along + sy * height / 2 * across
                     for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))])


def _place_labels(ax, diagram: CellDiagram, curves: dict, boxes: dict) -> None:
    """Write each edge's operation along it, beside it, where its box meets the fewest edges,
    node boxes and earlier labels (node boxes and labels weigh more than edges); the first spot
    of ``SPOTS`` (either side) that meets nothing wins. Works in display units: call it once the
    figure is laid out."""
    renderer = ax.figure.canvas.get_renderer()
    shown = {key: ax.transData.transform(curve) for key, curve in curves.items()}  # affine: exact
    segments = {key: _polyline(curve) for key, curve in shown.items()}
    solid = [np.array(box.get_window_extent(renderer).corners())[[0, 1, 3, 2]]
             for box in boxes.values()]
    frame = ax.get_window_extent(renderer)
    pad = LABEL_PAD * ax.figure.dpi / 72
    for src, dst, op in diagram.edges:
        if not op:
            continue
        box_style = {"boxstyle": f"square,pad={LABEL_PAD / LABEL_SIZE}", "fc": "white", "ec": "none"}
        text = ax.text(0, 0, op, fontsize=LABEL_SIZE, ha="center", va="center", zorder=5,
                       rotation_mode="anchor", bbox=box_style)
        text.set_in_layout(False)
        extent = text.get_window_extent(renderer)  # still unrotated: its own length and height
        width, height = extent.width + 2 * pad, extent.height + 2 * pad
        best = None
        # beside the edge first; where no spot there is clear, on it (hiding only its own edge)
        for side, t in [(side, t) for t in SPOTS for side in (1, -1)] + [(0, t) for t in SPOTS]:
            point, angle = _at(shown[(src, dst)], t)
            angle = (angle + math.pi / 2) % math.pi - math.pi / 2  # upright text
            across = np.array([-math.sin(angle), math.cos(angle)])
            center = point + side * (height / 2 + pad) * across
            corners = _label_box(center, width, height, angle)
            crossed = [seg for key, segs in segments.items() if side or key != (src, dst)
                       for seg in segs]
            cost = (sum(_overlap(corners, seg) for seg in crossed)
                    + 3 * sum(_overlap(corners, other) for other in solid)
                    + 3 * (corners[:, 0].min() < frame.x0 or corners[:, 0].max() > frame.x1
                           or corners[:, 1].min() < frame.y0 or corners[:, 1].max() > frame.y1))
            if best is None or cost < best[0]:
                best = (cost, center, angle)
            if cost == 0:
                break
        text.set_position(ax.transData.inverted().transform(best[1]))
        text.set_rotation(math.degrees(best[2]))
        # later labels keep a gap from this one, so two labels never read as one
        solid.append(_label_box(best[1], width + 4 * pad, height + 2 * pad, best[2]))


def draw_cell(ax, diagram: CellDiagram) -> dict:
    """Draw one cell on ``ax``: a box per node, an arrow per edge (bent where a straight one
    would cross a node), an unlabelled arrow from each ``concat`` node to the output. Returns
    what ``_place_labels`` needs to write the operations once the figure is laid out."""
    pos = _positions(diagram.nodes)
    boxes = {}
    for node, (x, y) in pos.items():
        width = _box_width(node)
        box = FancyBboxPatch((x - width / 2, y - HEIGHT / 2), width, HEIGHT,
                             boxstyle="round,pad=0.02,rounding_size=0.1",
                             fc=COLORS[_role(diagram, node)], ec="black", lw=0.8, zorder=3)
        ax.add_patch(box)
        ax.text(x, y, f"${node}$", ha="center", va="center", fontsize=9, zorder=4)
        boxes[node] = box
    curves = {}
    links = [(src, dst, "black") for src, dst, _ in diagram.edges]
    for src, dst, color in links + [(src, diagram.output, "0.55") for src in diagram.concat]:
        bend = _route(pos, src, dst)
        curves[(src, dst)] = _curve(pos[src], pos[dst], bend)
        ax.add_patch(FancyArrowPatch(pos[src], pos[dst], patchA=boxes[src], patchB=boxes[dst],
                                     connectionstyle=f"arc3,rad={bend}", arrowstyle="-|>",
                                     mutation_scale=8, color=color, lw=0.8, shrinkA=1, shrinkB=1,
                                     zorder=2))
    (x0, x1), (y0, y1) = _limits(pos)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.axis("off")
    return {"diagram": diagram, "curves": curves, "boxes": boxes}


def _limits(pos) -> tuple[tuple[float, float], tuple[float, float]]:
    xs, ys = [x for x, _ in pos.values()], [y for _, y in pos.values()]
    return (min(xs) - 0.8, max(xs) + 0.8), (min(ys) - 0.5, max(ys) + 0.5)


def _panel_size(diagrams: list[CellDiagram]) -> tuple[float, float]:
    """Inches of one panel: the largest cell at ``INCHES`` per data unit, plus its title."""
    spans = [[hi - lo for lo, hi in _limits(_positions(d.nodes))] for d in diagrams]
    return max(4.0, INCHES * max(w for w, _ in spans)), INCHES * max(h for _, h in spans) + 0.9


def _found_cells(spec: FigureSpec, files: list[str]) -> dict[str, dict]:
    """{run: genotype.json} of the figure's runs among ``files``, in ``spec.runs`` order."""
    found: dict[str, dict] = {}
    for path in sorted(files):
        genotype = json.loads(Path(path).read_text())
        if genotype["space"] != spec.space:
            raise ValueError(f"{spec.id}: {path} is a {genotype['space']} cell, not {spec.space}")
        if genotype["run"] in found:
            raise ValueError(f"{spec.id}: two genotypes of run {genotype['run']!r}; a cell figure "
                             "draws one per run (the first of its seeds)")
        found[genotype["run"]] = genotype
    shown = {run: found[run] for run in spec.runs if run in found}
    if not shown:
        raise ValueError(f"{spec.id}: none of its runs {list(spec.runs)} among the genotypes {files}")
    return shown


def _provenance(genotype: dict) -> str:
    """Which search's cell a panel draws: its seed, and for a selected cell (``selection.json``,
    ``analysis.selection``) how many searches it was selected from."""
    searches = genotype.get("selection", {}).get("searches")
    if searches:
        return f"seed {genotype['seed']}, selected of {len(searches)} search" + "es" * (len(searches) > 1)
    return f"seed {genotype['seed']}"


def plot_cells(spec: FigureSpec, files: list[str], out_prefix: str, note: str) -> None:
    """Write ``<out_prefix>.png`` and ``.pdf``: one panel per run and cell kind of ``spec.cells``
    (empty: every kind of the space), titled with the run, its seed and the cell's title."""
    space = registry.SPACES.get(spec.space)()
    found = _found_cells(spec, files)
    kinds = spec.cells or tuple(space.arch_shapes)
    unknown = [kind for kind in kinds if kind not in space.arch_shapes]
    if unknown:
        raise ValueError(f"{spec.id}: cells {unknown} are not cell kinds of {spec.space}; its "
                         f"kinds: {list(space.arch_shapes)}")
    cells = {run: space.cell_diagrams(space.from_string(g["arch"])) for run, g in found.items()}
    width, height = _panel_size([d[kind] for d in cells.values() for kind in kinds])
    fig, axes = plt.subplots(len(found), len(kinds), squeeze=False,
                             figsize=(width * len(kinds), height * len(found)))
    drawn = []
    for row, (run, genotype) in zip(axes, found.items()):
        diagrams = cells[run]
        for ax, kind in zip(row, kinds):
            drawn.append((ax, draw_cell(ax, diagrams[kind])))
            ax.set_title(f"{run} ({_provenance(genotype)}): {diagrams[kind].title}", fontsize=9)
    suptitle(fig, spec.title, fontsize=10)
    layout(fig, note)  # the axes' final places (then the equal aspect): labels go in display units
    for ax, parts in drawn:
        ax.apply_aspect()
        _place_labels(ax, **parts)
    save(fig, out_prefix, note)
