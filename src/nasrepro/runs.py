"""Named runs: a registered method plus hyperparameter overrides (thesis "variants").

Tables and figures name runs, never methods. A run's hyperparameters resolve as
method-config defaults (thesis values) <- the run's ``params`` <- the run's
``space_params[space]`` <- the profile's ``method_overrides`` (keys the method has; the default
profile's tiny sizes, see ``nasrepro.profile.resolve``). A profile may add runs of its
own under ``runs:`` (same fields).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nasrepro.methods.parts.constraints import STRATEGIES
from nasrepro.registry import RUNS
from nasrepro.sweeps import (E2NAS_EPSILONS, E2NAS_GAMMAS, IDARTS_SWEEP_PARAMS, REPLAY_EPSILONS,
                             REPLAY_STRATEGIES, e2nas_gamma_params, e2nas_run, idarts_run,
                             replay_run)


@dataclass(frozen=True)
class RunVariant:
    name: str
    method: str
    params: dict = field(default_factory=dict)
    space_params: dict = field(default_factory=dict)

    def overrides(self, space: str) -> dict:
        """The space's search protocol (``SPACE_PROTOCOLS``) <- ``params`` <- ``space_params``."""
        return {**SPACE_PROTOCOLS.get(space, {}), **self.params, **self.space_params.get(space, {})}


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

for _run in (
    RunVariant("darts-1st", "darts-1st", space_params={"darts_cnn": DARTS_SPACE_PROTOCOL,
                                                       "darts_rnn": DARTS_RNN_ARCH}),
    RunVariant("darts-2nd", "darts-2nd", space_params={"darts_cnn": DARTS_SPACE_PROTOCOL,
                                                       "darts_rnn": DARTS_RNN_ARCH}),
    # GDAS and RandomNAS on the DARTS space: the DARTS protocol with DARTS' 50 epochs (a choice:
    # the thesis copies their DARTS-space numbers from the papers; documented in docs/methods.md)
    RunVariant("gdas", "gdas", space_params={"darts_cnn": {**DARTS_SPACE_PROTOCOL, "epochs": 50},
                                             "darts_rnn": DARTS_RNN_ARCH}),
    RunVariant("random-nas", "random-nas",
               space_params={"darts_cnn": {**DARTS_SPACE_PROTOCOL, "epochs": 50},
                             "darts_rnn": DARTS_RNN_PROTOCOL}),
):
    RUNS.register(_run.name)(_run)

# NAO-WS (the thesis' NAO*, Tables 4.1, 4.2, 4.5); on the DARTS space DARTS' protocol, 50 epochs
RUNS.register("nao")(RunVariant("nao", "nao", space_params={
    "darts_cnn": {**DARTS_SPACE_PROTOCOL, "epochs": 50}}))


# Chapters 2-3. EN²AS and the NSAS family; on the DARTS space with DARTS' protocol and 50 epochs
# like the baselines above. RandomNAS-NSAS: M = 5, beta = 0.5; GDAS-NSAS: M = 2, beta = 0.2
# (Table 3.3 note); "-c": NSAS-C, the fixed-depth variant (§3.4.1.2, Tables 3.1-3.2).
DARTS_SPACE_50 = {"darts_cnn": {**DARTS_SPACE_PROTOCOL, "epochs": 50}}
NSAS_DEFAULTS = {"random-nas": (5, 0.5), "gdas": (2, 0.2)}
for _run in (
    RunVariant("en2as", "en2as", space_params={**DARTS_SPACE_50, "darts_rnn": DARTS_RNN_PROTOCOL}),
    RunVariant("random-nas-nsas", "random-nas-nsas", space_params=DARTS_SPACE_50),
    RunVariant("gdas-nsas", "gdas-nsas", space_params=DARTS_SPACE_50),
    RunVariant("random-nas-nsas-c", "random-nas-nsas", {"depth_constraint": True}, DARTS_SPACE_50),
    RunVariant("gdas-nsas-c", "gdas-nsas", {"depth_constraint": True}, DARTS_SPACE_50),
):
    RUNS.register(_run.name)(_run)


def nsas_run(base: str, strategy: str, m: int, beta: float) -> str:
    """The run name of ``base`` (random-nas | gdas) with constraint ``strategy``, M and beta:
    the named default runs where they coincide, else e.g. ``random-nas-nsas-g-m2-b05``; beta = 0
    is the baseline itself (Table 3.4's first row of each block)."""
    if beta == 0:
        return base
    if strategy == "nsas" and NSAS_DEFAULTS[base] == (m, beta):
        return f"{base}-nsas"
    return f"{base}-{strategy}-m{m}-b{round(beta * 10):02d}"


# The hyperparameter grid of Table 3.4 (RandomNAS-NSAS, M in 2..5, beta in {0.2, 0.5, 0.8}) and
# the constraint-selection study of Tables 3.5-3.7 (M = 2, both baselines, six strategies).
NSAS_BETAS = (0.2, 0.5, 0.8)
_grid = {("random-nas", "nsas", m, b) for m in (2, 3, 4, 5) for b in NSAS_BETAS}
_grid |= {(base, s, 2, b) for base in NSAS_DEFAULTS for s in STRATEGIES for b in NSAS_BETAS}
for _base, _strategy, _m, _beta in sorted(_grid):
    _name = nsas_run(_base, _strategy, _m, _beta)
    if _name not in RUNS:
        RUNS.register(_name)(RunVariant(_name, f"{_base}-nsas",
                                        {"strategy": _strategy, "constraints": _m, "beta": _beta}))


# Chapters 5-6. BaLeNAS (M = 1 MCMC sample; Table 5.2 varies M) and BaLeNAS with the depth-aware
# regulariser (eta_1 = 0.05, §5.4.2.1: Table 5.1's "BaLeNAS"; without it "BaLeNAS w/o"); iDARTS
# with T inner steps and K Neumann terms (default T = 4, K = 2: Tables 6.1, 6.3) and the
# sweeps of Fig. 6.2. On the DARTS spaces they follow DARTS' protocols (CNN: 50 epochs; RNN: PTB).
DARTS_PROTOCOLS = {"darts_cnn": DARTS_SPACE_PROTOCOL, "darts_rnn": DARTS_RNN_ARCH}
for _run in (
    RunVariant("balenas-1st", "balenas-1st", space_params=DARTS_PROTOCOLS),
    RunVariant("balenas-2nd", "balenas-2nd", space_params=DARTS_PROTOCOLS),
    RunVariant("balenas-2nd-depth", "balenas-2nd", {"depth_weight": 0.05},
               {"darts_cnn": DARTS_SPACE_PROTOCOL}),
    *(RunVariant(f"balenas-2nd-m{m}", "balenas-2nd", {"samples": m}, DARTS_PROTOCOLS)
      for m in (2, 3, 4)),
    RunVariant("idarts", "idarts", space_params=DARTS_PROTOCOLS),
):
    RUNS.register(_run.name)(_run)

# T x K: Table 6.3 (T = 4), Fig. 6.2 (a) (K = 2) and Fig. 6.4's K ablation at T = 1 and T = 5
_TK = [(4, 0), (4, 1), (4, 3)] + [(t, 2) for t in (1, 2, 3, 5)] + [(t, k) for t in (1, 5) for k in (0, 1, 3)]
for _t, _k in _TK:
    RUNS.register(idarts_run(_t, _k))(RunVariant(idarts_run(_t, _k), "idarts",
                                                  {"inner_steps": _t, "neumann_terms": _k}))
for _name, _params in IDARTS_SWEEP_PARAMS.items():   # Fig. 6.2 (b), (c)
    RUNS.register(_name)(RunVariant(_name, "idarts", _params))


# Chapter 4. GDAS-A (Table 4.2) and the single-path baselines with the complementation loss of
# Eq. 4.12 (Table 4.3, Fig. 4.4): on the DARTS space with their baselines' protocol (50 epochs).
RUNS.register("gdas-a")(RunVariant("gdas-a", "gdas-a", space_params=DARTS_SPACE_50))
for _base in ("random-nas", "gdas"):
    for _strategy in REPLAY_STRATEGIES:
        for _eps in REPLAY_EPSILONS:
            _name = replay_run(_base, _strategy, _eps)
            RUNS.register(_name)(RunVariant(_name, f"{_base}-replay",
                                            {"replay": _strategy, "epsilon": _eps}, DARTS_SPACE_50))


# E²NAS (Alg. 4): eps = 0.5, Sig_gamma(10); E²NAS-R adds the depth term (zeta = 0.05, M = 10).
# On the DARTS space §4.4.2: DARTS' protocol, 100 epochs, batch 32 (8 cells, C = 16: the space's
# search network). The grids of Tables 4.2 (eps = 0, gamma static or Sig), 4.4 (eps x Sig) and
# the OP/RP rows of Table 4.3 (E²NAS with AC is the eps grid at Sig_gamma(10)).
E2NAS_DARTS = {"darts_cnn": {**DARTS_SPACE_PROTOCOL, "epochs": 100, "batch_size": 32}}
RUNS.register("e2nas-r")(RunVariant("e2nas-r", "e2nas", {"depth_weight": 0.05}, E2NAS_DARTS))
_e2nas_grid = {(0.0, g) for g in E2NAS_GAMMAS}
_e2nas_grid |= {(e, g) for e in E2NAS_EPSILONS for g in E2NAS_GAMMAS if isinstance(g, str)}
for _eps, _gamma in sorted(_e2nas_grid, key=str):
    _name = e2nas_run(_eps, _gamma)
    RUNS.register(_name)(RunVariant(_name, "e2nas", {"epsilon": _eps, **e2nas_gamma_params(_gamma)},
                                    E2NAS_DARTS))
for _strategy in ("rp", "op"):
    for _eps in REPLAY_EPSILONS:
        _name = replay_run("e2nas", _strategy, _eps)
        RUNS.register(_name)(RunVariant(_name, "e2nas", {"replay": _strategy, "epsilon": _eps},
                                        E2NAS_DARTS))
