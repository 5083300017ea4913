"""E²NAS (thesis ch. 4, Alg. 4) and E²NAS-R (Eq. 4.13-4.15): single-path differentiable search
in the latent space of a graph VAE (Eq. 4.6, ``parts.dvae``, trained offline: input ``dvae``).

The architecture variable is a latent z (init: the encoder mean of a uniformly random cell).
Each step (Alg. 4):

1. decode z to the discrete cell alpha_i (``GraphVAE.decode`` then ``space.decode``);
2. train the supernet weights on a training batch with the complementation loss of Eq. 4.12
   (``parts.replay``: eps = 0.5, replay ``ac``: alpha_{i-1} and the complementary cell);
3. add alpha_i (its latent and ||w_perp||) to the archive A of the last 50 cells;
4. update z by Adam on a validation batch with (1 - gamma) grad L_val + gamma grad L_N (Eq. 4.7),
   L_N = log p_A (Eq. 4.11, ``parts.latent_novelty``), plus zeta grad L_depth for E²NAS-R
   (Eq. 4.15). gamma is static (``gamma``) or Sig_gamma(``gamma_sigmoid_b``) of the epoch
   (Eq. 4.16; default Sig_gamma(10), Table 4.1).

The validation gradient reaches z straight-through (as GDAS' does alpha): the supernet runs its
hard forward (``weights`` + ``choice``) on alpha_i's operations with
weights = hard + soft - stopgrad(soft), hard = ``space.one_hot(alpha_i)``, soft =
``space.graph_weights(decode_probs(z))`` (equal to hard for a hard graph), so its value is the
discrete cell's loss and its gradient flows through the decoder's probabilities into z.
E²NAS-R's depth term (Eq. 4.14) is made differentiable the same way: L_depth = -(1/M) sum_m
l0(soft_m), soft_m = ``graph_weights(decode_probs(z + delta_m))``, delta_m ~ N(0, ``depth_noise``^2 I),
M = ``depth_samples`` = 10, and l0(w) = sum over the i-1 -> i edges (``space.depth_edges()``) of
the edge's non-``none`` weight, which counts those edges for a hard cell. derive() decodes z.

Released code (``fidelity: released`` on NAS-Bench-201, issue #25; docs/methods.md): the
author's E²NAS notebook adds the novelty to the architecture loss as a float
(``novelty_as_value``: z's gradient is (1 - gamma) grad L_val alone) and its reconstruction
distance compares a list with itself, so it is always 0 (``novelty_distance_zero``: the W_perp
factor at ||w_perp|| = 0); the replay losses are floats too (``parts.replay``). That notebook
also searches GDAS' Gumbel alphas directly, the D-VAE serving the novelty only; the released
variant keeps the latent z (not reproduced, docs/methods.md).

Cost (issue #23): the graph VAE works on one latent at a time (batch 1, hidden 501 at the
thesis' size), so its decodes, the Jacobian of Eq. 4.8 and the gradient through them run on one
intra-op thread (``utils.device.intra_op_threads``; the supernet's forward and backward keep all
threads): L_val's gradient is taken down to the (edge, operation) weights first, on all threads,
and joins z's gradient through the decoder as J_soft^T g (the same chain rule).

Choices where the thesis is silent (docs/methods.md): the Adam of z is the NAS-Bench-201
architecture optimizer (lr ``a_lr`` 3e-4, betas (0.5, 0.999), weight decay 1e-3, which pulls z
toward the prior mean); delta's scale 0.1; the current cell is added to A before the z step
(Alg. 4 line 5), with no novelty term while A is empty; the VAE is frozen (eval mode).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from nasrepro.methods.base import ArchConfig, SearchMethod
from nasrepro.methods.parts.latent_novelty import (LatentArchive, log_novelty, rotated,
                                                   sigmoid_gamma, tangent_of)
from nasrepro.methods.parts.replay import EENAS_NB201, ReplayLoss, ReplayParams
from nasrepro.params import ConfigError, hp, released
from nasrepro.registry import METHODS
from nasrepro.spaces.base import InvalidArchError, SearchSpace
from nasrepro.utils.device import intra_op_threads


@dataclass
class E2nasConfig(ReplayParams, ArchConfig):
    epochs: int = hp(250, 1)                      # GDAS' NAS-Bench-201 protocol (§4.4.1.6)
    gamma: float | None = hp(None, 0, 1)          # static gamma; None: Sig_gamma(gamma_sigmoid_b)
    gamma_sigmoid_b: float = hp(10.0, 0)
    archive_size: int = hp(50, 1)
    min_bandwidth: float = hp(0.05, 0, low_open=True)
    depth_weight: float = hp(0.0, 0)              # zeta of Eq. 4.15 (E²NAS-R: 0.05)
    depth_samples: int = hp(10, 1)                # M of Eq. 4.14
    depth_noise: float = hp(0.1, 0, low_open=True)
    novelty_as_value: bool = released(
        f"{EENAS_NB201} lines 70, 77 (cal_novelty returns a numpy float; arch_loss = (1 - eta) "
        "a_loss + eta Novelty)",
        "the novelty L_N enters Eq. 4.7 as a float: in the logged objective, not in z's gradient")
    novelty_distance_zero: bool = released(
        f"{EENAS_NB201.replace('cell 4', 'cell 2')} lines 19-24 (cal_arch_dis tests list1[i] == "
        "list1[i]: the distance is 0 for every pair), 119-121 (logPe)",
        "the reconstruction distance of the novelty is 0: the W_perp factor of Eq. 4.11 at "
        "||w_perp|| = 0, the constant -k/2 log(2 pi sigma^2)")


def relaxed_depth(space, weights: dict[str, torch.Tensor]) -> torch.Tensor:
    """l0^depth of Eq. 4.13 on (edge, operation) weights: the summed non-``none`` weight of the
    i-1 -> i edges (``space.depth_edges()``); for ``one_hot(a)`` the number of such edges of a."""
    none = space.ops.index("none")
    total = 0.0
    for name, rows in space.depth_edges().items():
        w = weights[name][rows]
        total = total + w.sum() - w[:, none].sum()
    return total


@METHODS.register("e2nas")
class E2nas(ReplayLoss, SearchMethod):
    Config = E2nasConfig
    inputs = ("dvae",)
    released = {"nb201": {"replay_loss_as_value": True, "novelty_as_value": True,
                          "novelty_distance_zero": True}}

    @classmethod
    def supports(cls, space) -> bool:
        """E²NAS needs the optional ``decode`` and ``graph_weights`` of the contract."""
        return super().supports(space) and all(getattr(type(space), f) is not getattr(SearchSpace, f)
                                               for f in ("decode", "graph_weights"))

    def __init__(self, ctx):
        super().__init__(ctx)
        self.archive = LatentArchive(self.cfg.archive_size, self.cfg.min_bandwidth)
        self.gamma = self.cfg.gamma if self.cfg.gamma is not None else sigmoid_gamma(
            0, self.cfg.epochs, self.cfg.gamma_sigmoid_b)
        self.vae = self.z = self.a_opt = None

    def setup(self) -> None:
        """Load the frozen graph VAE (input ``dvae``) and start z at a random cell's encoding."""
        from nasrepro.methods.parts.dvae import GraphVAE

        path = self.ctx.inputs.get("dvae")
        if path is None:
            raise ConfigError("e2nas needs the trained graph VAE: pass the input 'dvae' (a "
                              "checkpoint of parts.dvae.GraphVAE for this space)")
        self.vae = GraphVAE.load(path).to(self.device).eval()
        for p in self.vae.parameters():
            p.requires_grad_(False)
        with torch.no_grad():
            mu, _ = self.vae.encode([self.space.encode(self.sample_cell())])
        self.z = nn.Parameter(mu[0].detach().clone())
        self.a_opt = torch.optim.Adam([self.z], lr=self.cfg.a_lr,
                                      betas=(self.cfg.a_beta1, self.cfg.a_beta2),
                                      weight_decay=self.cfg.a_weight_decay)

    def _check_setup(self) -> None:
        if self.z is None:
            raise RuntimeError("E2nas.setup() loads the graph VAE; call it before the search")

    # --- the decoder as Eq. 4.8's D: R^n -> R^m and the cells it gives -------------------------
    def decoder(self, z: torch.Tensor) -> torch.Tensor:
        """D(z): the decoder's node-type and edge probabilities, flattened."""
        return self.relaxed(z)[0]

    def relaxed(self, z: torch.Tensor) -> tuple[torch.Tensor, dict]:
        """D(z) and its (edge, operation) weights ``space.graph_weights``, from one decode."""
        types, edges = self.vae.decode_probs(z.unsqueeze(0))
        return (torch.cat([types[0].flatten(), edges[0].flatten()]),
                self.space.graph_weights(types[0], edges[0]))

    def graph_vector(self, graph) -> torch.Tensor:
        """A discrete cell graph in D's layout: one-hot node types [n, T], then the edge
        indicators [n, n] with [i, j] for j -> i (``decode_probs``' layout)."""
        types = torch.nn.functional.one_hot(torch.tensor(graph.type_indices()), len(graph.types))
        return torch.cat([types.flatten().float(), graph.adjacency().T.flatten()]).to(self.device)

    def soft_weights(self, z: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.relaxed(z)[1]

    def decode_cell(self):
        """(alpha_i, its graph, valid) decoded from z: ``space.decode`` of the decoded graph; a
        graph that encodes no cell of the space (valid = False) falls back to ``discretize`` of
        its relaxed weights, the graph then being that cell's own encoding."""
        with torch.no_grad(), intra_op_threads(1):
            graph = self.vae.decode(self.z.detach().unsqueeze(0))[0]
            try:
                return self.space.decode(graph), graph, True
            except InvalidArchError:
                cell = self.space.discretize(self.soft_weights(self.z.detach()))
                return cell, self.space.encode(cell), False

    # --- Eq. 4.7 / 4.15 --------------------------------------------------------------------------
    def hard_forward(self, cell, soft: dict) -> dict:
        """Straight-through forward kwargs of ``cell``: hard values, ``soft`` gradients."""
        hard = self.space.one_hot(cell)
        none = self.space.ops.index("none") if "none" in self.space.ops else 0
        weights, choice = {}, {}
        for name, rows in hard.items():
            rows = rows.to(self.device)
            weights[name] = rows + soft[name] - soft[name].detach()
            choice[name] = [int(r.argmax()) if float(r.sum()) > 0 else none for r in rows]
        return {"weights": weights, "choice": choice}

    def depth_loss(self, z: torch.Tensor) -> torch.Tensor:
        """L_depth of Eq. 4.14: minus the mean relaxed depth count (``relaxed_depth``) of M noisy
        decodes z + delta_m."""
        total = 0.0
        gen = self._generator()
        for _ in range(self.cfg.depth_samples):
            noise = torch.randn(z.shape, generator=gen, dtype=z.dtype).to(z.device)
            total = total + relaxed_depth(self.space, self.soft_weights(z + self.cfg.depth_noise * noise))
        return -total / self.cfg.depth_samples

    def _generator(self) -> torch.Generator:
        return torch.Generator().manual_seed(self.ctx.rng.getrandbits(63))

    def arch_objective(self, valid_batch, cell, graph) -> tuple[torch.Tensor, dict]:
        """(1 - gamma) L_val + gamma L_N (+ zeta L_depth) at z; adds the cell to the archive
        first (Alg. 4 line 5)."""
        z = self.z
        logs = {"gamma": self.gamma}
        objective = 0.0
        with intra_op_threads(1):
            decoded, soft = self.relaxed(z)
        if self.gamma < 1:
            val, through = self.validation_loss(valid_batch, cell, soft, 1 - self.gamma)
            objective = (1 - self.gamma) * val + through
            logs["arch_loss"] = float(val)
        with intra_op_threads(1):
            objective = self.decoder_terms(objective, z, decoded, graph, logs)
        return objective, logs

    def validation_loss(self, valid_batch, cell, soft: dict, weight: float
                        ) -> tuple[torch.Tensor, torch.Tensor]:
        """L_val of the straight-through hard forward (``hard_forward``, a value) and a term of
        value 0 whose gradient in z is that of ``weight`` L_val: the supernet's backward of
        ``weight`` L_val is taken first, down to the soft weights (on all threads), and joins z
        through the decoder as J_soft^T g, the numbers a single backward of the whole objective
        gives (tested bit for bit)."""
        leaves = {k: v.detach().requires_grad_(True) for k, v in soft.items()}
        val = self.loss(valid_batch, **self.hard_forward(cell, leaves))
        grads = torch.autograd.grad(weight * val, list(leaves.values()), allow_unused=True)
        through = sum((soft[k] * g).sum() for k, g in zip(leaves, grads) if g is not None)
        return val.detach(), through - through.detach()

    def decoder_terms(self, objective, z: torch.Tensor, decoded: torch.Tensor, graph,
                      logs: dict):
        """``objective`` + gamma L_N (+ zeta L_depth), the terms computed through the decoder."""
        if self.gamma > 0:  # the archive serves only L_N: with gamma = 0 it stays empty
            tan = tangent_of(decoded, z)
            perp = rotated(tan, self.graph_vector(graph))[1]
            self.archive.add(z, float(perp.detach()))
            novelty = log_novelty(tan, z, perp, self.archive, self.cfg.novelty_distance_zero)
            if self.cfg.novelty_as_value:  # the released code's float: logged, no z gradient
                novelty = novelty._replace(loss=novelty.loss.detach())
            objective = objective + self.gamma * novelty.loss
            logs["novelty_loss"] = float(novelty.loss.detach())
        if self.cfg.depth_weight > 0:
            depth = self.depth_loss(z)
            objective = objective + self.cfg.depth_weight * depth
            logs["depth_loss"] = float(depth.detach())
        return objective

    def step(self, train_batch, valid_batch) -> dict:
        self._check_setup()
        cell, graph, valid = self.decode_cell()
        train_loss = self.train_cell(train_batch, cell)
        self.supernet.train()
        objective, logs = self.arch_objective(valid_batch, cell, graph)
        self.a_opt.zero_grad(set_to_none=True)
        with intra_op_threads(1):  # the graph left is the decoder's (validation_loss)
            self.z.grad, = (torch.autograd.grad(objective, [self.z]) if objective.requires_grad
                            else [torch.zeros_like(self.z)])  # gamma = 1 with a float novelty
        self.a_opt.step()
        return {"train_loss": train_loss, "invalid_decode": float(not valid), **logs}

    def begin_epoch(self, epoch: int) -> dict:
        if self.cfg.gamma is None:
            self.gamma = sigmoid_gamma(epoch, self.cfg.epochs, self.cfg.gamma_sigmoid_b)
        return {**super().begin_epoch(epoch), "gamma": self.gamma}

    def derive(self, valid_batches=None, final: bool = True):
        self._check_setup()
        return self.decode_cell()[0]

    def state_dict(self) -> dict:
        self._check_setup()
        return {**super().state_dict(), "z": self.z.detach().clone(), "a_opt": self.a_opt.state_dict(),
                "archive": self.archive.state_dict(), "gamma": self.gamma}

    def load_state_dict(self, state: dict) -> None:
        self._check_setup()
        super().load_state_dict(state)
        with torch.no_grad():
            self.z.copy_(state["z"])
        self.a_opt.load_state_dict(state["a_opt"])
        self.archive.load_state_dict(state["archive"])
        self.gamma = state["gamma"]
