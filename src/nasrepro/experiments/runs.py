"""Named runs: a registered method plus hyperparameter overrides (thesis "variants"), the search
protocols of the spaces, and the names of the runs of the chapters' grids.

Tables and figures name runs, never methods. A run's hyperparameters resolve as
method-config defaults (thesis values) <- the space's search protocol (``SPACE_PROTOCOLS``) <-
the run's ``params`` <- the run's ``space_params[space]`` <- the profile's ``method_overrides``
(keys the method has; the default profile's tiny sizes, see ``nasrepro.profile.resolve``). A profile may
add runs of its own under ``runs:`` (same fields). The chapters (``experiments.ch2`` ... ``ch6``)
register the thesis' runs; the naming functions here spell a grid point's name, so a chapter's
grid, its tables' CSVs and its figures agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nasrepro.jobs import FIDELITIES, RELEASED, THESIS
from nasrepro.params import ConfigError


@dataclass(frozen=True)
class RunVariant:
    """``eval_params``: {space: {target: {key: value}}}, the evaluation network the thesis states
    for this run's rows on a target where it differs from the space's (e.g. RandomNAS-NSAS on
    ImageNet with C = 52, §3.4.2); a profile's ``spaces.<space>.evaluate`` still applies last.
    ``fidelity``: ``thesis`` (the equations) or ``released`` (the method's released-code options
    on each space, ``SearchMethod.released``; issue #25, docs/methods.md)."""

    name: str
    method: str
    params: dict = field(default_factory=dict)
    space_params: dict = field(default_factory=dict)
    eval_params: dict = field(default_factory=dict)
    fidelity: str = THESIS

    def __post_init__(self):
        check_fidelity(self.fidelity, f"runs.{self.name}.fidelity")

    def overrides(self, space: str) -> dict:
        """The space's search protocol (``SPACE_PROTOCOLS``) <- ``params`` <- ``space_params``."""
        return {**SPACE_PROTOCOLS.get(space, {}), **self.params, **self.space_params.get(space, {})}

    def eval_overrides(self, space: str, target: str) -> dict:
        """The run's own evaluation-network settings on ``space`` for ``target`` (``eval_params``)."""
        return dict(self.eval_params.get(space, {}).get(target, {}))


def check_fidelity(value, where: str) -> None:
    """One line naming ``where`` and the allowed values unless ``value`` is a fidelity."""
    if value not in FIDELITIES:
        raise ConfigError(f"{where}: {value!r} is not a fidelity; use one of: "
                          f"{', '.join(FIDELITIES)} (docs/methods.md)")


def released_run(run: str) -> str:
    """The name of ``run``'s released-code variant (``<run>-released``)."""
    return f"{run}-{RELEASED}"


# NAS-Bench-1Shot1's one-shot search settings (Zela et al. 2020, their DARTS configuration
# ``experiments/configs/darts_config.yaml``), used by every run on its three spaces (Figs. 5.2,
# 6.1, 6.4): 50 epochs, batch 96, SGD lr 0.025 cosine to 0.001, momentum 0.9 without Nesterov,
# weight decay 3e-4, gradient clip 5; architecture Adam lr 3e-4, weight decay 1e-3 (the methods'
# defaults already). The thesis gives no other settings for these figures.
NB1SHOT1_PROTOCOL = {"epochs": 50, "batch_size": 96, "w_lr": 0.025, "w_lr_min": 0.001,
                     "w_momentum": 0.9, "w_nesterov": False, "w_weight_decay": 3e-4,
                     "grad_clip": 5.0}
SPACE_PROTOCOLS = {f"nb1shot1-s{v}": NB1SHOT1_PROTOCOL for v in (1, 2, 3)}


# DARTS' own search settings on its space (Liu et al. 2019, the DARTS baselines of Tables 5.1 and
# 6.2): SGD without Nesterov, weight decay 3e-4; everything else equals the NAS-Bench-201 protocol.
DARTS_SPACE_PROTOCOL = {"w_nesterov": False, "w_weight_decay": 3e-4}
# DARTS' recurrent search on PTB (rnn/train_search.py; thesis §2.4.2 follows [86, 95]): 50 epochs,
# batch 256, plain SGD lr 20 held constant (w_lr_min = w_lr: no decay), weight decay 5e-7,
# gradient clip 0.25; architecture Adam lr 3e-3, betas (0.9, 0.999), weight decay 1e-3.
DARTS_RNN_PROTOCOL = {"epochs": 50, "batch_size": 256, "w_lr": 20.0, "w_lr_min": 20.0,
                      "w_momentum": 0.0, "w_nesterov": False, "w_weight_decay": 5e-7,
                      "grad_clip": 0.25}
DARTS_RNN_ARCH = {**DARTS_RNN_PROTOCOL, "a_lr": 3e-3, "a_beta1": 0.9, "a_weight_decay": 1e-3}
# Second-order DARTS' virtual step there (rnn/architect.py): gradient clipped, weight decay added
DARTS_RNN_2ND = {**DARTS_RNN_ARCH, "virtual_clip": True, "virtual_weight_decay": True}
# The single-path methods on the DARTS space: DARTS' protocol with DARTS' 50 epochs (a choice:
# the thesis copies their DARTS-space numbers from the papers; documented in docs/methods.md)
DARTS_SPACE_50 = {"darts_cnn": {**DARTS_SPACE_PROTOCOL, "epochs": 50}}
# Random search with weight sharing on the DARTS spaces ([86], Li & Talwalkar 2019,
# searchers/random_weight_share.py; thesis §2.4 follows [86, 95, 140]): the supernet trained 100
# epochs at batch 64 (its command-line defaults), otherwise DARTS' protocol of the space. EN²AS
# (RandomNAS with novelty-driven sampling, Alg. 1) takes the same; the thesis states no epochs.
RANDOM_SEARCH_86 = {"darts_cnn": {**DARTS_SPACE_PROTOCOL, "epochs": 100, "batch_size": 64},
                    "darts_rnn": {**DARTS_RNN_PROTOCOL, "epochs": 100, "batch_size": 64}}
# [86]'s selection: CNN 1,000 sampled cells, each on 10 validation minibatches (of the training
# batch size), the top 10 re-scored on the whole validation set; PTB 1,000 cells, each on the
# whole validation set at batch 1,024 (its PTB ``evaluate`` has no ``split``: no re-scoring).
RANDOM_SELECTION_86 = {
    "darts_cnn": {"num_candidates": 1000, "eval_batches": 10, "eval_batch_size": 64,
                  "rescore_top": 10},
    "darts_rnn": {"num_candidates": 1000, "eval_batches": 0, "eval_batch_size": 1024,
                  "rescore_top": 0}}
# The gradient methods of Chapters 5-6 on both DARTS spaces (CNN: 50 epochs; RNN: PTB)
DARTS_PROTOCOLS = {"darts_cnn": DARTS_SPACE_PROTOCOL, "darts_rnn": DARTS_RNN_ARCH}


def _tenths(value: float) -> str:
    return f"{round(value * 10):02d}"


# (M, beta) of the named NSAS runs: RandomNAS-NSAS M = 5, beta = 0.5; GDAS-NSAS M = 2, beta = 0.2
# (Table 3.3 note)
NSAS_DEFAULTS = {"random-nas": (5, 0.5), "gdas": (2, 0.2)}


def nsas_run(base: str, strategy: str, m: int, beta: float) -> str:
    """The run name of ``base`` (random-nas | gdas) with constraint ``strategy``, M and beta:
    the named default runs where they coincide, else e.g. ``random-nas-nsas-g-m2-b05``; beta = 0
    is the baseline itself (Table 3.4's first row of each block)."""
    if beta == 0:
        return base
    if strategy == "nsas" and NSAS_DEFAULTS[base] == (m, beta):
        return f"{base}-nsas"
    return f"{base}-{strategy}-m{m}-b{_tenths(beta)}"


IDARTS_DEFAULT = (4, 2)  # (T, K) of the thesis' NAS-Bench-201 runs (Tables 6.1, 6.3)


def idarts_run(inner_steps: int, terms: int) -> str:
    """The iDARTS run with T = ``inner_steps`` and K = ``terms`` (``idarts`` for the default)."""
    return "idarts" if (inner_steps, terms) == IDARTS_DEFAULT else f"idarts-t{inner_steps}-k{terms}"


def balenas_run(samples: int) -> str:
    """The second-order BaLeNAS run with M = ``samples`` MCMC samples (``balenas-2nd``: M = 1,
    the thesis' setting; Table 5.2)."""
    return "balenas-2nd" if samples == 1 else f"balenas-2nd-m{samples}"


E2NAS_DEFAULT = (0.5, "sig10")  # eps = 0.5, gamma = Sig_gamma(10) (Table 4.1)
REPLAY_BASES = ("random-nas", "gdas", "e2nas")  # the rows of Table 4.3


def e2nas_gamma_params(gamma: float | str) -> dict:
    """The E²NAS config of a gamma: a static value (float) or ``"sig<b>"`` (Sig_gamma(b), Eq. 4.16)."""
    if isinstance(gamma, str):
        if not gamma.startswith("sig"):
            raise ValueError(f"gamma {gamma!r}: use a number (static) or 'sig<b>' (Sig_gamma(b))")
        return {"gamma": None, "gamma_sigmoid_b": float(gamma[3:])}
    return {"gamma": float(gamma)}


def e2nas_run(eps: float, gamma: float | str) -> str:
    """The E²NAS run with trade-off eps (Eq. 4.12) and gamma (Eq. 4.7): a static value (float) or
    ``"sig<b>"``; ``e2nas`` for the defaults, else e.g. ``e2nas-e00-g02`` (static 0.2, eps 0) or
    ``e2nas-e05-sig2`` (Sig_gamma(2))."""
    if (eps, gamma) == E2NAS_DEFAULT:
        return "e2nas"
    tail = gamma if isinstance(gamma, str) else f"g{_tenths(gamma)}"
    return f"e2nas-e{_tenths(eps)}-{tail}"


def replay_run(base: str, strategy: str, eps: float) -> str:
    """The run of ``base`` (random-nas | gdas | e2nas) trained with replay ``strategy`` (ac | rp |
    op | na) and eps: eps = 0 or ``na`` is the plain baseline (E²NAS: ``e2nas_run(0, sig10)``);
    E²NAS with AC is its own grid (``e2nas_run(eps, sig10)``); else e.g. ``gdas-ac-e05``."""
    if base not in REPLAY_BASES:
        raise ValueError(f"replay base {base!r}: use one of {list(REPLAY_BASES)}")
    if base == "e2nas" and (strategy == "ac" or strategy == "na" or eps == 0):
        return e2nas_run(0.0 if strategy == "na" else eps, E2NAS_DEFAULT[1])
    if eps == 0 or strategy == "na":
        return base
    return f"{base}-{strategy}-e{_tenths(eps)}"
