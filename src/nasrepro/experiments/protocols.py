"""The protocols of the thesis profile as data (issue #30): for every experiment protocol the
thesis profile runs, each setting's thesis value and the value of the reference code the thesis
follows, with their citations, and where this project's value is read from the resolved thesis
profile (``nasrepro.profile.protocols`` reads it and gives the verdict; ``python -m nasrepro
protocols`` prints it; docs/protocols.md is generated from it).

A setting's expected value is the thesis' where the thesis states one, else the reference's.
Where ours differs from it, ``reason`` says why; a recorded reason where ours matches is stale
(``tests/project/test_protocol_settings.py`` fails on both). Thesis citations are sections and
``thesis.txt`` lines (../shared/thesis/thesis.txt); reference citations are repository, commit,
file and line. "not checked" marks a reference value nobody read in the code.

Facts only: no reference code or text is copied here.
"""

from __future__ import annotations

from dataclasses import dataclass

NOT_CHECKED = "not checked"
# The reference repositories at the commits read (bare mirrors of GitHub).
DARTS = ("quark0/darts", "f276dd346a09ae3160f8e3aca5c7b193fda1da37")
NB201 = ("D-X-Y/AutoDL-Projects", "f46486e21b71ae6459a700be720d7648b5429569")
RANDOMNAS = ("liamcli/randomNAS_release", "6513a0a6a781ed1f0009ccd9bae622ae7f0a961d")
NB1SHOT1 = ("automl/nasbench-1shot1", "cb0f0ec61ce8b37f8e2d0f2728c3ef0b9ec81bf1")


def at(repo: tuple[str, str], path: str, line: int) -> str:
    """A reference citation: ``owner/name@commit7 path:line``."""
    return f"{repo[0]}@{repo[1][:7]} {path}:{line}"


def thesis(section: str, line: int) -> str:
    """A thesis citation: section (or table) and its ``thesis.txt`` line."""
    return f"{section} (thesis.txt:{line})"


@dataclass(frozen=True)
class Setting:
    """One setting of a protocol. ``where``: how ours is read from the resolved thesis profile
    (``("method", run, space, field)``, ``("search_net", space, field)``, ``("eval_net", space,
    target, field)``, ``("retrain", space, target, field)``, ``("data", role, field)``,
    ``("selection", field)``: ``selected_cell``'s, ``("heldout", role)``: the data role a held-out
    retraining reads, ``("profile", key, ...)``);
    ``thesis``/``reference``: the values (None: silent / not read)."""

    name: str
    where: tuple
    thesis: object = None
    thesis_at: str = ""
    reference: object = None
    reference_at: str = NOT_CHECKED
    reason: str = ""

    def __post_init__(self):
        if self.thesis is None and self.reference is None:
            raise ValueError(f"setting {self.name!r}: needs a thesis or a reference value")
        if (self.thesis is None) != (not self.thesis_at):
            raise ValueError(f"setting {self.name!r}: a thesis value needs its citation")
        if (self.reference is None) != (self.reference_at == NOT_CHECKED):
            raise ValueError(f"setting {self.name!r}: a reference value needs its citation")

    @property
    def expected(self) -> object:
        """The value ours should have: the thesis' where it states one, else the reference's."""
        return self.thesis if self.thesis is not None else self.reference


@dataclass(frozen=True)
class Protocol:
    id: str
    title: str
    follows: str  # the thesis sentence that names the reference, cited
    settings: tuple[Setting, ...]


def _weights(run: str, space: str, repo, path: str, lines: dict, values: dict) -> tuple:
    """The weight-optimiser settings of ``run`` on ``space`` read at ``lines`` of ``path``."""
    return tuple(Setting(f"{run}: {key}", ("method", run, space, key), reference=values[key],
                         reference_at=at(repo, path, lines[key])) for key in values)


_NB201_CFG = "configs/nas-benchmark/algos/DARTS.config"
_NB201_WEIGHTS = _weights("darts-1st", "nb201", NB201, _NB201_CFG,
                          {"batch_size": 12, "w_lr": 3, "w_lr_min": 4, "w_momentum": 9,
                           "w_nesterov": 10, "w_weight_decay": 8},
                          {"batch_size": 64, "w_lr": 0.025, "w_lr_min": 0.001, "w_momentum": 0.9,
                           "w_nesterov": True, "w_weight_decay": 5e-4})
_NB201_FOLLOWS = thesis("§3.4.2 'all experimental settings follow [41]'", 1029)

_DARTS_CNN = "cnn/train_search.py"
_DARTS_CNN_WEIGHTS = _weights("darts-2nd", "darts_cnn", DARTS, _DARTS_CNN,
                              {"epochs": 30, "batch_size": 23, "w_lr": 24, "w_lr_min": 25,
                               "w_momentum": 26, "w_weight_decay": 27, "grad_clip": 39,
                               "a_lr": 42, "a_weight_decay": 43},
                              {"epochs": 50, "batch_size": 64, "w_lr": 0.025, "w_lr_min": 0.001,
                               "w_momentum": 0.9, "w_weight_decay": 3e-4, "grad_clip": 5.0,
                               "a_lr": 3e-4, "a_weight_decay": 1e-3})

_DARTS_RNN = "rnn/train_search.py"
_DARTS_RNN_WEIGHTS = _weights("darts-2nd", "darts_rnn", DARTS, _DARTS_RNN,
                              {"epochs": 33, "batch_size": 35, "w_lr": 29, "w_weight_decay": 63,
                               "grad_clip": 31, "a_lr": 79, "a_weight_decay": 77},
                              {"epochs": 50, "batch_size": 256, "w_lr": 20.0,
                               "w_weight_decay": 5e-7, "grad_clip": 0.25, "a_lr": 3e-3,
                               "a_weight_decay": 1e-3})
_RNN_FOLLOWS = thesis("§1.2.4 and §2.4.2 'hyperparameters were set following [86, 95]'", 451)

# [86]'s search (searchers/random_weight_share.py and its benchmarks' wrappers): the command-line
# defaults 100 epochs, batch 64; selection: 1,000 sampled cells, the top 10 re-scored.
_RS = "searchers/random_weight_share.py"
_RS_CNN = "benchmarks/cnn/darts/darts_wrapper_discrete.py"
_RS_PTB = "benchmarks/ptb/darts/darts_wrapper_discrete.py"


def _random_search(run: str, space: str, extra: tuple = ()) -> tuple[Setting, ...]:
    """[86]'s supernet length and batch for ``run`` on a DARTS space (CNN or PTB). EN²AS too:
    it is RandomNAS with novelty-driven sampling (Alg. 1), its chapter follows [86, 95, 140]
    (thesis.txt:636) and states no epochs on the DARTS spaces."""
    return (Setting(f"{run}: epochs", ("method", run, space, "epochs"), reference=100,
                    reference_at=at(RANDOMNAS, _RS, 171)),
            Setting(f"{run}: batch_size", ("method", run, space, "batch_size"), reference=64,
                    reference_at=at(RANDOMNAS, _RS, 172))) + extra


PROTOCOLS: tuple[Protocol, ...] = (
    Protocol("search-nb201", "Searches on NAS-Bench-201 (CIFAR-10; Tables 2.3, 3.3-3.7, 4.1-4.5, "
             "5.2, 6.1, 6.3)", _NB201_FOLLOWS, (
        Setting("seeds", ("profile", "seeds"), thesis=[0, 1, 100, 101],
                thesis_at=thesis("Table 3.3 note", 1004)),
        Setting("supernet C", ("search_net", "nb201", "C"), reference=16,
                reference_at=at(NB201, "scripts-search/NAS-Bench-201-algos/DARTS-V1.sh", 20)),
        Setting("supernet cells per stage (N)", ("search_net", "nb201", "N"), reference=5,
                reference_at=at(NB201, "scripts-search/NAS-Bench-201-algos/DARTS-V1.sh", 21)),
        Setting("darts-1st: epochs", ("method", "darts-1st", "nb201", "epochs"), reference=50,
                reference_at=at(NB201, _NB201_CFG, 5)),
        *_NB201_WEIGHTS,
        Setting("darts-1st: grad_clip", ("method", "darts-1st", "nb201", "grad_clip"),
                reference=5.0, reference_at=at(NB201, "exps/NAS-Bench-201-algos/DARTS-V1.py", 383)),
        Setting("darts-2nd: a_lr", ("method", "darts-2nd", "nb201", "a_lr"), reference=3e-4,
                reference_at=at(NB201, "exps/NAS-Bench-201-algos/DARTS-V2.py", 467)),
        Setting("darts-2nd: a_beta1", ("method", "darts-2nd", "nb201", "a_beta1"), reference=0.5,
                reference_at=at(NB201, "exps/NAS-Bench-201-algos/DARTS-V2.py", 278)),
        Setting("darts-2nd: a_weight_decay", ("method", "darts-2nd", "nb201", "a_weight_decay"),
                reference=1e-3, reference_at=at(NB201, "exps/NAS-Bench-201-algos/DARTS-V2.py", 473)),
        Setting("gdas: epochs", ("method", "gdas", "nb201", "epochs"), reference=250,
                reference_at=at(NB201, "configs/nas-benchmark/algos/GDAS.config", 5)),
        *(Setting(f"gdas: {key}", ("method", "gdas", "nb201", key), reference=value,
                  reference_at=at(NB201, "scripts-search/NAS-Bench-201-algos/GDAS.sh", 41))
          for key, value in (("tau_max", 10.0), ("tau_min", 0.1))),
        Setting("random-nas: epochs", ("method", "random-nas", "nb201", "epochs"), reference=250,
                reference_at=at(NB201, "configs/nas-benchmark/algos/RANDOM.config", 5)),
        Setting("random-nas: num_candidates", ("method", "random-nas", "nb201", "num_candidates"),
                reference=100, reference_at=at(NB201, "scripts-search/NAS-Bench-201-algos/"
                                                      "RANDOM-NAS.sh", 43)),
        Setting("random-nas: eval_batch_size", ("method", "random-nas", "nb201",
                                                "eval_batch_size"),
                reference=512, reference_at=at(NB201, "configs/nas-benchmark/algos/RANDOM.config",
                                               13)),
        Setting("en2as: epochs", ("method", "en2as", "nb201", "epochs"), thesis=100,
                thesis_at=thesis("§2.4.3, Figs. 2.2-2.3 'train the supernet ... 100 epochs'", 708),
                reference=250, reference_at=at(NB201, "configs/nas-benchmark/algos/RANDOM.config",
                                               5),
                reason="one search serves Table 2.3 (NAS-Bench-201 protocol [41], like its "
                       "RandomNAS row: 250 epochs) and Figs. 2.2-2.3; the 100 epochs of the "
                       "figures' text are not a separate run"),
        Setting("evaluation", ("profile", "evaluation", "mode"), thesis="benchmark",
                thesis_at=thesis("Table 3.3 note: results of [41]'s benchmark", 1004)),
    )),
    Protocol("search-darts_cnn", "Searches on the DARTS CNN space (CIFAR-10; Tables 2.1, 3.1, "
             "3.2, 4.6, 5.1, 6.2)",
             thesis("§3.4.1 'we follow DARTS's experimental setting in [95]'", 884), (
        Setting("supernet C", ("search_net", "darts_cnn", "C"), thesis=16,
                thesis_at=thesis("§4.4.2", 1514), reference=16,
                reference_at=at(DARTS, _DARTS_CNN, 31)),
        Setting("supernet cells", ("search_net", "darts_cnn", "layers"), thesis=8,
                thesis_at=thesis("§4.4.2", 1514), reference=8,
                reference_at=at(DARTS, _DARTS_CNN, 32)),
        *_DARTS_CNN_WEIGHTS,
        Setting("darts-2nd: a_beta1", ("method", "darts-2nd", "darts_cnn", "a_beta1"),
                reference=0.5, reference_at=at(DARTS, "cnn/architect.py", 18)),
        Setting("darts-2nd: w_nesterov", ("method", "darts-2nd", "darts_cnn", "w_nesterov"),
                reference=False, reference_at=at(DARTS, _DARTS_CNN, 80)),
        Setting("darts-2nd: virtual step adds weight decay (and, in DARTS, the momentum buffer)",
                ("method", "darts-2nd", "darts_cnn", "virtual_weight_decay"), reference=True,
                reference_at=at(DARTS, "cnn/architect.py", 27),
                reason="the thesis prints the plain step w - gamma grad_w L1 in Eq. (6.3) "
                       "(thesis.txt:1983) and its chapters 5-6 methods build on it; kept on the CNN "
                       "space (docs/methods.md), where no thesis text names DARTS' step"),
        Setting("e2nas: epochs", ("method", "e2nas", "darts_cnn", "epochs"), thesis=100,
                thesis_at=thesis("§4.4.2", 1514), reference=50,
                reference_at=at(DARTS, _DARTS_CNN, 30)),
        Setting("e2nas: batch_size", ("method", "e2nas", "darts_cnn", "batch_size"), thesis=32,
                thesis_at=thesis("§4.4.2", 1514), reference=64,
                reference_at=at(DARTS, _DARTS_CNN, 23)),
        *_random_search("random-nas", "darts_cnn", (
            Setting("random-nas: num_candidates", ("method", "random-nas", "darts_cnn",
                                                   "num_candidates"),
                    reference=1000, reference_at=at(RANDOMNAS, _RS, 90)),
            Setting("random-nas: eval_batches (minibatches per candidate)",
                    ("method", "random-nas", "darts_cnn", "eval_batches"), reference=10,
                    reference_at=at(RANDOMNAS, _RS_CNN, 193)),
            Setting("random-nas: rescore_top (on the whole validation set)",
                    ("method", "random-nas", "darts_cnn", "rescore_top"), reference=10,
                    reference_at=at(RANDOMNAS, _RS, 103)))),
        *_random_search("en2as", "darts_cnn"),
    )),
    Protocol("search-darts_rnn", "Searches on the DARTS recurrent space (PTB; Table 2.2)",
             _RNN_FOLLOWS, (
        Setting("supernet emsize = nhid", ("search_net", "darts_rnn", "nhid"), reference=300,
                reference_at=at(DARTS, _DARTS_RNN, 25)),
        Setting("dropout (outputs)", ("search_net", "darts_rnn", "dropout"), reference=0.75,
                reference_at=at(DARTS, _DARTS_RNN, 39)),
        Setting("dropouth", ("search_net", "darts_rnn", "dropouth"), reference=0.25,
                reference_at=at(DARTS, _DARTS_RNN, 41)),
        Setting("dropoutx", ("search_net", "darts_rnn", "dropoutx"), reference=0.75,
                reference_at=at(DARTS, _DARTS_RNN, 43)),
        Setting("dropouti", ("search_net", "darts_rnn", "dropouti"), reference=0.2,
                reference_at=at(DARTS, _DARTS_RNN, 45)),
        Setting("dropoute", ("search_net", "darts_rnn", "dropoute"), reference=0.0,
                reference_at=at(DARTS, _DARTS_RNN, 47)),
        Setting("TAR beta (weight steps)", ("search_net", "darts_rnn", "tar_beta"),
                reference=1e-3, reference_at=at(DARTS, _DARTS_RNN, 61)),
        Setting("AR alpha (weight steps)", ("search_net", "darts_rnn", "ar_alpha"),
                reference=0.0, reference_at=at(DARTS, _DARTS_RNN, 59)),
        Setting("BPTT", ("data", "ptb", "bptt"), reference=35,
                reference_at=at(DARTS, _DARTS_RNN, 37)),
        Setting("random sequence length per batch (35, or 17 w.p. 0.05; lr x length / 35)",
                ("data", "ptb", "variable"), reference=True,
                reference_at=at(DARTS, _DARTS_RNN, 180)),
        *_DARTS_RNN_WEIGHTS,
        Setting("darts-2nd: a_beta1", ("method", "darts-2nd", "darts_rnn", "a_beta1"),
                reference=0.9, reference_at=at(DARTS, "rnn/architect.py", 30)),
        Setting("darts-2nd: virtual step clips grad_w L1", ("method", "darts-2nd", "darts_rnn",
                                                          "virtual_clip"),
                reference=True, reference_at=at(DARTS, "rnn/architect.py", 36)),
        Setting("darts-2nd: virtual step adds weight decay", ("method", "darts-2nd", "darts_rnn",
                                                            "virtual_weight_decay"),
                reference=True, reference_at=at(DARTS, "rnn/architect.py", 37)),
        *_random_search("random-nas", "darts_rnn", (
            Setting("random-nas: num_candidates", ("method", "random-nas", "darts_rnn",
                                                   "num_candidates"),
                    reference=1000, reference_at=at(RANDOMNAS, _RS, 90)),
            Setting("random-nas: eval_batches (0: the whole validation set per candidate)",
                    ("method", "random-nas", "darts_rnn", "eval_batches"), reference=0,
                    reference_at=at(RANDOMNAS, _RS_PTB, 207)),
            Setting("random-nas: eval_batch_size", ("method", "random-nas", "darts_rnn",
                                                    "eval_batch_size"),
                    reference=1024, reference_at=at(RANDOMNAS, _RS_PTB, 37)),
            Setting("random-nas: rescore_top (PTB's evaluate has no split: no re-scoring)",
                    ("method", "random-nas", "darts_rnn", "rescore_top"), reference=0,
                    reference_at=at(RANDOMNAS, _RS, 102)))),
        *_random_search("en2as", "darts_rnn"),
    )),
    Protocol("retrain-cifar", "Retraining on CIFAR-10 and CIFAR-100 (DARTS space)",
             thesis("§4.4.2 'the same experimental settings' for CIFAR-100", 1514), tuple(
        Setting(f"{target}: {label}", ("retrain" if kind == "r" else "eval_net", "darts_cnn",
                                       target, key),
                thesis=value, thesis_at=thesis("§4.4.2", 1514) if value is not None else "",
                reference=ref, reference_at=at(DARTS, "cnn/train.py", line))
        for target in ("cifar10", "cifar100")
        for label, kind, key, value, ref, line in (
            ("epochs", "r", "epochs", 600, 600, 28), ("batch", "r", "batch_size", 96, 96, 22),
            ("lr", "r", "lr", None, 0.025, 23), ("momentum", "r", "momentum", None, 0.9, 24),
            ("weight decay", "r", "weight_decay", None, 3e-4, 25),
            ("grad clip", "r", "grad_clip", None, 5.0, 40), ("cutout", "r", "cutout", None, 16, 35),
            ("drop-path", "r", "drop_path", 0.2, 0.2, 36), ("C", "n", "C", 36, 36, 29),
            ("cells", "n", "layers", 20, 20, 30),
            ("auxiliary weight", "n", "auxiliary_weight", 0.4, 0.4, 33)))),
    Protocol("retrain-imagenet", "Retraining on ImageNet (DARTS space, mobile setting)",
             thesis("§4.4.2 'the remaining settings follow [95]'", 1548), (
        Setting("C", ("eval_net", "darts_cnn", "imagenet", "C"), thesis=48,
                thesis_at=thesis("§4.4.2", 1548), reference=48,
                reference_at=at(DARTS, "cnn/train_imagenet.py", 31)),
        Setting("cells", ("eval_net", "darts_cnn", "imagenet", "layers"), thesis=14,
                thesis_at=thesis("§4.4.2", 1548), reference=14,
                reference_at=at(DARTS, "cnn/train_imagenet.py", 32)),
        Setting("epochs", ("retrain", "darts_cnn", "imagenet", "epochs"), thesis=250,
                thesis_at=thesis("Table 2.1 note", 654), reference=250,
                reference_at=at(DARTS, "cnn/train_imagenet.py", 30)),
        *(Setting(label, ("retrain", "darts_cnn", "imagenet", key), reference=ref,
                  reference_at=at(DARTS, "cnn/train_imagenet.py", line))
          for label, key, ref, line in (("batch", "batch_size", 128, 24), ("lr", "lr", 0.1, 25),
                                        ("weight decay", "weight_decay", 3e-5, 27),
                                        ("label smoothing", "label_smoothing", 0.1, 40),
                                        ("drop-path", "drop_path", 0.0, 35),
                                        ("grad clip", "grad_clip", 5.0, 39))),
        Setting("lr schedule (final lr; DARTS: x0.97 per epoch)",
                ("retrain", "darts_cnn", "imagenet", "lr_min"), reference=0.1 * 0.97 ** 250,
                reference_at=at(DARTS, "cnn/train_imagenet.py", 41),
                reason="the shared cosine schedule to 0 (docs/methods.md); DARTS' step decay "
                       "ends at 4.9e-5"),
    )),
    Protocol("retrain-lm", "Retraining the recurrent cells on PTB and WikiText-2 (Table 2.2)",
             thesis("§2.4.2.2 'following the experimental settings in [95]'", 698), (
        Setting("PTB epochs", ("retrain", "darts_rnn", "ptb", "epochs"), thesis=1600,
                thesis_at=thesis("Table 2.2 note", 668), reference=8000,
                reference_at=at(DARTS, "rnn/train.py", 34)),
        Setting("PTB batch", ("retrain", "darts_rnn", "ptb", "batch_size"), thesis=64,
                thesis_at=thesis("Table 2.2 note", 668), reference=64,
                reference_at=at(DARTS, "rnn/train.py", 36)),
        *(Setting(f"PTB {label}", (part, "darts_rnn", "ptb", key), reference=ref,
                  reference_at=at(DARTS, "rnn/train.py", line))
          for label, part, key, ref, line in (
              ("emsize = nhid", "eval_net", "nhid", 850, 26), ("lr", "retrain", "lr", 20.0, 30),
              ("grad clip", "retrain", "grad_clip", 0.25, 32),
              ("weight decay", "retrain", "weight_decay", 8e-7, 64),
              ("dropoute", "eval_net", "dropoute", 0.1, 48),
              ("dropouth", "eval_net", "dropouth", 0.25, 42),
              ("TAR beta", "eval_net", "tar_beta", 1e-3, 62),
              ("AR alpha", "eval_net", "ar_alpha", 0.0, 60),
              ("NT-ASGD nonmono", "retrain", "nonmono", 5, 52),
              ("dropoutx", "eval_net", "dropoutx", 0.75, 44),
              ("dropouti", "eval_net", "dropouti", 0.2, 46),
              ("eval batch (valid)", "retrain", "eval_batch_size", 10, 110))),
        Setting("random sequence length per batch (N(35 or 17.5, 5), 5..55; lr x length / 35)",
                ("data", "ptb", "variable"), reference=True,
                reference_at=at(DARTS, "rnn/train.py", 171)),
        Setting("WT2 random sequence length per batch", ("data", "wikitext2", "variable"),
                reference=True, reference_at=at(DARTS, "rnn/train.py", 171)),
        Setting("WT2 emsize = nhid", ("eval_net", "darts_rnn", "wikitext2", "nhid"), thesis=700,
                thesis_at=thesis("§2.4.2.2", 698)),
        Setting("WT2 weight decay", ("retrain", "darts_rnn", "wikitext2", "weight_decay"),
                thesis=5e-7, thesis_at=thesis("§2.4.2.2", 698)),
        Setting("WT2 dropouth", ("eval_net", "darts_rnn", "wikitext2", "dropouth"),
                thesis=0.15, thesis_at=thesis("§2.4.2.2", 698)),
        Setting("WT2 epochs", ("retrain", "darts_rnn", "wikitext2", "epochs"), thesis=1600,
                thesis_at=thesis("Table 2.2 note", 668)),
    )),
    Protocol("select-darts_cnn", "Selecting a DARTS-space row's cell (Tables 2.1, 3.1, 3.2, 4.6, 5.1, "
             "6.2; Figs. 2.1, 3.3, 4.5, 5.3, 6.3)",
             thesis("§3.4.2 'we follow DARTS's experimental setting in [95]'", 884), (
        Setting("retrainings of the selected cell", ("selection", "retrainings"), thesis=3,
                thesis_at=thesis("Table 3.1's note: '3 different random seeds'", 920)),
        Setting("held-out retraining epochs", ("selection", "epochs"), reference=100,
                reference_at="DARTS [95] paper §3.2: 'training from scratch for a short period "
                             "(100 epochs on CIFAR-10)' (not in its code)"),
        Setting("data the selection scores", ("heldout", "valid"), reference="official_test",
                reference_at=at(DARTS, "cnn/train.py", 87),
                reason="DARTS' train.py scores the test set; the thesis selects by 'retraining "
                       "validation performance' (thesis.txt:884), so ours scores the search's "
                       "validation half (data.protocols.HELDOUT) and never the test set"),
        Setting("data the held-out retraining trains on", ("heldout", "train"), reference="train",
                reference_at=at(DARTS, "cnn/train.py", 86),
                reason="the validation half it is scored on must be held out of its training: "
                       "ours trains on the search's training half"),
    )),
    Protocol("search-nb1shot1", "Searches on NAS-Bench-1Shot1 spaces 1-3 (Figs. 5.2, 6.1, 6.4)",
             thesis("§5.4.1.2 and §6.4.1: NAS-Bench-1Shot1 [154] (no settings stated)", 1833), tuple(
        Setting(f"darts-2nd: {key}", ("method", "darts-2nd", "nb1shot1-s3", key), reference=ref,
                reference_at=at(NB1SHOT1, "optimizers/darts/train_search.py", line))
        for key, ref, line in (("epochs", 50, 34), ("batch_size", 96, 27), ("w_lr", 0.025, 28),
                               ("w_lr_min", 0.001, 29), ("w_momentum", 0.9, 30),
                               ("w_weight_decay", 3e-4, 31), ("grad_clip", 5.0, 44),
                               ("a_lr", 3e-4, 47), ("a_weight_decay", 1e-3, 48)))),
)
