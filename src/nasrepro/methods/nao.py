"""NAO with weight sharing (NAO-WS; Luo et al. 2018, "Neural Architecture Optimization"), the
thesis' NAO* baseline (Tables 4.1, 4.2, 4.5): an encoder-predictor-decoder over the cells' token
sequences (``parts.seq2seq``) and a weight-sharing supernet that scores its pool of cells.

1. the pool starts as ``seed_archs`` uniformly random cells;
2. supernet training: every step trains the single path of a cell drawn uniformly from the pool
   (NAO-WS' child training on the architecture pool);
3. at each of ``cycles`` boundaries (after epochs round(k * epochs / (cycles + 1)), k = 1..cycles)
   the pool is scored by inherited-weight validation accuracy (``eval_batches`` batches of
   ``eval_batch_size``, eval mode), the encoder-predictor-decoder is trained ``ctrl_epochs``
   epochs on (cell, min-max normalised score) with lambda * MSE + (1 - lambda) * reconstruction
   (lambda = ``trade_off``), and new cells come from gradient ascent in the encoder's output
   space, decode(e + eta * grad f(e)), started from the ``top_k`` best cells; eta grows as
   ``eta`` * 1, 2, 3, ... up to ``max_eta`` until ``new_archs`` cells not yet in the pool are
   found (NAO-WS increases the step size the same way when too few new cells come out); the pool
   becomes the ``top_k`` best cells plus the new ones;
4. derive: after the last epoch the pool is scored again and its best cell is returned; on earlier
   epochs (the per-epoch search curve) the best cell of the latest scoring, without re-scoring
   (the thesis profile's pool of hundreds of cells would otherwise be scored every epoch).

Choices where the paper or the thesis is silent or where this scales NAO-WS (docs/methods.md):
defaults follow the NAO-WS release as far as it is documented (seed pool 1000, 3 controller
cycles, lambda 0.8, ascent from the top 100, 300 new cells, step size up to 100, Adam 1e-3 for
the controller) with hidden sizes 64 and embedding 32 for the short NB201/DARTS token sequences;
the decoder uses attention; the token sequence and its decoding through ``space.discretize`` are
those of ``parts.seq2seq`` (always a valid cell). Default 250 epochs (the NAS-Bench-201 protocol
of the other baselines).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch
from torch import nn

from nasrepro.methods.base import SearchMethod, WeightConfig
from nasrepro.methods.parts.seq2seq import Seq2Seq, cell_tokens, rows_to_alphas
from nasrepro.params import hp
from nasrepro.registry import METHODS


@dataclass
class NaoConfig(WeightConfig):
    epochs: int = hp(250, 1)
    cycles: int = hp(3, 1)
    seed_archs: int = hp(1000, 2)
    top_k: int = hp(100, 1)
    new_archs: int = hp(300, 1)
    trade_off: float = hp(0.8, 0, 1)       # lambda of NAO's loss
    eta: float = hp(10.0, 0, low_open=True)
    max_eta: float = hp(100.0, 0, low_open=True)
    ctrl_epochs: int = hp(1000, 1)
    ctrl_batch: int = hp(100, 1)
    ctrl_lr: float = hp(1e-3, 0, low_open=True)
    embed_size: int = hp(32, 1)
    hidden_size: int = hp(64, 1)
    mlp_hidden: int = hp(64, 1)
    eval_batches: int = hp(1, 1)
    eval_batch_size: int = hp(512, 1)


@METHODS.register("nao")
class Nao(SearchMethod):
    Config = NaoConfig

    @classmethod
    def supports(cls, space) -> bool:
        """The token sequence needs every architecture row to be one edge's operations (not,
        as NAS-Bench-1Shot1's input rows, a choice of several parents)."""
        return super().supports(space) and all(ops == len(space.ops)
                                               for _, ops in space.arch_shapes.values())

    def __init__(self, ctx):
        super().__init__(ctx)
        self.controller = Seq2Seq(len(self.space.ops) + 1, self.cfg.embed_size,
                                  self.cfg.hidden_size, self.cfg.mlp_hidden).to(self.device)
        self.c_opt = torch.optim.Adam(self.controller.parameters(), lr=self.cfg.ctrl_lr)
        pool: dict[str, object] = {}
        for _ in range(100 * self.cfg.seed_archs):
            if len(pool) == self.cfg.seed_archs:
                break
            arch = self.space.sample(ctx.rng)
            pool.setdefault(self.space.to_string(arch), arch)
        self.pool = list(pool.values())
        self.scores: list[float] | None = None
        self.epoch = 0
        edges = [round(k * self.cfg.epochs / (self.cfg.cycles + 1)) for k in range(1, self.cfg.cycles + 1)]
        self.boundaries = {e for e in edges if 0 < e < self.cfg.epochs}

    def step(self, train_batch, valid_batch) -> dict:
        return {"train_loss": self.train_cell(train_batch, self.ctx.rng.choice(self.pool))}

    def begin_epoch(self, epoch: int) -> dict:
        self.epoch = epoch
        return {**super().begin_epoch(epoch), "pool": len(self.pool)}

    def score_pool(self, valid_batches) -> None:
        batches = valid_batches(self.cfg.eval_batch_size)
        self.scores = [self.inherited_score(a, list(itertools.islice(batches, self.cfg.eval_batches)))
                       for a in self.pool]

    def ranked(self) -> list:
        """The pool, best inherited score first."""
        order = sorted(range(len(self.pool)), key=lambda i: self.scores[i],
                       reverse=self.ctx.task.higher_is_better)
        return [self.pool[i] for i in order]

    def tokens(self, archs) -> torch.Tensor:
        return torch.tensor([cell_tokens(self.space, a) for a in archs], device=self.device)

    def train_controller(self) -> float:
        """``ctrl_epochs`` epochs of NAO's loss on the scored pool (targets min-max normalised;
        a worse-is-higher metric is negated first, so that f always rises toward better cells)."""
        sign = 1.0 if self.ctx.task.higher_is_better else -1.0
        y = torch.tensor([sign * s for s in self.scores], dtype=torch.float32, device=self.device)
        y = (y - y.min()) / (y.max() - y.min()).clamp_min(1e-8)
        tokens = self.tokens(self.pool)
        gen = torch.Generator().manual_seed(self.ctx.rng.getrandbits(63))
        self.controller.train()
        total = 0.0
        for _ in range(self.cfg.ctrl_epochs):
            for idx in torch.randperm(len(self.pool), generator=gen).split(self.cfg.ctrl_batch):
                idx = idx.to(self.device)
                self.c_opt.zero_grad(set_to_none=True)
                loss = self.controller.loss(tokens[idx], y[idx], self.cfg.trade_off)
                loss.backward()
                nn.utils.clip_grad_norm_(self.controller.parameters(), 5.0)
                self.c_opt.step()
                total = float(loss.detach())
        return total

    def propose(self, starts) -> list:
        """New cells by gradient ascent from ``starts`` with growing step sizes (NAO Eq. 2)."""
        self.controller.eval()
        known = {self.space.to_string(a) for a in self.pool}
        tokens, new = self.tokens(starts), {}
        for k in itertools.count(1):
            eta = self.cfg.eta * k
            if eta > self.cfg.max_eta or len(new) >= self.cfg.new_archs:
                break
            rows = self.controller.decode_rows(self.controller.ascend(tokens, eta), len(self.space.ops))
            for r in rows.cpu():
                arch = self.space.discretize(rows_to_alphas(self.space, r))
                key = self.space.to_string(arch)
                if key not in known and key not in new and len(new) < self.cfg.new_archs:
                    new[key] = arch
        return list(new.values())

    def derive(self, valid_batches, final: bool = True):
        if final or self.epoch + 1 in self.boundaries:
            self.score_pool(valid_batches)
        if not final and self.epoch + 1 in self.boundaries:
            best = self.ranked()[0]
            self.train_controller()
            top = self.ranked()[:self.cfg.top_k]
            self.pool = top + self.propose(top)
            self.scores = None
            return best
        return self.ranked()[0] if self.scores is not None else self.pool[0]

    def state_dict(self) -> dict:
        return {**super().state_dict(), "controller": self.controller.state_dict(),
                "c_opt": self.c_opt.state_dict(), "scores": self.scores,
                "pool": [self.space.to_string(a) for a in self.pool]}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.controller.load_state_dict(state["controller"])
        self.c_opt.load_state_dict(state["c_opt"])
        self.scores = state["scores"]
        self.pool = [self.space.from_string(s) for s in state["pool"]]
