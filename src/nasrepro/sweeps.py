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
