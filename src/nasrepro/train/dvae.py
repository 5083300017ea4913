"""Training the D-VAE of E²NAS (thesis §4.3.1.1) on a space's cells, and its report.

Data: NAS-Bench-201: all 15,625 cells, split 80/10/10 (train/validation/test) by ``seed``; the
DARTS space cannot be enumerated, so ``cells`` distinct uniformly sampled cells are split the same
way. ``cells`` on NAS-Bench-201 trains on the first ``cells`` training cells only (the default
profile's subset; the report says so). Training: Adam, mini-batches of ``batch_size`` graphs, the
summed objective ``recon + KL_WEIGHT * kl`` of D-VAE, one checkpoint per epoch
(``nasrepro.train.epochs``: a killed job resumes at its last finished epoch).

Report (``report.json`` / ``report.md``), on the held-out test cells and the prior:

- reconstruction: the decoder's greedy graph from the encoder's mean, compared with the cell:
  ``exact`` (fraction of cells reproduced exactly) and ``per_node`` (fraction of nodes with the
  right type and the right set of incoming edges);
- validity: the fraction of ``prior_samples`` decodings of z ~ N(0, I) that ``space.decode``
  accepts (D-VAE's prior-validity experiment, decoded greedily);
- injectivity: the fraction of distinct held-out cells whose mean differs (max-norm > 1e-6) from
  every other held-out cell's mean.
"""

from __future__ import annotations

import dataclasses
import logging
import random
from dataclasses import dataclass
from pathlib import Path

import torch

from nasrepro.methods.parts.dvae import KL_WEIGHT, GraphVAE
from nasrepro import registry
from nasrepro.params import build_config, hp
from nasrepro.spaces.base import CellGraph, SearchSpace
from nasrepro.train.epochs import clear_state, run_epochs
from nasrepro.utils.atomic import write_json, write_text

log = logging.getLogger(__name__)
SPLIT = (0.8, 0.1, 0.1)
INJECTIVE_TOL = 1e-6


@dataclass
class DvaeConfig:
    """D-VAE training (thesis §4.4: hidden 501, latent 30, bidirectional encoder, Adam lr 1e-4,
    batch 32, 100 epochs). ``cells``: cells used (null: the whole space, which only enumerable
    spaces allow); ``eval_cells``: validation and test cells scored (null: all);
    ``prior_samples``: z ~ N(0, I) decoded for validity (D-VAE: 1000); ``seed``: split, sampling
    and initialisation."""

    hidden: int = hp(501, 1)
    latent: int = hp(30, 1)
    bidirectional: bool = hp(True)
    epochs: int = hp(100, 1)
    batch_size: int = hp(32, 1)
    lr: float = hp(1e-4, 0, low_open=True)
    cells: int | None = hp(None, 10)
    eval_cells: int | None = hp(None, 1)
    prior_samples: int = hp(1000, 1)
    seed: int = hp(0, 0)


def dataset(space: SearchSpace, cfg: DvaeConfig) -> tuple[dict[str, list[CellGraph]], str]:
    """{train, valid, test} cell graphs and a sentence on where they come from."""
    rng = random.Random(cfg.seed)
    if hasattr(space, "enumerate"):
        archs = list(space.enumerate())
        rng.shuffle(archs)
        source = f"all {len(archs):,} cells of the space"
    else:
        if cfg.cells is None:
            raise ValueError(f"dvae.{space.name}.cells must be set: the {space.name} space is too "
                             "large to enumerate, so the D-VAE trains on that many sampled cells")
        seen: dict = {}
        for _ in range(100 * cfg.cells):
            seen.setdefault(space.sample(rng), None)
            if len(seen) == cfg.cells:
                break
        archs = list(seen)
        source = f"{len(archs):,} distinct uniformly sampled cells"
    n_train, n_valid = int(SPLIT[0] * len(archs)), int(SPLIT[1] * len(archs))
    split = {"train": archs[:n_train], "valid": archs[n_train:n_train + n_valid],
             "test": archs[n_train + n_valid:]}
    if hasattr(space, "enumerate") and cfg.cells is not None and cfg.cells < n_train:
        source += f", split 80/10/10; trained on a subset of {cfg.cells:,} of the {n_train:,} training cells"
        split["train"] = split["train"][:cfg.cells]
    else:
        source += ", split 80/10/10"
    if cfg.eval_cells is not None:
        split["valid"], split["test"] = split["valid"][:cfg.eval_cells], split["test"][:cfg.eval_cells]
    return {k: [space.encode(a) for a in v] for k, v in split.items()}, source


def _batches(graphs: list[CellGraph], size: int, generator: torch.Generator):
    order = torch.randperm(len(graphs), generator=generator).tolist()
    for i in range(0, len(order), size):
        yield [graphs[k] for k in order[i:i + size]]


def train(space: SearchSpace, cfg: DvaeConfig, data: dict[str, list[CellGraph]], device,
          state_dir: Path, fingerprint: str) -> tuple[GraphVAE, list[dict]]:
    """Train a ``GraphVAE`` on ``data["train"]`` (one checkpoint per epoch in ``state_dir``);
    each epoch's record has the mean training loss terms per graph and the validation
    reconstruction loss per graph."""
    example = data["train"][0]
    torch.manual_seed(cfg.seed)
    model = GraphVAE(example.types, len(example.node_types), cfg.hidden, cfg.latent,
                     cfg.bidirectional).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)

    def run_epoch(epoch: int, seed: int) -> dict:
        model.train()
        totals = {"recon": 0.0, "kl": 0.0}
        for batch in _batches(data["train"], cfg.batch_size, torch.Generator().manual_seed(seed)):
            recon, kl = model.loss(batch)
            opt.zero_grad()
            (recon + KL_WEIGHT * kl).backward()
            opt.step()
            totals["recon"] += float(recon.detach())
            totals["kl"] += float(kl.detach())
        record = {k: v / len(data["train"]) for k, v in totals.items()}
        if data["valid"]:
            model.eval()
            with torch.no_grad():
                record["valid_recon"] = float(model.loss(data["valid"])[0]) / len(data["valid"])
        return record

    def get_state() -> dict:
        return {"model": model.state_dict(), "opt": opt.state_dict()}

    def set_state(state: dict) -> None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])

    records = run_epochs(cfg.epochs, cfg.seed, state_dir, get_state, set_state, run_epoch,
                         fingerprint=fingerprint)
    return model.eval(), records


def reconstruction(true: list[CellGraph], decoded: list[CellGraph]) -> dict[str, float]:
    """``exact``: fraction of graphs equal to their decoding; ``per_node``: fraction of nodes
    with the same type and the same set of incoming edges."""
    same_nodes = total_nodes = 0
    for a, b in zip(true, decoded, strict=True):
        ins_a = {v: {s for s, d in a.edges if d == v} for v in range(len(a.node_types))}
        ins_b = {v: {s for s, d in b.edges if d == v} for v in range(len(b.node_types))}
        same_nodes += sum(a.node_types[v] == b.node_types[v] and ins_a[v] == ins_b[v]
                          for v in range(len(a.node_types)))
        total_nodes += len(a.node_types)
    return {"exact": sum(a == b for a, b in zip(true, decoded)) / len(true),
            "per_node": same_nodes / total_nodes}


def validity(space: SearchSpace, graphs: list[CellGraph]) -> float:
    """Fraction of ``graphs`` that ``space.decode`` accepts."""
    ok = 0
    for graph in graphs:
        try:
            space.decode(graph)
            ok += 1
        except space.InvalidArch:
            pass
    return ok / len(graphs)


def injectivity(mu: torch.Tensor) -> float:
    """Fraction of rows of ``mu`` (means of distinct cells) farther than ``INJECTIVE_TOL``
    (max-norm) from every other row."""
    if len(mu) < 2:
        return 1.0
    dist = torch.cdist(mu.double(), mu.double(), p=float("inf"))
    dist.fill_diagonal_(float("inf"))
    return float((dist.min(dim=1).values > INJECTIVE_TOL).double().mean())


def evaluate(model: GraphVAE, space: SearchSpace, held_out: list[CellGraph], prior_samples: int,
             seed: int, batch: int = 512) -> dict:
    """The report's three metrics (module docstring) for ``model``."""
    with torch.no_grad():
        mus, decoded = [], []
        for i in range(0, len(held_out), batch):
            mu = model.encode(held_out[i:i + batch])[0]
            mus.append(mu)
            decoded += model.decode(mu)
        gen = torch.Generator().manual_seed(seed)
        z = torch.randn(prior_samples, model.latent, generator=gen).to(model.fc_h0.weight.device)
        prior = [g for i in range(0, len(z), batch) for g in model.decode(z[i:i + batch])]
    return {"reconstruction": reconstruction(held_out, decoded),
            "validity": validity(space, prior),
            "injectivity": injectivity(torch.cat(mus).cpu()),
            "held_out_cells": len(held_out), "prior_samples": prior_samples}


def report_markdown(report: dict) -> str:
    r = report
    lines = [f"# D-VAE on {r['space']} (profile {r['profile']})", "", r["note"], "",
             f"Data: {r['data']}. Model: hidden {r['config']['hidden']}, latent "
             f"{r['config']['latent']}, {'bidirectional' if r['config']['bidirectional'] else 'unidirectional'}"
             f" encoder; {r['config']['epochs']} epochs, batch {r['config']['batch_size']}, Adam lr "
             f"{r['config']['lr']:g}.", "",
             "| metric | value |", "|---|---|",
             f"| reconstruction, whole cell exact ({r['held_out_cells']} held-out cells) | "
             f"{r['reconstruction']['exact']:.4f} |",
             f"| reconstruction, per node | {r['reconstruction']['per_node']:.4f} |",
             f"| validity of prior samples ({r['prior_samples']} z ~ N(0, I)) | {r['validity']:.4f} |",
             f"| injectivity (distinct means of distinct held-out cells) | {r['injectivity']:.4f} |",
             ""]
    return "\n".join(lines)


def run_job(job, device, out: Path, fingerprint: str) -> dict:
    """A ``DvaeJob``: train, save ``out``/dvae.pt, write ``out``/report.json and report.md."""
    space = registry.SPACES.get(job.space)()
    cfg = build_config(DvaeConfig, job.cfg, f"dvae.{job.space}")
    data, source = dataset(space, cfg)
    model, records = train(space, cfg, data, device, out / "_state", fingerprint)
    model.save(out / "dvae.pt")
    thesis = dataclasses.asdict(DvaeConfig())
    changed = [k for k in ("hidden", "latent", "bidirectional", "epochs", "batch_size", "lr")
               if thesis[k] != job.cfg[k]]
    note = (f"Profile '{job.settings.profile}': "
            + (f"small settings ({', '.join(changed)} differ from the thesis'): a check of the "
               "pipeline, not the thesis' D-VAE." if changed else "the thesis' D-VAE settings."))
    report = {"space": job.space, "profile": job.settings.profile, "note": note, "data": source,
              "train_cells": len(data["train"]), "config": job.cfg, "history": records,
              **evaluate(model, space, data["test"], cfg.prior_samples, cfg.seed)}
    write_json(out / "report.json", report)
    write_text(out / "report.md", report_markdown(report))
    clear_state(out / "_state")
    return report
