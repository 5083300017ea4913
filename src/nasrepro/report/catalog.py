"""The thesis tables and figures the pipeline regenerates (``TABLES``, ``FIGURES``).

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

from nasrepro.registry import FIGURES, TABLES
from nasrepro.sweeps import E2NAS_EPSILONS, IDARTS_SWEEPS, idarts_run, replay_run

THESIS_VALUES = Path("config/thesis_values")


SOURCES = ("eval", "tau", "s_tau", "search_cost", "search_seconds", "search_ratio", "memory")


@dataclass(frozen=True)
class Column:
    """A reproduced column, mean ± std over seeds. ``source``:

    - ``eval``: ``field`` of ``eval/<target>/final.json``; ``error`` turns an accuracy into an
      error rate (100 - x);
    - ``tau``: Kendall tau between the run's inherited-weight scores of the probe cells after the
      search and their ground truth (``valid_acc`` of the probe runs evaluated on ``target``);
    - ``s_tau``: the stability of those rankings over the seeds (one value per run, §2.4.4);
    - ``search_cost``: the search's wall time in days (``search/run.json``; GPU-days on a GPU);
    - ``search_seconds``: the search's wall time in seconds (``search/run.json``, Table 4.5);
    - ``search_ratio``: that wall time divided by the mean wall time of the run named ``field``
      over its seeds (Table 4.5: the ratio to GDAS);
    - ``memory``: what a search step keeps in memory: "single path" or "whole supernet".
    """

    key: str
    label: str
    target: str
    field: str = ""
    error: bool = False
    source: str = "eval"
    digits: int = 2

    def __post_init__(self):
        if self.source not in SOURCES:
            raise ValueError(f"column {self.key}: unknown source {self.source!r}; use one of {SOURCES}")

    @property
    def needs_search(self) -> bool:
        return self.source != "eval"

    @property
    def needs_probes(self) -> bool:
        return self.source in ("tau", "s_tau")


@dataclass(frozen=True)
class TableSpec:
    id: str
    title: str
    space: str
    columns: tuple[Column, ...]

    def thesis_csv(self, root: Path = Path(".")) -> Path:
        return root / THESIS_VALUES / f"{self.id}.csv"

    def runs(self, root: Path = Path(".")) -> list[str]:
        """Every run that fills a cell: the rows' runs and the per-cell ``<key>_run`` runs."""
        with open(self.thesis_csv(root), newline="") as handle:
            rows = list(csv.DictReader(handle))
        cells = [row.get(f"{c.key}_run") or row["run"] for row in rows for c in self.columns]
        return list(dict.fromkeys(run for run in [row["run"] for row in rows] + cells if run))

    def targets(self) -> list[str]:
        return sorted({c.target for c in self.columns if c.source == "eval"})

    @property
    def needs_search(self) -> bool:
        return any(c.needs_search for c in self.columns)

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
      the probe cells' retraining curves dashed ("Arch-R", Figs. 3.1 right, 3.4);
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
    - ``cell``: diagrams of the cells found by each run with the first of the figure's seeds
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
    def first_seed_only(self) -> bool:
        """Whether it reads only the first of its seeds (a cell figure draws one cell per run)."""
        return self.kind == "cell"


def _register_table(spec: TableSpec) -> None:
    TABLES.register(spec.id)(spec)


NB201_TARGETS = (("cifar10", "CIFAR-10"), ("cifar100", "CIFAR-100"), ("ImageNet16-120", "ImageNet16-120"))

NB201_COLUMNS = tuple(Column(f"{t}_{split}", f"{label} {split.title()} (%)", t, f"{split}_acc")
                      for t, label in NB201_TARGETS for split in ("valid", "test"))

_register_table(TableSpec(
    "table_6_1", "Table 6.1: Comparison results with NAS baselines on NAS-Bench-201.", "nb201",
    NB201_COLUMNS))

_register_table(TableSpec(
    "table_5_2", "Table 5.2: Comparison results with different MCMC number for BaLeNAS on "
    "NAS-Bench-201.", "nb201", NB201_COLUMNS))
_register_table(TableSpec(
    "table_6_3", "Table 6.3: Ablation study on K for iDARTS on NAS-Bench-201.", "nb201",
    NB201_COLUMNS))

_SEARCH_COST = Column("search_cost", "Search cost (days; GPU-days on a GPU)", "cifar10",
                      source="search_cost", digits=4)
# Tables 5.1 and 6.2: CIFAR-10/100 test error, ImageNet top-1 error, params on CIFAR-10
DARTS_TRANSFER = (
    Column("cifar10_test_error", "CIFAR-10 test error (%)", "cifar10", "test_acc", error=True),
    Column("cifar100_test_error", "CIFAR-100 test error (%)", "cifar100", "test_acc", error=True),
    Column("imagenet_top1_top5", "ImageNet top-1 error (%)", "imagenet", "test_acc", error=True),
    Column("params_m", "Params (M)", "cifar10", "params_m"))
_register_table(TableSpec(
    "table_6_2", "Table 6.2: Comparison results with state-of-the-art weight-sharing NAS "
    "approaches (DARTS search space).", "darts_cnn",
    DARTS_TRANSFER + (Column("madds_m", "Multiply-adds (M)", "imagenet", "madds_m"),)))

for _id, _title in (
        ("table_3_3", "Table 3.3: Results of one-shot NAS baselines on NAS-Bench-201."),
        ("table_3_4", "Table 3.4: RandomNAS-NSAS with various settings for beta and M on "
                      "NAS-Bench-201.")):
    _register_table(TableSpec(_id, _title, "nb201", NB201_COLUMNS))

_register_table(TableSpec(
    "table_2_3", "Table 2.3: Comparison with two baselines on NAS-Bench-201 (test accuracy, "
    "Kendall tau between supernet and ground-truth rankings of the probe cells, s-tau).", "nb201",
    (Column("cifar10_test", "CIFAR-10 Test Acc (%)", "cifar10", "test_acc"),
     Column("tau", "tau metric", "cifar10", source="tau", digits=3),
     Column("s_tau", "s-tau metric", "cifar10", source="s_tau", digits=3))))

CONSTRAINT_COLUMNS = (("nsas", "NSAS"), ("nsas-g", "NSAS-G"), ("nsas-lg", "NSAS-LG"), ("rg", "RG"),
                      ("low", "LoW"), ("low-r", "LoW-R"))
for _number, (_target, _label) in zip((5, 6, 7), NB201_TARGETS):
    _register_table(TableSpec(
        f"table_3_{_number}", f"Table 3.{_number}: One-shot NAS with constraint selection "
        f"strategies on {_label} (M = 2; test accuracy, %).", "nb201",
        tuple(Column(key, f"{name} Test Acc (%)", _target, "test_acc")
              for key, name in CONSTRAINT_COLUMNS)))

_MEMORY = Column("memory", "Memory consumption", "cifar10", source="memory")
_register_table(TableSpec(
    "table_2_1", "Table 2.1: Comparison with weight-sharing NAS methods on CIFAR-10, CIFAR-100 "
    "and ImageNet (DARTS search space).", "darts_cnn",
    (Column("cifar10_test_error", "CIFAR-10 test error (%)", "cifar10", "test_acc", error=True),
     Column("cifar100_test_error", "CIFAR-100 test error (%)", "cifar100", "test_acc", error=True),
     Column("imagenet_test_error", "ImageNet test error (%)", "imagenet", "test_acc", error=True),
     Column("params_m", "Params (M)", "cifar10", "params_m"), _SEARCH_COST, _MEMORY)))
_register_table(TableSpec(
    "table_3_1", "Table 3.1: Results with NAS approaches on CIFAR-10 and CIFAR-100 (DARTS "
    "search space).", "darts_cnn",
    (Column("cifar10_test_error", "CIFAR-10 test error (%)", "cifar10", "test_acc", error=True),
     Column("cifar100_test_error", "CIFAR-100 test error (%)", "cifar100", "test_acc", error=True),
     Column("params_m", "Params (M)", "cifar10", "params_m"),
     Column("flops_m", "FLOPs (M, multiply-adds)", "cifar10", "madds_m"), _SEARCH_COST, _MEMORY)))
_register_table(TableSpec(
    "table_3_2", "Table 3.2: Results on ImageNet (mobile setting; DARTS search space).",
    "darts_cnn",
    (Column("imagenet_test_error", "ImageNet test error (%)", "imagenet", "test_acc", error=True),
     Column("params_m", "Params (M)", "imagenet", "params_m"),
     Column("flops_m", "FLOPs (M, multiply-adds)", "imagenet", "madds_m"))))

_register_table(TableSpec(
    "table_5_1", "Table 5.1: Comparison results with state-of-the-art weight-sharing NAS "
    "approaches (DARTS search space).", "darts_cnn",
    DARTS_TRANSFER + (Column("flops_m", "FLOPs (M, multiply-adds)", "imagenet", "madds_m"),
                      _SEARCH_COST)))


# Table 2.2: perplexity (lower is better) of the PTB-found cells on PTB and transferred to WT2
_PPL = "perplexity, lower is better"
_register_table(TableSpec(
    "table_2_2", "Table 2.2: Comparison results with state-of-the-art NAS approaches on PTB and "
    f"WT2 (DARTS recurrent space; {_PPL}).", "darts_rnn",
    (Column("ptb_valid", f"PTB valid ({_PPL})", "ptb", "valid_ppl"),
     Column("ptb_test", f"PTB test ({_PPL})", "ptb", "test_ppl"),
     Column("wt2_valid", f"WT2 valid ({_PPL})", "wikitext2", "valid_ppl"),
     Column("wt2_test", f"WT2 test ({_PPL})", "wikitext2", "test_ppl"),
     Column("params_m", "Params (M, PTB)", "ptb", "params_m"),
     Column("search_cost", "Search cost (days; GPU-days on a GPU)", "ptb", source="search_cost",
            digits=4),
     Column("memory", "Memory consumption", "ptb", source="memory"))))


# NAS-Bench-1Shot1 (§5.4.1.2, §6.4.1): its three search spaces; the runs of Figs. 5.2, 6.1, 6.4.
# Fig. 6.1 adds GDAS and RandomNAS (the issue's baselines) to the thesis' DARTS.
NB1SHOT1_SPACES = tuple(f"nb1shot1-s{v}" for v in (1, 2, 3))
NB1SHOT1_BALENAS = ("darts-1st", "darts-2nd", "balenas-1st", "balenas-2nd")
NB1SHOT1_IDARTS_T = ("darts-2nd", "gdas", "random-nas") + tuple(idarts_run(t, 2) for t in range(1, 6))
NB1SHOT1_K_GROUPS = (("T = 1", ("darts-2nd",) + tuple(idarts_run(1, k) for k in range(4))),
                     ("T = 5", tuple(idarts_run(5, k) for k in range(4))))


def _idarts_sweeps() -> tuple:
    """Fig. 6.2's three sweeps around iDARTS' default (T = 4, K = 2; ``sweeps.IDARTS_SWEEPS``)."""
    return tuple((label, tuple(points)) for label, points in IDARTS_SWEEPS.items())


for _figure in (
    FigureSpec("fig_5_2", "Figure 5.2: Validation error and test regret of BaLeNAS and DARTS "
               "(first and second order) on the search spaces of NAS-Bench-1Shot1 (the thesis: "
               "space 3)", "nb1shot1-s3", NB1SHOT1_BALENAS, kind="regret", spaces=NB1SHOT1_SPACES),
    FigureSpec("fig_6_1", "Figure 6.1: Validation error and test regret of iDARTS with different "
               "T (K = 2) and the baselines on NAS-Bench-1Shot1 (the thesis: space 3)",
               "nb1shot1-s3", NB1SHOT1_IDARTS_T, kind="regret", spaces=NB1SHOT1_SPACES),
    FigureSpec("fig_6_4", "Figure 6.4: Ablation study on K for iDARTS with T = 1 and T = 5 on "
               "NAS-Bench-1Shot1", "nb1shot1-s3",
               tuple(dict.fromkeys(r for _, runs in NB1SHOT1_K_GROUPS for r in runs)),
               kind="regret", spaces=NB1SHOT1_SPACES, groups=NB1SHOT1_K_GROUPS),
    FigureSpec("fig_5_4", "Figure 5.4: (a) depth of the derived normal cell during the search with "
               "and without depth-aware regularisation, (b) validation accuracy of the found cells "
               "during their evaluation", "darts_cnn", ("balenas-2nd-depth", "balenas-2nd"),
               kind="epoch_stats", keys=("depth",), curve_targets=("imagenet", "cifar10")),
    FigureSpec("fig_5_5", "Figure 5.5: skip-connection ratio of the derived normal cell during the "
               "search (DARTS space)", "darts_cnn", ("darts-2nd", "balenas-2nd"),
               kind="epoch_stats", keys=("skip_ratio",)),
    FigureSpec("fig_5_6", "Figure 5.6: trajectory of the Hessian norm (dominant eigenvalue) "
               "during the search (DARTS space)", "darts_cnn", ("darts-2nd", "balenas-2nd"),
               kind="epoch_stats", keys=("hessian_eig",)),
    FigureSpec("fig_6_2", "Figure 6.2: iDARTS on NAS-Bench-201 against (a) inner steps T, (b) "
               "inner learning rate gamma, (c) architecture learning rate gamma_alpha", "nb201",
               tuple(dict.fromkeys(run for _, points in _idarts_sweeps() for _, run in points)),
               kind="sweep", sweeps=_idarts_sweeps()),
    FigureSpec("search_curves_nb201", "NAS-Bench-201 search curves (mean ± std over seeds)",
               "nb201", ("darts-1st", "darts-2nd", "gdas", "random-nas")),
    FigureSpec("fig_2_2", "Figure 2.2: validation accuracy of (a) the sampled cell and (b) fixed "
               "cells during supernet training, GDAS (dashed) and EN²AS (solid)", "nb201",
               ("en2as", "gdas"), kind="forgetting", probes_shown=3),
    FigureSpec("fig_2_3", "Figure 2.3: (a) Kendall tau of the supernet ranking, (b) retrained "
               "validation accuracy of the found cells", "nb201",
               ("en2as", "random-nas", "gdas"), kind="ranking"),
    FigureSpec("fig_3_1", "Figure 3.1 (right): inherited-weight (Arch) and retrained (Arch-R) "
               "validation accuracy of four cells during GDAS supernet training", "nb201",
               ("gdas",), kind="forgetting", retrained=True),
    FigureSpec("fig_3_4", "Figure 3.4: inherited-weight (Arch) and retrained (Arch-R) validation "
               "accuracy of four cells, RandomNAS-NSAS and GDAS-NSAS", "nb201",
               ("random-nas-nsas", "gdas-nsas"), kind="forgetting", retrained=True),
    FigureSpec("fig_3_5", "Figure 3.5: Kendall tau of the supernet ranking during the search",
               "nb201", ("random-nas", "random-nas-nsas", "gdas", "gdas-nsas"), kind="tau_curves"),
    FigureSpec("fig_3_6", "Figure 3.6: (a) supernet against ground-truth ranks of the probe cells "
               "(b) retrained validation accuracy of the found cells", "nb201",
               ("random-nas", "random-nas-nsas", "gdas", "gdas-nsas"), kind="rank_scatter"),
    FigureSpec("fig_2_1", "Figure 2.1: Best cell structures found by EN²AS", "darts_cnn",
               ("en2as",), kind="cell"),
    FigureSpec("fig_2_1c", "Figure 2.1 (c): Best recurrent cell found by EN²AS on PTB",
               "darts_rnn", ("en2as",), kind="cell"),
    FigureSpec("fig_3_3", "Figure 3.3: The best found cells with NSAS and NSAS-C on CIFAR-10",
               "darts_cnn", ("random-nas-nsas", "random-nas-nsas-c"), kind="cell"),
    FigureSpec("fig_5_3", "Figure 5.3: The best normal cells discovered by BaLeNAS with and "
               "without depth regularization", "darts_cnn", ("balenas-2nd-depth", "balenas-2nd"),
               kind="cell", cells=("normal",)),
    FigureSpec("fig_6_3", "Figure 6.3: The best cells discovered by iDARTS on the DARTS search "
               "space", "darts_cnn", ("idarts",), kind="cell"),
):
    FIGURES.register(_figure.id)(_figure)


# Chapter 4 (E²NAS). Tables 4.1-4.5 on NAS-Bench-201, Table 4.6 on the DARTS space.
_register_table(TableSpec(
    "table_4_1", "Table 4.1: Comparison results with state-of-the-art NAS approaches on "
    "NAS-Bench-201.", "nb201", NB201_COLUMNS))
# "Best": the test accuracy of the best cell over all epochs of the search, the evaluation of
# pseudo-run ``<run>-best`` (``config.BEST_SUFFIX``, ``analysis.best_cell``)
_register_table(TableSpec(
    "table_4_2", "Table 4.2: Analysis of E²NAS with different gamma on NAS-Bench-201 (eps = 0; "
    "Best: the best cell over all epochs of the search).", "nb201",
    (Column("cifar10_test", "CIFAR-10 Test (%)", "cifar10", "test_acc"),
     Column("cifar10_best", "CIFAR-10 Best (%)", "cifar10", "test_acc"),
     Column("cifar100_test", "CIFAR-100 Test (%)", "cifar100", "test_acc"),
     Column("ImageNet16-120_test", "ImageNet16-120 Test (%)", "ImageNet16-120", "test_acc"))))
_register_table(TableSpec(
    "table_4_3", "Table 4.3: Analysis of one-shot NAS with different eps settings on CIFAR-10 "
    "(NAS-Bench-201; E²NAS with gamma = Sig_gamma(10); test accuracy, %).", "nb201",
    tuple(Column(key, f"{key.upper()} Test Acc (%)", "cifar10", "test_acc")
          for key in ("ac", "rp", "op"))))
_register_table(TableSpec(
    "table_4_4", "Table 4.4: The CIFAR-10 test accuracy (%) of E²NAS with different eps and "
    "gamma settings (NAS-Bench-201).", "nb201",
    tuple(Column(f"sig{b}", f"Sig_gamma({b})", "cifar10", "test_acc") for b in (1, 2, 5, 10))))
_register_table(TableSpec(
    "table_4_5", "Table 4.5: The searching time of differentiable NAS baselines (NAS-Bench-201, "
    "CIFAR-10; seconds, and the ratio to GDAS).", "nb201",
    (Column("search_s", "Searching time (s)", "cifar10", source="search_seconds", digits=1),
     Column("ratio_gdas", "Ratio to GDAS", "cifar10", "gdas", source="search_ratio"))))
_register_table(TableSpec(
    "table_4_6", "Table 4.6: Comparison results with state-of-the-art weight-sharing NAS "
    "approaches (DARTS search space).", "darts_cnn",
    DARTS_TRANSFER + (Column("flops_m", "FLOPs (M; ours: multiply-adds)", "imagenet", "madds_m"),
                      Column("madds_m", "Multiply-adds (M)", "imagenet", "madds_m"),
                      _SEARCH_COST)))

_AC_SWEEPS = tuple((label, tuple((f"{eps:g}", replay_run(base, "ac", eps)) for eps in E2NAS_EPSILONS))
                   for label, base in (("RandomNAS", "random-nas"), ("GDAS", "gdas"), ("E²NAS", "e2nas")))
for _figure in (
    FigureSpec("fig_4_3", "Figure 4.3: Sigmoid-type function Sig_gamma(b) for the hyperparameter "
               "gamma over the training epochs (Eq. 4.16)", "nb201", (), kind="gamma_schedule",
               values=(1.0, 2.0, 5.0, 10.0)),
    FigureSpec("fig_4_4a", "Figure 4.4 (a): validation (dashed) and test accuracy of the found "
               "cells against eps of the complementation loss (NAS-Bench-201, AC)", "nb201",
               tuple(dict.fromkeys(run for _, points in _AC_SWEEPS for _, run in points)),
               kind="sweep", sweeps=_AC_SWEEPS, keys=("valid_acc", "test_acc"), overlay=True,
               values_label="eps of the complementation loss (Eq. 4.12; AC)"),
    FigureSpec("fig_4_4b", "Figure 4.4 (b): validation accuracy of the derived cell with "
               "inherited weights per search epoch (DARTS space)", "darts_cnn",
               ("darts-1st", "darts-2nd", "gdas", "gdas-ac-e05")),
    FigureSpec("fig_4_5", "Figure 4.5: Best found cells with E²NAS and E²NAS-R on CIFAR-10",
               "darts_cnn", ("e2nas", "e2nas-r"), kind="cell"),
):
    FIGURES.register(_figure.id)(_figure)
