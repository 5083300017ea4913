"""The language-model task of the DARTS recurrent space (thesis §1.2.4, §2.4.2; Liu et al. 2019).

A batch is ``(x, y, tag)``: ``x`` and ``y`` are [B, T] token ids (``y`` is ``x`` shifted by one
token), ``tag`` is [B, 2] holding (stream id, segment index) of each row, as the text datasets of
``nasrepro.data.text`` yield them in their sequential (batchified) order. The model is called on an
``LMInput`` (tokens, tag, mode) and returns [B, T, vocabulary] logits; it keeps the hidden state
of each (stream, mode) between calls (``RecurrentState``), so the state is carried across
consecutive BPTT segments and detached between them. ``mode`` is ``"train"`` in ``loss`` (weight
and architecture steps: dropouts on) and ``"score"`` in ``score`` (no dropout, own state), so a
score never disturbs the state of the training streams.

Metric: perplexity = exp(mean token cross entropy over all tokens of the batches), lower is
better (Table 2.2 reports it).
"""

from __future__ import annotations

import math
from typing import Callable, Iterable, NamedTuple

import torch
from torch import nn

from nasrepro.spaces.base import Task


class LMInput(NamedTuple):
    tokens: torch.Tensor   # [B, T] token ids
    tag: torch.Tensor      # [B, 2] (stream id, segment index)
    mode: str              # "train" (dropouts, training state) or "score" (no dropout, own state)


def token_loss(logits: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1),
                                       reduction=reduction)


class LanguageModelTask(Task):
    """Cross entropy over tokens; metric perplexity = exp(mean token loss), lower is better."""

    metric = "perplexity"
    higher_is_better = False

    def loss(self, model: Callable, batch) -> torch.Tensor:
        x, y, tag = batch
        return token_loss(model(LMInput(x, tag, "train")), y)

    def weight_penalty(self, net) -> torch.Tensor | float:
        """DARTS' AR + TAR of the last ``"train"``-mode forward of ``net`` (``RNNLanguageModel.
        activation_penalty``): added to weight steps only, as in DARTS (its architecture loss and
        virtual step have none)."""
        penalty = getattr(net, "activation_penalty", None)
        return 0.0 if penalty is None else penalty

    def score(self, model: Callable, batches: Iterable, device: torch.device) -> float:
        total, tokens = 0.0, 0
        with torch.no_grad():
            for batch in batches:
                x, y, tag = self.to_device(batch, device)
                total += float(token_loss(model(LMInput(x, tag, "score")), y, "sum"))
                tokens += y.numel()
        if tokens == 0:
            raise ValueError("perplexity over an empty set of batches")
        mean = total / tokens
        return math.exp(mean) if mean < 700 else math.inf  # a diverged model: infinite perplexity

    def to_device(self, batch, device: torch.device):
        return tuple(t.to(device, non_blocking=True) for t in batch)


class RecurrentState:
    """Hidden states carried between forward calls, one per (stream, mode). A call on segment
    ``i`` of a stream starts from the state the call on segment ``i - 1`` ended with (detached:
    no gradient flows into earlier segments); a repeated call on the same segment (e.g. the
    several forwards of second-order DARTS) starts from the same state as the first; any other
    segment (a new pass starts at 0) or a new batch size starts from zeros. Not part of the
    module's ``state_dict``: every epoch begins a new pass."""

    def __init__(self):
        self.slots: dict[tuple[int, str], tuple[int, torch.Tensor, torch.Tensor]] = {}

    def initial(self, inp: LMInput, nhid: int, like: torch.Tensor) -> torch.Tensor:
        stream, pos = int(inp.tag[0, 0]), int(inp.tag[0, 1])
        batch = inp.tokens.shape[0]
        slot = self.slots.get((stream, inp.mode))
        if slot is not None and slot[1].shape[0] == batch:
            last, h_in, h_out = slot
            if pos == last:
                return h_in
            if pos == last + 1:
                return h_out
        return like.new_zeros(batch, nhid)

    def update(self, inp: LMInput, h_in: torch.Tensor, h_out: torch.Tensor) -> None:
        key = (int(inp.tag[0, 0]), inp.mode)
        self.slots[key] = (int(inp.tag[0, 1]), h_in.detach(), h_out.detach())

    def clear(self) -> None:
        self.slots.clear()
