"""What every search method shares: the context it runs in, its config dataclass, the
supernet-weight optimizer and the interface the search loop drives (``setup``, ``begin_epoch``,
``step``, ``end_epoch``, ``derive``, ``state_dict``).

A method knows no space layout: it sees the ``SearchSpace`` contract (``spaces.base``) through its
``SearchContext``. Architecture parameters are a dict named by ``space.arch_shapes``.

Weight optimizer defaults are the NAS-Bench-201 v1.0 search protocol the thesis follows (§3.4.2,
"all experimental settings follow [41]"): SGD, lr 0.025 annealed by a per-epoch cosine schedule to
0.001, momentum 0.9, Nesterov, weight decay 5e-4, gradient-norm clipping at 5, batch 64.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import torch
from torch import nn

from nasrepro.params import hp
from nasrepro.spaces.base import SearchSpace, Task


@dataclass
class WeightConfig:
    epochs: int = hp(50, 1)
    batch_size: int = hp(64, 1)
    w_lr: float = hp(0.025, 0, low_open=True)
    w_lr_min: float = hp(0.001, 0)
    w_momentum: float = hp(0.9, 0, 1)
    w_nesterov: bool = hp(True)
    w_weight_decay: float = hp(5e-4, 0)
    grad_clip: float = hp(5.0, 0, low_open=True)


@dataclass
class ArchConfig(WeightConfig):
    """Architecture optimizer of the NAS-Bench-201 protocol: Adam lr 3e-4, betas (0.5, 0.999),
    weight decay 1e-3; alpha initialised as 1e-3 * N(0, 1)."""

    a_lr: float = hp(3e-4, 0, low_open=True)
    a_beta1: float = hp(0.5, 0, 1)
    a_beta2: float = hp(0.999, 0, 1)
    a_weight_decay: float = hp(1e-3, 0)
    a_init_std: float = hp(1e-3, 0)


@dataclass
class SearchContext:
    """Everything a method may use. ``rng`` draws discrete choices (re-seeded every epoch by the
    search loop); ``inputs`` are named input files of the job (e.g. a pretrained model);
    ``arch_examples`` is the size of the architecture split (N of BaLeNAS' Eq. 5.12);
    ``train_stream`` yields training batches beyond the one each step gets."""

    space: SearchSpace
    supernet: nn.Module
    config: object
    device: torch.device
    rng: random.Random = field(default_factory=lambda: random.Random(0))  # the job's: its seed
    inputs: dict[str, Path] = field(default_factory=dict)
    arch_examples: int = 0               # examples in the architecture (validation) split
    train_stream: Iterator | None = None  # endless training batches, set per epoch by the loop

    @property
    def task(self) -> Task:
        return self.space.task


class SearchMethod:
    """Base class. Subclasses set ``Config`` and implement ``step`` and ``derive``."""

    Config: type = WeightConfig
    # Named input files the method needs (keys of ``nasrepro.profile.resolve.METHOD_INPUTS``, e.g. "dvae":
    # the space's trained D-VAE); the search rule builds them and passes them in ``ctx.inputs``.
    inputs: tuple[str, ...] = ()
    trained_arch: object = None
    memory: str = "single path"  # what a step trains: "single path" or "whole supernet" (Table 2.1)
    # {space: {config key: value}}: what a run with ``fidelity: released`` sets on each space
    # where the author's released code computes something else than the thesis' equations (its
    # ``params.released`` options, which cite the code, and the settings that code used; issue
    # #25, docs/methods.md). A space absent here has no verified difference.
    released: dict[str, dict] = {}

    @classmethod
    def supports(cls, space: SearchSpace) -> bool:
        """Whether the method is defined on ``space`` (all are, unless a method needs an optional
        part of the contract)."""
        return True

    def __init__(self, ctx: SearchContext):
        self.ctx = ctx
        self.space, self.cfg, self.device = ctx.space, ctx.config, ctx.device
        self.supernet = ctx.supernet.to(ctx.device)
        self.w_opt = torch.optim.SGD(self.supernet.parameters(), lr=self.cfg.w_lr,
                                     momentum=self.cfg.w_momentum, nesterov=self.cfg.w_nesterov,
                                     weight_decay=self.cfg.w_weight_decay)
        self.w_sched = torch.optim.lr_scheduler.CosineAnnealingLR(
            self.w_opt, T_max=self.cfg.epochs, eta_min=self.cfg.w_lr_min)
        self.arch_bias = (self.space.fixed_depth_bias() if getattr(self.cfg, "depth_constraint", False)
                          else None)

    def sample_cell(self):
        """A uniformly random cell of the space, or of its fixed-depth topology (NSAS-C, operations
        uniform on the chain's edges) when the method runs with ``depth_constraint``."""
        if self.arch_bias is None:
            return self.space.sample(self.ctx.rng)
        gen = torch.Generator().manual_seed(self.ctx.rng.getrandbits(63))
        return self.space.discretize({name: bias + torch.randn(bias.shape, generator=gen)
                                      for name, bias in self.arch_bias.items()})

    def setup(self) -> None:
        """Optional phase before the search (e.g. train or load an auxiliary model)."""

    @property
    def w_lr(self) -> float:
        return self.w_opt.param_groups[0]["lr"]

    def loss(self, batch, **forward) -> torch.Tensor:
        """The task loss of the supernet run in the given forward mode on ``batch``."""
        return self.ctx.task.loss(lambda x: self.supernet(x, **forward), batch)

    def weight_step(self, batch, **forward) -> torch.Tensor:
        """One SGD step of the supernet weights on a training batch (the task loss plus the task's
        ``weight_penalty``); the task loss, a tensor on the device (the search loop reads the step statistics once per epoch: no host sync here)."""
        self.supernet.train()
        self.w_opt.zero_grad(set_to_none=True)
        loss = self.loss(batch, **forward)  # + the task's weight penalty (the RNN's AR/TAR)
        (loss + self.ctx.task.weight_penalty(self.supernet)).backward()
        nn.utils.clip_grad_norm_(self.supernet.parameters(), self.cfg.grad_clip)
        self.w_opt.step()
        return loss.detach()

    def train_cell(self, batch, cell, forward: dict | None = None) -> torch.Tensor:
        """The weight step of a single-path method: train ``cell`` on ``batch``, run by the
        supernet's forward kwargs ``forward`` (default: its single-path forward). The multi-cell
        losses (NSAS' Eq. 3.6, E²NAS' Eq. 4.12) replace it; sets ``trained_arch``."""
        self.trained_arch = cell
        return self.weight_step(batch, **(forward or {"arch": cell}))

    def hessian_eigenvalue(self, batches, iters: int, generator: torch.Generator) -> float | None:
        """Methods with continuous architecture parameters report the Hessian's dominant
        eigenvalue of their validation loss w.r.t. them; others have none."""
        return None

    def more_train_batches(self, count: int) -> list:
        """``count`` further training batches on the device (methods with several weight steps
        per search step, e.g. iDARTS' T inner steps), from the loop's ``ctx.train_stream``."""
        return [self.ctx.task.to_device(next(self.ctx.train_stream), self.device)
                for _ in range(count)]

    def inherited_score(self, arch, batches) -> float:
        """The task metric of ``arch`` with inherited supernet weights (eval mode: BatchNorm
        running statistics of the search) on ``batches``."""
        self.supernet.eval()
        try:
            with torch.no_grad():
                return self.ctx.task.score(lambda x: self.supernet(x, arch=arch), batches, self.device)
        finally:
            self.supernet.train()

    def begin_epoch(self, epoch: int) -> dict:
        return {"w_lr": self.w_lr}

    def end_epoch(self) -> None:
        self.w_sched.step()

    def step(self, train_batch, valid_batch) -> dict:
        """One search step: ``train_batch`` for the weights, ``valid_batch`` for the architecture.
        Returns the step's statistics (numbers or 0-d tensors, averaged over the epoch by the
        search loop, which reads tensors once per epoch). Single-path methods set
        ``trained_arch`` to the discrete cell the step trained (``train_cell`` does; the
        forgetting analysis scores it, Fig. 2.2a)."""
        raise NotImplementedError

    def derive(self, valid_batches: Callable[[], object], final: bool = True) -> object:
        """The architecture this method would return now. ``valid_batches(batch_size)`` is an
        endless iterator of fresh, non-augmented validation batches (for methods that score
        candidates). ``final`` is False for the per-epoch search curve, where a method may use a
        cheaper selection than its final one."""
        raise NotImplementedError

    def state_dict(self) -> dict:
        return {"supernet": self.supernet.state_dict(), "w_opt": self.w_opt.state_dict(),
                "w_sched": self.w_sched.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.supernet.load_state_dict(state["supernet"])
        self.w_opt.load_state_dict(state["w_opt"])
        self.w_sched.load_state_dict(state["w_sched"])

    def config_dict(self) -> dict:
        return dataclasses.asdict(self.cfg)


class ArchParamMethod(SearchMethod):
    """Methods with continuous architecture parameters alpha (one ``[edges, ops]`` tensor per
    name of ``space.arch_shapes``, shared by all cells of that kind) optimised by Adam; the
    architecture is the space's ``discretize(alpha)``."""

    Config: type = ArchConfig

    def __init__(self, ctx: SearchContext):
        super().__init__(ctx)
        self.alphas = self.space.init_alphas(self.cfg.a_init_std, ctx.device)
        self.a_opt = torch.optim.Adam(self.alphas.parameters(), lr=self.cfg.a_lr,
                                      betas=(self.cfg.a_beta1, self.cfg.a_beta2),
                                      weight_decay=self.cfg.a_weight_decay)

    def alpha_list(self) -> list[nn.Parameter]:
        return list(self.alphas.values())

    def constrained(self, alphas: dict) -> dict:
        """``alphas`` with the fixed-depth bias added when the method runs with it (NSAS-C)."""
        if self.arch_bias is None:
            return dict(alphas)
        return {name: a + self.arch_bias[name].to(a.device) for name, a in alphas.items()}

    def mixing_weights(self) -> dict[str, torch.Tensor]:
        """softmax(alpha) per edge: the mixing weights of Eq. (1.8)."""
        return {name: a.softmax(dim=-1) for name, a in self.alphas.items()}

    def relaxed_loss(self, batch) -> torch.Tensor:
        """The loss of the continuous relaxation at the current alpha (Eq. 1.8's mixed forward)."""
        return self.loss(batch, weights=self.mixing_weights())

    def hessian_eigenvalue(self, batches, iters: int, generator: torch.Generator) -> float:
        """Dominant eigenvalue of the Hessian of the relaxed validation loss (mean over
        ``batches``) w.r.t. alpha (Fig. 5.6; ``analysis.hessian``)."""
        from nasrepro.analysis.hessian import dominant_eigenvalue

        batches = list(batches)
        return dominant_eigenvalue(lambda: sum(self.relaxed_loss(b) for b in batches) / len(batches),
                                   self.alpha_list(), iters, generator)

    def set_alpha_grads(self, grads) -> None:
        for alpha, grad in zip(self.alpha_list(), grads):
            alpha.grad = grad.detach()

    def derive(self, valid_batches=None, final: bool = True):
        return self.space.discretize(self.constrained({k: a.detach() for k, a in self.alphas.items()}))

    def state_dict(self) -> dict:
        return {**super().state_dict(), "alphas": {k: a.detach().clone() for k, a in self.alphas.items()},
                "a_opt": self.a_opt.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        with torch.no_grad():
            for name, alpha in self.alphas.items():
                alpha.copy_(state["alphas"][name])
        self.a_opt.load_state_dict(state["a_opt"])
