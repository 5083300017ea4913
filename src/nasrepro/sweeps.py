"""Hyperparameter sweeps that name runs, shared by ``runs`` (which registers the runs) and
``report.catalog`` (whose figures plot them); no torch import, so report jobs start fast.

Fig. 6.2 (iDARTS on NAS-Bench-201): (a) T, (b) the inner learning rate gamma (``w_lr``, 0.025 by
default), (c) the architecture learning rate gamma_alpha as a multiple of the profile's ``a_lr``.
The thesis' grids are not printed (the figure is lost); these span each default
(docs/methods.md).
"""

from __future__ import annotations

IDARTS_DEFAULT = (4, 2)  # (T, K) of the thesis' NAS-Bench-201 runs (Tables 6.1, 6.3)


def idarts_run(inner_steps: int, terms: int) -> str:
    """The iDARTS run with T = ``inner_steps`` and K = ``terms`` (``idarts`` for the default)."""
    return "idarts" if (inner_steps, terms) == IDARTS_DEFAULT else f"idarts-t{inner_steps}-k{terms}"


_GAMMAS = ((0.005, "idarts-gamma-5e-3"), (0.01, "idarts-gamma-1e-2"), (0.025, "idarts"),
           (0.05, "idarts-gamma-5e-2"))
_SCALES = ((0.3, "idarts-galpha-x03"), (1.0, "idarts"), (3.0, "idarts-galpha-x3"),
           (10.0, "idarts-galpha-x10"))

# panel label -> [(value label, run)]
IDARTS_SWEEPS: dict[str, list[tuple[str, str]]] = {
    "(a) inner steps T": [(str(t), idarts_run(t, 2)) for t in (1, 2, 3, 4, 5)],
    "(b) inner learning rate gamma": [(f"{lr:g}", name) for lr, name in _GAMMAS],
    "(c) gamma_alpha / a_lr": [(f"{scale:g}", name) for scale, name in _SCALES],
}
# the hyperparameters of the sweep runs that are not T/K grid points
IDARTS_SWEEP_PARAMS: dict[str, dict] = {
    **{name: {"w_lr": lr} for lr, name in _GAMMAS if name != "idarts"},
    **{name: {"a_lr_scale": scale} for scale, name in _SCALES if name != "idarts"},
}


# Chapter 4 (E²NAS). Table 4.2: eps = 0 with static gamma in {0, 0.2, 0.5, 0.8} or Sig_gamma(b),
# b in {1, 2, 5, 10}; Table 4.4: eps in {0, 0.2, 0.5, 0.8} x Sig_gamma(b); Table 4.3 / Fig. 4.4:
# RandomNAS, GDAS and E²NAS with the replay strategies AC, RP, OP and eps in {0.2, 0.5, 0.8}.
E2NAS_DEFAULT = (0.5, "sig10")  # eps = 0.5, gamma = Sig_gamma(10) (Table 4.1)
E2NAS_EPSILONS = (0.0, 0.2, 0.5, 0.8)
E2NAS_GAMMAS = (0.0, 0.2, 0.5, 0.8, "sig1", "sig2", "sig5", "sig10")
REPLAY_BASES = ("random-nas", "gdas", "e2nas")
REPLAY_STRATEGIES = ("ac", "rp", "op")
REPLAY_EPSILONS = (0.2, 0.5, 0.8)


def _tenths(value: float) -> str:
    return f"{round(value * 10):02d}"


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
