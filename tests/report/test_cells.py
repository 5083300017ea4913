"""Cell diagrams (Figs. 2.1, 3.3; ``FigureSpec`` kind ``cell``): the spaces' ``cell_diagrams``
against hand-written cells, the drawing (PNG and PDF, byte-identical on a rerun), the registered
cell figures, and the workflow plan of one cell figure (a dry run)."""

import json
import random
import re

import pytest
import yaml
from matplotlib.image import imread

from nasrepro.profile import select
from nasrepro.registry import FIGURES, RUNS, SPACES
from nasrepro.experiments.specs import FigureSpec
from nasrepro.report.cells import plot_cells
from tests.computed import ROOT, clean_copy, job_counts, snakemake

DARTS_NORMAL = [("sep_conv_3x3", 0), ("sep_conv_5x5", 1), ("skip_connect", 0), ("dil_conv_3x3", 2),
                ("max_pool_3x3", 1), ("avg_pool_3x3", 3), ("sep_conv_3x3", 2), ("dil_conv_5x5", 4)]
DARTS_REDUCE = [("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
                ("avg_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("max_pool_3x3", 1)]
DARTS_ARCH = (f"Genotype(normal={DARTS_NORMAL}, normal_concat=range(2, 6), reduce={DARTS_REDUCE}, "
              "reduce_concat=range(2, 6))")
NB201_ARCH = "|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_1x1~2|"
CELL_FIGURES = [name for name in FIGURES.names() if FIGURES.get(name).kind == "cell"]


def test_darts_cell_diagram_is_the_genotype():
    space = SPACES.get("darts_cnn")()
    diagrams = space.cell_diagrams(space.from_string(DARTS_ARCH))
    assert list(diagrams) == ["normal", "reduce"]
    normal = diagrams["normal"]
    assert normal.nodes == ("c_{k-2}", "c_{k-1}", "0", "1", "2", "3", "c_{k}")
    assert normal.inputs == ("c_{k-2}", "c_{k-1}") and normal.output == "c_{k}"
    assert normal.concat == ("0", "1", "2", "3")
    assert sorted(normal.edges) == sorted([
        ("c_{k-2}", "0", "sep_conv_3x3"), ("c_{k-1}", "0", "sep_conv_5x5"),
        ("c_{k-2}", "1", "skip_connect"), ("0", "1", "dil_conv_3x3"),
        ("c_{k-1}", "2", "max_pool_3x3"), ("1", "2", "avg_pool_3x3"),
        ("0", "3", "sep_conv_3x3"), ("2", "3", "dil_conv_5x5")])
    for diagram, genes in ((normal, DARTS_NORMAL), (diagrams["reduce"], DARTS_REDUCE)):
        assert len(diagram.edges) == 8
        assert all([dst for _, dst, _ in diagram.edges].count(node) == 2 for node in diagram.concat)
        assert sorted(op for _, _, op in diagram.edges) == sorted(op for op, _ in genes)
    assert (normal.title, diagrams["reduce"].title) == ("normal cell", "reduction cell")


def test_nb201_cell_diagram_leaves_out_none_edges():
    space = SPACES.get("nb201")()
    (name, diagram), = space.cell_diagrams(space.from_string(NB201_ARCH)).items()
    assert name == "cell" and diagram.title == "cell"
    assert diagram.nodes == ("0", "1", "2", "3") and diagram.inputs == ("0",)
    assert diagram.output == "3" and diagram.concat == ()
    assert sorted(diagram.edges) == sorted([("0", "1", "nor_conv_3x3"), ("1", "2", "avg_pool_3x3"),
                                            ("0", "3", "skip_connect"), ("2", "3", "nor_conv_1x1")])
    empty = space.cell_diagrams(space.from_string("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"))
    assert empty["cell"].edges == () and empty["cell"].nodes == ("0", "1", "2", "3")


@pytest.mark.parametrize("space_name", SPACES.names())
def test_cell_diagrams_follow_node_inputs(space_name):
    """For any space that draws cells: one diagram per cell kind; its labelled edges are the
    cell's non-``none`` input edges, between known nodes, from an earlier node to a later one. A space
    that draws none says so."""
    space = SPACES.get(space_name)()
    for seed in range(5):
        arch = space.sample(random.Random(seed))
        try:
            diagrams = space.cell_diagrams(arch)
        except ValueError as error:
            assert "draws no cell diagrams" in str(error)
            return
        assert list(diagrams) == list(space.arch_shapes)
        inputs = space.node_inputs(arch)
        for kind, diagram in diagrams.items():
            order = {node: i for i, node in enumerate(diagram.nodes)}
            assert all(op != "none" and order[src] < order[dst] for src, dst, op in diagram.edges)
            assert set(diagram.inputs) | {diagram.output} | set(diagram.concat) <= set(order)
            wanted = sorted(op for key, edges in inputs.items() if key.split("/")[0] == kind
                            for _, op in edges if op != "none")
            # unlabelled edges are structural (the RNN's x_t, h_{t-1} -> node 0), not cell choices
            assert sorted(op for _, _, op in diagram.edges if op) == wanted


def _genotype(path, space, run, seed, arch):
    path.write_text(json.dumps({"space": space, "dataset": "cifar10", "run": run, "method": run,
                                "seed": seed, "arch": arch}))
    return str(path)


@pytest.mark.parametrize("space_name,arch", [("darts_cnn", DARTS_ARCH), ("nb201", NB201_ARCH)])
def test_cell_figure_is_written_and_deterministic(space_name, arch, tmp_path):
    spec = FigureSpec("cells", "Cells", space_name, ("gdas", "en2as"), kind="cell")
    files = [_genotype(tmp_path / f"{run}.json", space_name, run, 0, arch) for run in spec.runs]
    plot_cells(spec, files, str(tmp_path / "a"), "note: stand-in data")
    plot_cells(spec, files[::-1], str(tmp_path / "b"), "note: stand-in data")
    for ext in ("png", "pdf"):
        first = (tmp_path / f"a.{ext}").read_bytes()
        assert first and first == (tmp_path / f"b.{ext}").read_bytes()


def test_cell_figure_shows_only_the_chosen_cell_kinds(tmp_path):
    files = [_genotype(tmp_path / "g.json", "darts_cnn", "en2as", 0, DARTS_ARCH)]
    both = FigureSpec("both", "Both", "darts_cnn", ("en2as",), kind="cell")
    normal = FigureSpec("normal", "Normal", "darts_cnn", ("en2as",), kind="cell", cells=("normal",))
    plot_cells(both, files, str(tmp_path / "both"), "")
    plot_cells(normal, files, str(tmp_path / "normal"), "")
    assert imread(tmp_path / "normal.png").shape[1] < imread(tmp_path / "both.png").shape[1]


def test_cell_figure_errors_name_the_problem(tmp_path):
    darts = [_genotype(tmp_path / "g.json", "darts_cnn", "en2as", 0, DARTS_ARCH)]
    with pytest.raises(ValueError, match="not cell kinds of darts_cnn"):
        plot_cells(FigureSpec("f", "F", "darts_cnn", ("en2as",), kind="cell", cells=("cell",)),
                   darts, str(tmp_path / "f"), "")
    with pytest.raises(ValueError, match="not nb201"):
        plot_cells(FigureSpec("f", "F", "nb201", ("en2as",), kind="cell"), darts, str(tmp_path / "f"), "")
    with pytest.raises(ValueError, match="none of its runs"):
        plot_cells(FigureSpec("f", "F", "darts_cnn", ("gdas",), kind="cell"), darts, str(tmp_path / "f"), "")
    twice = darts + [_genotype(tmp_path / "h.json", "darts_cnn", "en2as", 1, DARTS_ARCH)]
    with pytest.raises(ValueError, match="two genotypes of run 'en2as'"):
        plot_cells(FigureSpec("f", "F", "darts_cnn", ("en2as",), kind="cell"), twice, str(tmp_path / "f"), "")


@pytest.mark.parametrize("figure", CELL_FIGURES)
def test_registered_cell_figures_name_runs_and_cell_kinds_that_exist(figure):
    spec = FIGURES.get(figure)
    space = SPACES.get(spec.space)()
    assert all(run in RUNS for run in spec.runs)
    assert set(spec.cells) <= set(space.cell_diagrams(space.sample(random.Random(0))))
    assert spec.search_file == "genotype.json" and not spec.needs_probes and not spec.needs_found_cells


@pytest.mark.parametrize("profile", ["config.yaml", "thesis.yaml"])
def test_cell_figures_read_the_first_seed_or_select_over_all(profile):
    """A DARTS-space cell figure draws the cell selected over all its seeds (the cell its tables
    report, issue 30 item 1); the recurrent cell figure the first seed's."""
    config = yaml.safe_load((ROOT / "config" / profile).read_text())
    assert {"fig_2_1", "fig_3_3", "fig_2_1c"} <= set(config["figures"])
    assert select.figure_seeds(config, "fig_2_1") == select.item_seeds(config, "figures", "fig_2_1")
    assert select.figure_seeds(config, "fig_2_1c") == [0]
    assert select.figure_seeds(config, "fig_3_5") == select.item_seeds(config, "figures", "fig_3_5")


@pytest.mark.slow
def test_cell_figure_plans_only_its_search(tmp_path):
    """`snakemake -n results/default/figures/fig_2_1.png`: one search (EN²AS, DARTS space, seed 0,
    the search Table 2.1 also reads), the selection over that one search (no retraining: nothing
    to select) and the figure, which reads the selected cell."""
    out = snakemake("-n", "-p", "--cores", "2", "results/default/figures/fig_2_1.png",
                    cwd=clean_copy(tmp_path))
    assert out.returncode == 0, out.stderr
    counts = job_counts(out.stdout)
    assert counts["search"] == 1 and counts["select_cell"] == 1 and counts["figure"] == 1
    assert "evaluate" not in counts
    search, = [json.loads(m) for m in re.findall(r"nasrepro --log \S+ search --spec '(\{.*?\})'", out.stdout)]
    assert (search["space"], search["run"], search["seed"]) == ("darts_cnn", "en2as", 0)
    chosen = "results/default/runs/darts_cnn/cifar10/en2as-selected/selection.json"
    assert chosen in re.search(r"nasrepro --log \S+ figure .*", out.stdout).group(0)
    assert ("select-cell --genotypes results/default/runs/darts_cnn/cifar10/en2as/seed0/search/"
            "genotype.json --field valid_acc --out " + chosen) in out.stdout


def _label_contacts(monkeypatch, space_name: str, arch: str, tmp_path) -> list[dict[str, int]]:
    """Per panel of the cell figure of ``arch``, how many operation labels meet an edge, a node
    box or another label, measured on what matplotlib draws (the labels' bbox patches, the
    arrows' paths, the node boxes in display coordinates), not on the placement's own sums."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path

    from nasrepro.report import cells

    panels = []

    def inspect(fig, out_prefix, note):
        fig.canvas.draw()
        for ax in fig.axes:
            labels = [t.get_bbox_patch() for t in ax.texts if t.get_bbox_patch() is not None]
            labels = [p.get_path().transformed(p.get_transform()) for p in labels]
            arrows = [Path(line) for a in ax.patches if isinstance(a, FancyArrowPatch)
                      for line in a.get_path().transformed(ax.transData).to_polygons(closed_only=False)]
            nodes = [b.get_path().transformed(b.get_transform()) for b in ax.patches
                     if isinstance(b, FancyBboxPatch)]
            panels.append({
                "labels": len(labels),
                "edges": sum(any(lab.intersects_path(a, filled=False) for a in arrows) for lab in labels),
                "nodes": sum(lab.intersects_path(n, filled=True) for lab in labels for n in nodes),
                "labels_met": sum(a.intersects_path(b, filled=True)
                                  for i, a in enumerate(labels) for b in labels[i + 1:])})

    monkeypatch.setattr(cells, "save", inspect)
    spec = FigureSpec("cells", "Cells", space_name, ("en2as",), kind="cell")
    plot_cells(spec, [_genotype(tmp_path / "g.json", space_name, "en2as", 0, arch)], "unused", "note")
    return panels


CANONICAL = [("darts_cnn", DARTS_ARCH), ("nb201", NB201_ARCH),
             *(("darts_rnn", SPACES.get("darts_rnn")().to_string(cell))
               for cell in SPACES.get("darts_rnn")().published.values())]


@pytest.mark.parametrize("space_name,arch", CANONICAL + [
    (name, f"sample-{seed}") for name in ("darts_cnn", "darts_rnn") for seed in range(3)])
def test_operation_labels_keep_clear_of_edges_nodes_and_each_other(monkeypatch, space_name, arch,
                                                                   tmp_path):
    """Issue 22, item 7: Fig. 2.1's labels sat on their edges, over other edges. Each label now
    runs beside its edge and meets no node and no other label; only where no spot along a
    crowded edge is clear may it cross one other edge (under its white box: DARTS V2's normal
    cell, where c_{k-2} -> 1 and c_{k-2} -> 0 cross c_{k-1} -> 2 all along). Labels centred on
    their edges, as before, cross every panel's edges eight times."""
    space = SPACES.get(space_name)()
    if arch.startswith("sample-"):
        arch = space.to_string(space.sample(random.Random(int(arch.split("-")[1]))))
    panels = _label_contacts(monkeypatch, space_name, space.to_string(space.from_string(arch)),
                             tmp_path)
    assert panels and all(p["labels"] for p in panels)
    assert all(p["nodes"] == p["labels_met"] == 0 and p["edges"] <= 1 for p in panels), panels
    if space_name != "darts_cnn":
        assert all(p["edges"] == 0 for p in panels), panels
