"""What the thesis' experiments are made of: tables (``TableSpec`` of ``Column``), figures
(``FigureSpec``) and ``register``, which files them (and named runs, ``runs.RunVariant``) in the
registries ``TABLES``, ``FIGURES`` and ``RUNS``. The chapters (``experiments.ch2`` ... ``ch6``)
declare the thesis' own.

A table is an id, a title, the space whose runs fill it, and its reproduced columns; its rows and
the thesis' own numbers are ``config/thesis_values/<id>.csv`` (columns ``row``, ``run`` and one
per column key; ``run`` names the run that fills the row, empty for rows only quoted; an optional
``<key>_run`` column names another run for that one cell, as in Tables 3.5-3.7 where each column
is a constraint strategy).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from nasrepro.experiments.runs import RunVariant
from nasrepro.params import hp
from nasrepro.registry import FIGURES, RUNS, TABLES

THESIS_VALUES = Path("config/thesis_values")


# Architecture columns a released genotype fills without any training (the parameters and
# multiply-adds of its evaluation network; spaces.darts_cnn.complexity): their fields, the targets
# with a published network size, and the spaces whose cells have one
ARCH_FIELDS = ("params_m", "madds_m")
ARCH_TARGETS = ("cifar10", "imagenet")
ARCH_SPACES = ("darts_cnn",)
GENOTYPE_TAG = "computed from the published genotype"
def size_key(target: str, overrides: dict) -> str:
    """The key of a released cell's counts at ``target``'s evaluation size with a row's network
    ``overrides`` (``RunVariant.eval_params``), e.g. "imagenet C=52"; no overrides: ``target``."""
    return " ".join([target, *(f"{k}={v}" for k, v in sorted(overrides.items()))])


def row_sizes(root: Path = Path(".")) -> list[tuple[str, str, dict]]:
    """(released cell, target, overrides) of every table row that names a released cell
    (``TableSpec.from_genotype``) and whose run has its own network for an architecture column's
    target (``RunVariant.eval_params``): the counts the genotype-complexity file holds beside the
    papers' sizes (e.g. NSAS at ImageNet C = 52, Table 3.2)."""
    sizes = []
    for name in TABLES.names():
        spec = TABLES.get(name)
        for row in spec.rows(root):
            cell, run = row.get("genotype"), row["run"]
            if not cell or run not in RUNS:
                continue
            for column in spec.genotype_columns:
                overrides = RUNS.get(run).eval_overrides(spec.space, column.target)
                if overrides and (cell, column.target, overrides) not in sizes:
                    sizes.append((cell, column.target, overrides))
    return sizes


# The evaluation-network settings a table of the space names per row (its "Evaluation network
# [ours]" column: which network produced the row; ``RunVariant.eval_params``)
NET_KEYS = {"darts_cnn": ("C", "layers")}

# The thesis' protocol for a DARTS-space row (§3.4.2, §4.4.2; Table 3.1's note; Table 2.1's
# "best found structure from 10 independent search experiments"): search with several seeds,
# retrain each found cell, select the cell whose retraining scores best on held-out data (here a
# held-out retraining of its own: ``SelectionProtocol``, ``data.protocols.HELDOUT``), retrain it
# with 3 seeds, report mean ± std.
# The spaces whose tables and cell figures follow it; the other spaces' rows are the mean over the
# searches (NAS-Bench-201, NAS-Bench-1Shot1: "4 independent times", Table 3.3's note).
SELECTION_SPACES = ("darts_cnn",)
# The spaces whose tables get a random-sampling row and RI columns (issue #29 item 1; rule
# space_mean, analysis.space_mean): a benchmark table, or uniformly sampled probe cells, averages
# the space; in the SAMPLED_SPACES (no benchmark table exists) K uniformly sampled genotypes
# (pseudo-runs sampled-<k>, ``RandomSampling``), each retrained like the rows' cells
RANDOM_SAMPLING_SPACES = ("nb201", "darts_cnn", "darts_rnn")
SAMPLED_SPACES = ("darts_cnn", "darts_rnn")
# The spaces whose tables also get a budget-matched random search by lookup (issue #29 item 1;
# ``TableSpec.budget_run``, rule random_search, analysis.random_search): a lookup table exists
RANDOM_SEARCH_SPACES = ("nb201",)
SELECTED_TAG = "selected cell"  # our column under the protocol
ACROSS_TAG = "across searches"  # the additional column: each search's cell retrained once
ACROSS_SUFFIX = "_searches"     # its row key: <column key>_searches


@dataclass
class SelectionProtocol:
    """``selected_cell:`` in a profile: how long each search's held-out retraining runs and how
    many retrainings the selected cell gets.

    The thesis retrains the searched cells "to pick the best architectures based on retraining
    validation performance" (§3.4.2) "following DARTS's experimental setting in [95]", and says no
    more; DARTS [95] (§3.2, architecture evaluation) picks "the best cell based on its validation
    performance obtained by training from scratch for a short period (100 epochs on CIFAR-10)".
    **Choice:** ``epochs`` 100, DARTS' short period; the held-out data is
    ``data.protocols.HELDOUT`` (the search's own training / validation halves), since DARTS'
    ``train.py`` scores the test set."""

    retrainings: int = hp(3, 1, doc="retraining seeds of the selected cell, its search's own "
                                    "retraining included (Table 3.1's note: 3 random seeds)")
    epochs: int | None = hp(100, 1, doc="epochs of each search's held-out retraining, the score "
                                        "that selects (DARTS [95] §3.2: 100 on CIFAR-10); null: "
                                        "the retraining's own")


TABLE_TARGETS, SEARCH_TARGET = "tables", "search"  # RandomSampling.targets


@dataclass
class RandomSampling:
    """``random_sampling:`` in a profile: the random-sampling row of the DARTS-space tables
    (``SAMPLED_SPACES``; issue #29 item 1, Yang et al., ICLR 2020: "compare every method with
    random sampling of its own space under the same training protocol"). Not a thesis quantity.
    ``cells`` genotypes K are drawn uniformly and independently (``analysis.space_mean.
    sample_cells``: cell k is the k-th draw of one stream seeded with ``seed``, so a smaller K is
    a prefix of a larger one), each retrained once (seed 0) by the evaluate rule with the
    protocol of the tables' rows on every target of the space's tables (``targets: tables``) or
    on its search dataset only (``targets: search``, the default profile: the other datasets'
    cells of the row stay empty, as in its NAS-Bench-201 row); the row is their mean ± std.
    **Choice:** K = 8 (issue #29: the thesis profile); Yang et al. average 214."""

    cells: int = hp(8, 1, doc="K: uniformly sampled genotypes per DARTS space (issue #29: 8)")
    seed: int = hp(0, 0, doc="the seed of the draw (the genotypes are recorded in the row)")
    targets: str = hp(TABLE_TARGETS, choices=(TABLE_TARGETS, SEARCH_TARGET),
                      doc="where the sampled cells are retrained: every target of the space's "
                          "tables, or its search dataset only")


@dataclass
class RandomSearch:
    """``random_search:`` in a profile: the budget-matched random-search row of the NAS-Bench-201
    tables (issue #29; ``analysis.random_search``). Its budget is the matched search's measured
    time times ``budget_scale``. At 1 (the default and the thesis profile) the budget is the
    search's time as measured. A profile whose searches are cut short (the rehearsal: 2 batches an
    epoch, one epoch) measures a time far below one lookup's simulated time, so no cell would be
    drawn and the row's incumbent, lookup and report would not run: such a profile scales the
    budget and the row's label says by how much. Not a thesis quantity."""

    budget_scale: float = hp(1.0, 0.0, low_open=True,
                             doc="the budget: the matched search's measured time times this")


SOURCES = ("eval", "tau", "s_tau", "search_cost", "search_seconds", "search_ratio", "memory",
           "thesis", "space", "log")
SPACE_TAG = "computed from the space"
LOG_TAG = "author's retraining log"
# the sources with one value per seed (the others: one per run)
PER_SEED = ("eval", "tau", "search_cost", "search_seconds", "search_ratio")


@dataclass(frozen=True)
class Column:
    """A column of the thesis and, beside it, ours: mean ± std over seeds (one seed: the value
    alone). ``label`` is the thesis' header; ``ours`` the header of our column where it measures
    in another unit or another quantity (default: ``label``); ``digits`` decimals, or
    ``significant`` figures where set (a wall time or a parameter count spans magnitudes).
    ``source``:

    - ``eval``: ``field`` of ``eval/<target>/final.json``; ``error`` turns an accuracy into an
      error rate (100 - x);
    - ``tau``: Kendall tau between the run's inherited-weight scores of the probe cells after the
      search and their ground truth (``valid_acc`` of the probe runs evaluated on ``target``);
    - ``s_tau``: the stability of those rankings over the seeds (one value per run, §2.4.4);
    - ``search_cost``: the search's wall time in days (``search/run.json``; GPU-days on a GPU);
    - ``search_seconds``: the search's wall time in seconds (``search/run.json``, Table 4.5);
    - ``search_ratio``: that wall time divided by the mean wall time of the run named ``field``
      over its seeds (Table 4.5: the ratio to GDAS);
    - ``memory``: what a search step keeps in memory: "single path" or "whole supernet";
    - ``thesis``: the thesis' value alone, nothing of ours (a quantity the pipeline does not
      measure);
    - ``space``: ``field`` of the search space the row names (CSV column ``space``), computed from
      the space itself (``analysis.space_summary``, rule space_summary; Table 1.1);
    - ``log``: a reference value from the CSV alone, like ``thesis``, but read from the thesis
      author's released retraining log (headed ``[author's retraining log]``; docs/methods.md
      names each log), e.g. the final-epoch test error of Table 4.6's own cells.
    """

    key: str
    label: str
    target: str
    field: str = ""
    error: bool = False
    source: str = "eval"
    digits: int = 2
    significant: int = 0
    ours: str = ""

    def __post_init__(self):
        if self.source not in SOURCES:
            raise ValueError(f"column {self.key}: unknown source {self.source!r}; use one of {SOURCES}")

    @property
    def lower_is_better(self) -> bool:
        """Whether a smaller value is better: an error rate or a perplexity (RI's sign)."""
        return self.error or self.field.endswith("_ppl")

    @property
    def ours_label(self) -> str:
        return self.ours or self.label

    @property
    def reproduced(self) -> bool:
        """Whether the table has our column beside the thesis' (not a ``thesis`` column)."""
        return self.source not in ("thesis", "log")

    @property
    def thesis_tag(self) -> str:
        """The tag of the CSV's (not reproduced) cell: "thesis", or the author's log."""
        return LOG_TAG if self.source == "log" else "thesis"

    @property
    def on_data(self) -> bool:
        """Whether our numbers depend on the target's data (the memory kind does not)."""
        return self.source not in ("memory", "thesis", "space", "log")

    @property
    def needs_search(self) -> bool:
        return self.source not in ("eval", "thesis", "space", "log")

    @property
    def needs_probes(self) -> bool:
        return self.source in ("tau", "s_tau")


@dataclass(frozen=True)
class TableSpec:
    """``budget_run``: in a ``RANDOM_SEARCH_SPACES`` table with the random-sampling row, the run
    whose measured search time (seed for seed) is the budget of the table's row "Random search
    (budget-matched ...)" (issue #29, ``analysis.random_search``). **Choice:** the thesis' own
    method of the table (EN²AS, GDAS-NSAS, RandomNAS-NSAS, E²NAS, BaLeNAS, iDARTS; Table 4.2,
    whose E²NAS rows are gamma ablations, GDAS), one row per table: matching every row's own
    time would add a search per row and seed."""

    id: str
    title: str
    space: str
    columns: tuple[Column, ...]
    budget_run: str = ""

    def thesis_csv(self, root: Path = Path(".")) -> Path:
        return root / THESIS_VALUES / f"{self.id}.csv"

    def rows(self, root: Path = Path(".")) -> list[dict]:
        """The rows of the thesis' CSV."""
        with open(self.thesis_csv(root), newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    def runs(self, root: Path = Path(".")) -> list[str]:
        """Every run that fills a cell: the rows' runs and the per-cell ``<key>_run`` runs."""
        rows = self.rows(root)
        cells = [row.get(f"{c.key}_run") or row["run"] for row in rows for c in self.columns]
        return list(dict.fromkeys(run for run in [row["run"] for row in rows] + cells if run))

    def from_genotype(self, column: Column) -> bool:
        """Whether ``column`` also has a cell computed from a row's released genotype (CSV column
        ``genotype``: a cell of ``spaces.darts_cnn.genotypes.ALL``), beside the thesis' and ours."""
        return (self.space in ARCH_SPACES and column.source == "eval"
                and column.field in ARCH_FIELDS and column.target in ARCH_TARGETS)

    @property
    def net_keys(self) -> tuple[str, ...]:
        """The network settings its rows name (``NET_KEYS``; none: no such column)."""
        return NET_KEYS.get(self.space, ())

    @property
    def genotype_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if self.from_genotype(c))

    @property
    def space_columns(self) -> tuple[Column, ...]:
        """The columns computed from the rows' search spaces (Table 1.1)."""
        return tuple(c for c in self.columns if c.source == "space")

    def targets(self) -> list[str]:
        return sorted({c.target for c in self.columns if c.source == "eval"})

    @property
    def needs_search(self) -> bool:
        return any(c.needs_search for c in self.columns)

    @property
    def random_row(self) -> bool:
        """Whether the table has the random-sampling row: a ``RANDOM_SAMPLING_SPACES`` table
        with an evaluated column (not Table 1.1, computed from the spaces, nor Table 4.5, search
        times only: the row would be empty)."""
        return self.space in RANDOM_SAMPLING_SPACES and any(c.source == "eval"
                                                            for c in self.columns)

    @property
    def random_search(self) -> bool:
        """Whether the table has the budget-matched random-search row (``budget_run``)."""
        return self.random_row and self.space in RANDOM_SEARCH_SPACES and bool(self.budget_run)

    @property
    def selects(self) -> bool:
        """Whether a row of a searched run is the selected cell's (``SELECTION_SPACES``)."""
        return self.space in SELECTION_SPACES

    def across(self, column: Column) -> bool:
        """Whether ``column`` has the additional across-searches cell: an evaluated quantity of a
        selecting table that varies with the training (not the cell's params or multiply-adds)."""
        return self.selects and column.source == "eval" and column.field not in ARCH_FIELDS

    @property
    def probe_target(self) -> str | None:
        """The target whose ground truth the ranking columns compare with (None: no ranking)."""
        return next((c.target for c in self.columns if c.needs_probes), None)


FIGURE_KINDS = ("search_curves", "forgetting", "ranking", "tau_curves", "rank_scatter",
                "epoch_stats", "sweep", "cell", "regret", "gamma_schedule")
PROBE_KINDS = ("forgetting", "ranking", "tau_curves", "rank_scatter")


@dataclass(frozen=True)
class FigureSpec:
    """A figure of ``runs`` on ``space``; ``kind`` (``report.figure`` and ``report.analysis``):

    - ``search_curves``: ``derived_valid`` per search epoch, mean ± std over seeds;
    - ``forgetting``: (a) validation score of the cell trained at each step, (b) inherited-weight
      score of fixed probe cells per epoch (Fig. 2.2); with ``retrained`` one panel per run with
      the probe cells' retraining curves dashed ("Arch-R", Figs. 3.1 right, 3.4; cells looked up
      in a benchmark have one value each: a dashed level line, and the panel says so);
    - ``ranking``: (a) Kendall tau per run, (b) retrained validation score of the found cells
      (Figs. 2.3, 3.6 b);
    - ``tau_curves``: Kendall tau per search epoch (Fig. 3.5);
    - ``rank_scatter``: supernet rank against ground-truth rank of the probe cells (Fig. 3.6 a);
    - ``epoch_stats``: per-epoch search statistics ``keys`` (``depth``, ``skip_ratio``,
      ``hessian_eig``), with ``curve_targets`` also the found cells' retraining curve on the first
      of them the profile evaluates (Figs. 5.4-5.6; ``report.trajectories``);
    - ``sweep``: test accuracy of the found cell against a hyperparameter, one panel per
      ``sweeps`` entry (label, ((value, run), ...)) (Fig. 6.2); ``keys`` names the fields of
      ``final.json`` drawn (default ``test_acc``; Fig. 4.4 a: ``valid_acc`` and ``test_acc``);
      with ``overlay`` every entry is a line of one panel (x axis ``values_label``; Fig. 4.4 a),
      and entries whose runs the profile does not build are left out;
    - ``gamma_schedule``: E²NAS' Sig_gamma(b) of Eq. 4.16 against the epoch for each b of
      ``values`` (Fig. 4.3); no runs, drawn from ``methods.parts.latent_novelty.sigmoid_gamma``;
    - ``cell``: diagrams of the cells found by each run: on a ``SELECTION_SPACES`` space the cell
      selected over the figure's seeds (``selects``), elsewhere the first seed's
      (``search/genotype.json``), one panel per run and cell kind of ``cells`` (empty: every
      cell kind of the space; e.g. ``("normal",)``) (Figs. 2.1, 3.3; ``report.cells``);
    - ``regret``: validation error and test regret per search epoch of the derived cell looked up
      in NAS-Bench-101, one row per space of ``spaces``, two panels per group of runs of
      ``groups`` (label, runs) (Figs. 5.2, 6.1, 6.4; ``report.regret``).
    """

    id: str
    title: str
    space: str
    runs: tuple[str, ...]
    kind: str = "search_curves"
    probes_shown: int = 4
    retrained: bool = False
    keys: tuple[str, ...] = ()
    curve_targets: tuple[str, ...] = ()
    sweeps: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    cells: tuple[str, ...] = ()
    spaces: tuple[str, ...] = ()
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    values: tuple[float, ...] = ()
    overlay: bool = False
    values_label: str = ""

    def __post_init__(self):
        if self.kind not in FIGURE_KINDS:
            raise ValueError(f"figure {self.id}: unknown kind {self.kind!r}; use one of {FIGURE_KINDS}")

    @property
    def needs_probes(self) -> bool:
        return self.kind in PROBE_KINDS

    @property
    def needs_found_cells(self) -> bool:
        """Whether it reads the found cells' evaluation on the search dataset."""
        return self.kind in PROBE_KINDS or self.kind == "sweep"

    @property
    def search_file(self) -> str:
        """The file of each search it reads: the found cell, or the per-epoch records."""
        return "genotype.json" if self.kind == "cell" else "metrics.jsonl"

    @property
    def selects(self) -> bool:
        """Whether it draws each run's selected cell (a cell figure on a ``SELECTION_SPACES``
        space: the cell its tables report, selected over the figure's seeds)."""
        return self.kind == "cell" and self.space in SELECTION_SPACES

    @property
    def first_seed_only(self) -> bool:
        """Whether it reads only the first of its seeds (a cell figure elsewhere draws the cell
        found with its first seed)."""
        return self.kind == "cell" and not self.selects


def register(*items: TableSpec | FigureSpec | RunVariant) -> None:
    """File each table, figure or named run in its registry under its id (name)."""
    for item in items:
        if isinstance(item, TableSpec):
            TABLES.register(item.id)(item)
        elif isinstance(item, FigureSpec):
            FIGURES.register(item.id)(item)
        else:
            RUNS.register(item.name)(item)
