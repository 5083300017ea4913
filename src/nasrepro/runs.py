"""Named runs: a registered method plus hyperparameter overrides (thesis "variants").

Tables and figures name runs, never methods. A run's hyperparameters resolve as
method-config defaults (thesis values) <- the run's ``params`` <- the run's
``space_params[space]`` <- the profile's ``method_overrides`` (keys the method has; the default
profile's tiny sizes, see ``nasrepro.config``). A profile may add runs of its
own under ``runs:`` (same fields).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nasrepro.registry import RUNS


@dataclass(frozen=True)
class RunVariant:
    name: str
    method: str
    params: dict = field(default_factory=dict)
    space_params: dict = field(default_factory=dict)

    def overrides(self, space: str) -> dict:
        return {**self.params, **self.space_params.get(space, {})}


# DARTS' own search settings on its space (Liu et al. 2019, the DARTS baselines of Tables 5.1 and
# 6.2): SGD without Nesterov, weight decay 3e-4; everything else equals the NAS-Bench-201 protocol.
DARTS_SPACE_PROTOCOL = {"w_nesterov": False, "w_weight_decay": 3e-4}

for _run in (
    RunVariant("darts-1st", "darts-1st", space_params={"darts_cnn": DARTS_SPACE_PROTOCOL}),
    RunVariant("darts-2nd", "darts-2nd", space_params={"darts_cnn": DARTS_SPACE_PROTOCOL}),
    # GDAS and RandomNAS on the DARTS space: the DARTS protocol with DARTS' 50 epochs (a choice:
    # the thesis copies their DARTS-space numbers from the papers; documented in docs/methods.md)
    RunVariant("gdas", "gdas", space_params={"darts_cnn": {**DARTS_SPACE_PROTOCOL, "epochs": 50}}),
    RunVariant("random-nas", "random-nas",
               space_params={"darts_cnn": {**DARTS_SPACE_PROTOCOL, "epochs": 50}}),
):
    RUNS.register(_run.name)(_run)
