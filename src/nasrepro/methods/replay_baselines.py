"""RandomNAS and GDAS trained on the architecture complementation loss of E²NAS (thesis §4.4.1.4,
Eq. 4.12, Table 4.3, Fig. 4.4): RandomNAS-AC/-OP/-RP and GDAS-AC/-OP/-RP by ``replay``
(``parts.replay``), eps by ``epsilon`` (default 0.5, the E²NAS value; the thesis recommends 0.2
or 0.5). The architecture step and the selection are the baselines' own; the current cell of
GDAS is the cell its Gumbel sample stands for (``Gdas.sampled_cell``), trained by its hard
forward, and the replay cells are trained single-path.
"""

from __future__ import annotations

from dataclasses import dataclass

from nasrepro.methods.gdas import Gdas, GdasConfig
from nasrepro.methods.parts.replay import ReplayLoss, ReplayParams
from nasrepro.methods.random_nas import RandomNas, RandomNasConfig
from nasrepro.registry import METHODS


@dataclass
class RandomNasReplayConfig(ReplayParams, RandomNasConfig):
    pass


@METHODS.register("random-nas-replay")
class RandomNasReplay(ReplayLoss, RandomNas):
    Config = RandomNasReplayConfig


@dataclass
class GdasReplayConfig(ReplayParams, GdasConfig):
    pass


@METHODS.register("gdas-replay")
class GdasReplay(ReplayLoss, Gdas):
    Config = GdasReplayConfig
