"""One search step of the thesis author's released code, timed on random tensors (issue #23
item 1; the child process of ``compare_reference.py author`` and ``author-darts``).

The author's code is read from ``--reference-root`` (default /tmp/perfauthor, exported from
miaozhang0525/iDARTS, EENAS, NSAS_FOR_CVPR and ENNAS_MASTER as docs/performance.md says) and run,
never copied: on NAS-Bench-201 the notebook cells that define each method's ``search_func`` are
executed from the ``.ipynb`` file as they stand, with the repository's own ``lib``; EN²AS (DARTS
CNN space) runs ``CNN/ENNAS.py``'s ``Random_NAS.get_arch`` + ``DartsWrapper.train_batch``. The
torch 2.x / numpy 2 / CPU patches are listed in ``PATCHES`` (each must match its text the stated
number of times, or the run stops).
The harness, like ``../shared/perf-reference/bench_autodl.py``: data are random tensors of the
given shape; ``.cuda()`` is the identity (the code calls it on tensors, modules and criteria);
``DataParallel`` without GPUs runs the module; the logger is a sink. A step is the time between
the loop taking batch k and asking for batch k + 1, i.e. all that the released loop does for one
step (iDARTS' ``next(iter(xloader))`` draws inside the step are fresh random batches too).

    python bench/bench_author.py --method e2nas --config full --threads 2 --iters 3 --warmup 1

prints ``RESULT_JSON:{"median_s": ..., "peak_rss_mb": ...}``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

CONFIGS = {"full": dict(C=16, N=5, batch=64, size=32), "reduced": dict(C=8, N=1, batch=64, size=16)}
DARTS_CONFIGS = {"full": dict(C=16, layers=8, batch=64, size=32),   # compare_reference's ``darts``
                 "reduced": dict(C=8, layers=5, batch=32, size=16)}
LOADER_LEN = 391  # len(search_loader) of CIFAR-10's 25,000 search images at batch 64
NSAS = "NSAS_FOR_CVPR/NSAS_Bench201"
EENAS = "EENAS/EENAS-NAS-BENCH201-for-NeurIPS2020"
ZERO_GRADIENTS = ("def zero_gradients(x):\n    if x.grad is not None:\n"
                  "        x.grad.detach_()\n        x.grad.zero_()\n")
# method: the repository folder, its notebook, the code cells that define search_func, the
# supernet name of models.get_cell_based_tiny_net and the optimiser config the notebook loads
METHODS = {
    "idarts": dict(repo="iDARTS/NAS_Bench201_codes", notebook="exps/algos/iDARTS_V2.ipynb",
                   cells=(0, 1, 2), model="DARTS-V2", config="DARTS.config"),
    "e2nas": dict(repo=EENAS, notebook="exps/algos/EENAS_relaxation_exploration_10_0.5_seed0.ipynb",
                  cells=(0, 1, 2, 3, 4), model="EENAS", config="EENAS.config"),
    "random-nas-nsas": dict(repo=NSAS, notebook="exps/algos/random_NAS_NSAS_0.2_seed0.ipynb",
                            cells=(0, 1, 2), model="RANDOM", config="RANDOM.config"),
    "gdas-nsas": dict(repo=NSAS, notebook="exps/algos/GDAS_NSAS_0.2_seed0.ipynb",
                      cells=(0, 1, 2), model="GDAS", config="GDAS.config"),
}
ACCURACY = ("utils/evaluation_utils.py", "correct[:k].view(-1)", "correct[:k].reshape(-1)", 1,
            "torch >= 1.5: view of a non-contiguous slice fails (AutoDL-Projects' patch)")
# (notebook cell, or a file relative to the import root: lib/ or CNN/; old text, new text, times,
# why): torch >= 2 / numpy >= 2 / Python 3. Files are patched as they are imported
# (``PatchingLoader``) or, ENNAS.py, read.
PATCHES = {
    "idarts": [ACCURACY],
    "random-nas-nsas": [ACCURACY],
    "gdas-nsas": [ACCURACY],
    "e2nas": [
        ACCURACY,
        (2, "from torch.autograd.gradcheck import zero_gradients\n", ZERO_GRADIENTS, 1,
         "torch 2 removed torch.autograd.gradcheck.zero_gradients: its three lines"),
        (2, "normed=True", "density=True", 1, "numpy 2 removed np.histogram's normed (same value)"),
        (1, ", verbose=True)", ")", 1, "torch 2 removed ReduceLROnPlateau's verbose (a log switch)"),
        ("models/cell_searchs/search_model_eenas.py", ", verbose=True)", ")", 1,
         "the same line in the supernet module, run at its import"),
    ],
    "en2as": [
        ("ENNAS.py", "cuda(async=True)", "cuda(non_blocking=True)", 2,
         "async is a keyword since Python 3.7 (a syntax error)"),
        ("utils.py", "correct[:k].view(-1)", "correct[:k].reshape(-1)", 1,
         "torch >= 1.5: view of a non-contiguous slice fails (AutoDL-Projects' patch)"),
    ],
}
# ENNAS.py has no __main__ guard: its search script starts at this line (argparse, folders under
# /data, CIFAR-10); the harness runs the definitions above it
ENNAS_SCRIPT_START = "sys.argv=['']; del sys\n"
# imported by the E²NAS D-VAE's util.py for drawing only (a C library): an empty module
STUBS = ("pygraphviz",)
# ENNAS.py DartsWrapper's settings (its __init__ reads CIFAR-10, so the harness sets them itself)
ENNAS_SGD = dict(lr=0.025, momentum=0.9, weight_decay=3e-4)
ENNAS_GRAD_CLIP, ENNAS_EPOCHS = 5, 50
ARCH_LR, ARCH_WD = 3e-4, 1e-3  # the notebooks' --arch_learning_rate, --arch_weight_decay
TAU_MAX = 10.0                 # GDAS' tau at epoch 0
ARCHIVE = 50                   # E²NAS' num_store: novelty is computed once the archive is full


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class NullLogger:
    def log(self, message) -> None:
        pass


class Loader:
    """Random (base, base targets, arch, arch targets) batches; the first ``iter()`` is the
    loop's and is timed (``enter``/``exit`` stamps), any later one (iDARTS' ``next(iter(xloader))``
    inside a step) draws one more random quad."""

    def __init__(self, n: int, make):
        self.n, self.make, self.outer = n, make, False
        self.enter: list[float] = []
        self.exit: list[float] = []

    def __len__(self) -> int:
        return LOADER_LEN

    def __iter__(self):
        if self.outer:
            return iter([self.make()])
        self.outer = True
        return self._stamped()

    def _stamped(self):
        for _ in range(self.n):
            self.enter.append(time.perf_counter())
            batch = self.make()
            self.exit.append(time.perf_counter())
            yield batch
        self.enter.append(time.perf_counter())

    def durations(self) -> list[float]:
        return [self.enter[k + 1] - self.exit[k] for k in range(len(self.exit))]


def patched(source: str, where, patches) -> str:
    for target, old, new, times, _ in patches:
        if target == where:
            if source.count(old) != times:
                sys.exit(f"patch not applicable to {where}: {old!r} occurs {source.count(old)} "
                         f"times, expected {times}")
            source = source.replace(old, new)
    return source


def install_patches(import_root: Path, patches) -> None:
    """Import the files that ``patches`` name (relative to ``import_root``, a sys.path entry)
    with their patches applied to the source (nothing on disk changes)."""
    import importlib.machinery
    import importlib.util

    class PatchingLoader(importlib.machinery.SourceFileLoader):
        def get_code(self, fullname):
            where = Path(self.path).relative_to(import_root).as_posix()
            return compile(patched(Path(self.path).read_text(), where, patches), self.path, "exec")

    files = {t[: -len(".py")].replace("/", "."): import_root / t
             for t, *_ in patches if isinstance(t, str) and (import_root / t).exists()}

    class PatchingFinder:
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name not in files:
                return None
            return importlib.util.spec_from_file_location(
                name, files[name], loader=PatchingLoader(name, str(files[name])))

    sys.meta_path.insert(0, PatchingFinder)


def notebook_cells(path: Path, cells, patches) -> list[str]:
    code = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    return [patched("".join(code[i]["source"]), i, patches) for i in cells]


def run_en2as(args) -> dict:
    """``Random_NAS.get_arch`` then ``DartsWrapper.train_batch`` (ENNAS.py ``Random_NAS.run``),
    in the archive-filling phase (node_id < 1000: a uniformly random cell, as ours draws
    N(0, I) representations while its archive fills); the weight step runs the whole supernet
    with one-hot weights (``MixedOp``: sum of w * op(x) over every operation)."""
    import torch

    torch.set_num_threads(args.threads)
    torch.Tensor.cuda = lambda self, *a, **k: self
    torch.nn.Module.cuda = lambda self, *a, **k: self
    cfg, root = DARTS_CONFIGS[args.config], Path(args.reference_root) / "ENNAS_MASTER" / "CNN"
    sys.path.insert(0, str(root))
    os.chdir(root)
    random.seed(0)
    torch.manual_seed(0)
    patches = PATCHES["en2as"]
    install_patches(root, patches)
    source = patched((root / "ENNAS.py").read_text(), "ENNAS.py", patches)
    if source.count(ENNAS_SCRIPT_START) != 1:
        sys.exit(f"ENNAS.py: the line {ENNAS_SCRIPT_START!r} that starts its script is not there once")
    space: dict = {"__name__": "author_en2as"}
    exec(compile(source.split(ENNAS_SCRIPT_START)[0], str(root / "ENNAS.py"), "exec"), space)
    import numpy as np

    np.random.seed(0)
    wrapper = object.__new__(space["DartsWrapper"])
    wrapper.args = space["AttrDict"](grad_clip=ENNAS_GRAD_CLIP, report_freq=50)
    wrapper.criterion = torch.nn.CrossEntropyLoss()
    wrapper.model = space["Network"](cfg["C"], 10, cfg["layers"], wrapper.criterion)
    wrapper.optimizer = torch.optim.SGD(wrapper.model.parameters(), ENNAS_SGD["lr"],
                                        momentum=ENNAS_SGD["momentum"],
                                        weight_decay=ENNAS_SGD["weight_decay"])
    wrapper.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(wrapper.optimizer,
                                                                   float(ENNAS_EPOCHS), eta_min=0.001)
    batch, size = cfg["batch"], cfg["size"]
    loader = Loader(args.warmup + args.iters, lambda: (torch.randn(batch, 3, size, size),
                                                       torch.randint(0, 10, (batch,))))
    wrapper.train_queue, wrapper.steps = range(25000 // batch + 1), 0  # len: CIFAR-10's half
    wrapper.train_iter = iter(loader)
    nas = space["Random_NAS"](10**6, wrapper, 0, "/nonexistent")
    for _ in range(args.warmup + args.iters):
        wrapper.train_batch(nas.get_arch())
    next(wrapper.train_iter, None)  # the last step's end stamp
    timed = loader.durations()[args.warmup:]
    return {"method": "en2as", "config": args.config, **cfg, "threads": torch.get_num_threads(),
            "warmup": args.warmup, "iters": len(timed), "median_s": statistics.median(timed),
            "min_s": min(timed), "all_s": timed, "peak_rss_mb": peak_rss_mb()}


def run(args) -> dict:
    import types

    import torch

    torch.set_num_threads(args.threads)
    torch.Tensor.cuda = lambda self, *a, **k: self          # CPU: .cuda() is the identity
    torch.nn.Module.cuda = lambda self, *a, **k: self
    spec, cfg = METHODS[args.method], CONFIGS[args.config]
    repo = Path(args.reference_root) / spec["repo"]
    sys.path.insert(0, str(repo / "lib"))
    for name in STUBS:
        sys.modules.setdefault(name, types.ModuleType(name))
    install_patches(repo / "lib", PATCHES[args.method])
    os.chdir(repo / "exps" / "algos")                        # the notebooks' relative paths
    sys.path.insert(0, os.getcwd())
    random.seed(0)
    torch.manual_seed(0)
    space: dict = {"__name__": f"author_{args.method}"}
    for source in notebook_cells(repo / spec["notebook"], spec["cells"],
                                 PATCHES.get(args.method, [])):
        exec(compile(source, str(repo / spec["notebook"]), "exec"), space)
    import numpy as np

    np.random.seed(0)
    load_config, dict2config = space["load_config"], space["dict2config"]
    config = load_config(str(repo / "configs/nas-benchmark/algos" / spec["config"]),
                         {"class_num": 10, "xshape": (1, 3, cfg["size"], cfg["size"])}, None)
    model = space["get_cell_based_tiny_net"](dict2config(
        {"name": spec["model"], "C": cfg["C"], "N": cfg["N"], "max_nodes": 4, "num_classes": 10,
         "space": space["get_search_spaces"]("cell", "nas-bench-102"), "affine": False,
         "track_running_stats": True}, None))
    weights = model.parameters() if args.method == "random-nas-nsas" else model.get_weights()
    w_opt, w_sched, criterion = space["get_optim_scheduler"](weights, config)
    network = torch.nn.DataParallel(model)
    w_sched.update(0, 0.0)
    batch, size = cfg["batch"], cfg["size"]

    def quad():
        return (torch.randn(batch, 3, size, size), torch.randint(0, 10, (batch,)),
                torch.randn(batch, 3, size, size), torch.randint(0, 10, (batch,)))

    loader = Loader(args.warmup + args.iters, quad)
    search, logger, epoch = space["search_func"], NullLogger(), "000-250"
    if args.method == "random-nas-nsas":
        call = lambda: search(loader, network, criterion, w_sched, w_opt, epoch, 10**6, logger)
    else:
        a_opt = torch.optim.Adam(model.get_alphas(), lr=ARCH_LR, betas=(0.5, 0.999),
                                 weight_decay=ARCH_WD)
        common = (loader, network, criterion, w_sched, w_opt, a_opt, epoch, 10**6, logger)
        if args.method == "gdas-nsas":
            model.set_tau(TAU_MAX)
            call = lambda: search(*common, 0.5)
        elif args.method == "e2nas":
            # the archive full of 50 decoded cells (steady state: every step computes the novelty)
            archive = [[int(np.random.randint(5)) for _ in range(6)] for _ in range(ARCHIVE)]
            model.set_tau(TAU_MAX)
            call = lambda: search(*common, archive, -10.0, 0.5)  # epoch 0: ex_ep_ratio = -10
        else:
            call = lambda: search(*common)
    call()
    timed = loader.durations()[args.warmup:]
    return {"method": args.method, "config": args.config, **cfg, "threads": torch.get_num_threads(),
            "warmup": args.warmup, "iters": len(timed), "median_s": statistics.median(timed),
            "min_s": min(timed), "all_s": timed, "peak_rss_mb": peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", choices=[*METHODS, "en2as"], required=True)
    parser.add_argument("--config", choices=CONFIGS, default="full")
    parser.add_argument("--reference-root", default="/tmp/perfauthor")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--iters", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    args = parser.parse_args()
    result = run_en2as(args) if args.method == "en2as" else run(args)
    print("RESULT_JSON:" + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
