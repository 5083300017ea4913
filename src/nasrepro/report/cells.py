"""Cell diagrams (``FigureSpec`` kind ``cell``): the cells a run found, drawn like the DARTS
paper's cell figures (thesis Figs. 2.1, 3.3): boxes for nodes (cell inputs green, intermediate
nodes blue, the cell output yellow), arrows labelled with their operation, and unlabelled arrows
into an output that concatenates (or, in the recurrent cell, averages) nodes and for edges whose
operation is ``""``. Nodes and edges come from the space
(``SearchSpace.cell_diagrams``); matplotlib only draws them.

Layout: the nodes in topological order on a half ellipse, inputs at the left end and the output
at the right end. No three points of a convex curve are collinear, so no straight edge runs
through a node; every edge points to the right. Each operation label sits on its edge, as near
the middle as keeps it clear of earlier labels and of the nodes.

Input: one ``search/genotype.json`` per run (the workflow passes the first of the figure's seeds).
One panel per run (rows) and cell kind (columns).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from nasrepro import registry  # noqa: E402
from nasrepro.experiments.specs import FigureSpec  # noqa: E402
from nasrepro.report.figure import save, suptitle  # noqa: E402
from nasrepro.spaces.base import CellDiagram  # noqa: E402

COLORS = {"input": "#c1e1c1", "node": "#add8e6", "output": "#eee8aa"}  # the DARTS figures' colours
SPACING = 1.8  # distance between neighbouring nodes on the arc (data units; aspect is equal)
HEIGHT = 0.42  # node box height
LABEL_CHAR, LABEL_GAP = 0.1, 0.25  # an operation label's length per character, and its height


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


def _label_points(pos, src: str, dst: str, op: str, t: float) -> list[tuple[float, float]]:
    """Points along the label of ``op`` centred at fraction ``t`` of the edge src -> dst."""
    (x0, y0), (x1, y1) = pos[src], pos[dst]
    length = math.hypot(x1 - x0, y1 - y0)
    ux, uy, half = (x1 - x0) / length, (y1 - y0) / length, LABEL_CHAR * len(op) / 2
    cx, cy = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
    return [(cx + s * half * ux, cy + s * half * uy) for s in (-1, -0.5, 0, 0.5, 1)]


def _label_spots(diagram: CellDiagram, pos) -> list[float]:
    """Per edge, where along it its operation label goes: the fraction nearest the middle whose
    label keeps clear of the labels placed before it and of the node boxes (else the middle)."""
    placed: list[tuple[float, float]] = []
    spots = []
    for src, dst, op in diagram.edges:
        if not op:  # an unlabelled edge
            spots.append(0.5)
            continue
        for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.25, 0.75):
            points = _label_points(pos, src, dst, op, t)
            clear = all(math.dist(a, b) > LABEL_GAP for a in points for b in placed) and not any(
                abs(x - nx) < _box_width(n) / 2 and abs(y - ny) < HEIGHT / 2
                for x, y in points for n, (nx, ny) in pos.items())
            if clear:
                break
        else:
            t, points = 0.5, _label_points(pos, src, dst, op, 0.5)
        spots.append(t)
        placed += points
    return spots


def draw_cell(ax, diagram: CellDiagram) -> None:
    """Draw one cell on ``ax``: a box per node, an arrow per edge with its operation, an
    unlabelled arrow from each ``concat`` node to the output."""
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
    for (src, dst, op), t in zip(diagram.edges, _label_spots(diagram, pos)):
        _arrow(ax, pos, boxes, src, dst, "black")
        if not op:
            continue
        (x0, y0), (x1, y1) = pos[src], pos[dst]
        ax.text(x0 + t * (x1 - x0), y0 + t * (y1 - y0), op, fontsize=6, ha="center", va="center",
                rotation=math.degrees(math.atan2(y1 - y0, x1 - x0)), rotation_mode="anchor",
                zorder=5, bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none",
                                "alpha": 0.85})
    for src in diagram.concat:
        _arrow(ax, pos, boxes, src, diagram.output, "0.55")
    xs, ys = [x for x, _ in pos.values()], [y for _, y in pos.values()]
    ax.set_xlim(min(xs) - 0.8, max(xs) + 0.8)
    ax.set_ylim(min(ys) - 0.5, max(ys) + 0.5)
    ax.set_aspect("equal")
    ax.axis("off")


def _arrow(ax, pos, boxes, src: str, dst: str, color) -> None:
    ax.add_patch(FancyArrowPatch(pos[src], pos[dst], patchA=boxes[src], patchB=boxes[dst],
                                 arrowstyle="-|>", mutation_scale=8, color=color, lw=0.8,
                                 shrinkA=1, shrinkB=1, zorder=2))


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
    fig, axes = plt.subplots(len(found), len(kinds), figsize=(6.2 * len(kinds), 3.8 * len(found)),
                             squeeze=False)
    for row, (run, genotype) in zip(axes, found.items()):
        diagrams = space.cell_diagrams(space.from_string(genotype["arch"]))
        for ax, kind in zip(row, kinds):
            draw_cell(ax, diagrams[kind])
            ax.set_title(f"{run} (seed {genotype['seed']}): {diagrams[kind].title}", fontsize=9)
    suptitle(fig, spec.title, fontsize=10)
    save(fig, out_prefix, note)
