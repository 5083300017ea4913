"""Mutation check: each known method-level mistake must make a test fail.

Run separately (it is not collected by pytest; about 4 minutes on 2 cores):
    python tests/mutations.py [substring of a mutation name ...]
Copies the tracked tree to a temporary folder, applies one mutation at a time to the copy, runs
the tests named for it and prints KILLED (a test failed, as it must) or SURVIVED. Exits 1 when a
mutation survives. Add a line here for every mistake a reviewer finds that no test caught.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

MUTATIONS = [
    ("argmin in NB201 derivation", "src/nasrepro/spaces/nb201/space.py",
     'choice = alphas["cell"].detach().argmax(dim=-1).tolist()', 'choice = alphas["cell"].detach().argmin(dim=-1).tolist()',
     "tests/test_contract.py tests/test_nb201_space.py"),
    ("argmin in DARTS derivation", "src/nasrepro/spaces/darts_cnn/space.py",
     "k = int(row.argmax())", "k = int(row.argmin())", "tests/test_contract.py tests/test_darts_cnn.py"),
    ("RandomNAS trains one fixed cell", "src/nasrepro/methods/base.py",
     "return self.space.sample(self.ctx.rng)", "return self.space.sample(__import__('random').Random(0))",
     "tests/test_methods.py"),
    ("RandomNAS keeps the worst candidate", "src/nasrepro/methods/random_nas.py",
     "task.better(score, best_score)", "task.better(best_score, score)", "tests/test_methods.py"),
    ("DARTS-2nd with gamma=0", "src/nasrepro/methods/darts.py",
     "lr=self.w_lr,", "lr=0.0,", "tests/test_methods.py"),
    ("fd_eps x100 at call site", "src/nasrepro/methods/darts.py",
     "eps_scale=self.cfg.fd_eps)", "eps_scale=self.cfg.fd_eps * 100)", "tests/test_methods.py"),
    ("alpha on the training batch (1st order)", "src/nasrepro/methods/darts.py",
     "value = self.relaxed_loss(valid_batch)", "value = self.relaxed_loss(train_batch)", "tests/test_methods.py"),
    ("alpha on the training batch (2nd order)", "src/nasrepro/methods/darts.py",
     "lambda: self.relaxed_loss(valid_batch),", "lambda: self.relaxed_loss(train_batch),", "tests/test_methods.py"),
    ("alpha on the training batch (GDAS)", "src/nasrepro/methods/gdas.py",
     "\"arch_loss\": self.arch_step(valid_batch)", "\"arch_loss\": self.arch_step(train_batch)", "tests/test_methods.py"),
    ("raw alpha instead of softmax", "src/nasrepro/methods/base.py",
     "return {name: a.softmax(dim=-1) for name, a in self.alphas.items()}", "return {name: a for name, a in self.alphas.items()}", "tests/test_methods.py"),
    ("NB201 op order changed", "src/nasrepro/spaces/nb201/space.py",
     'OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")',
     'OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")',
     "tests/test_nb201_space.py tests/test_supernet.py"),
    ("NB201 pooling padding counted", "src/nasrepro/spaces/nb201/ops.py",
     "count_include_pad=False", "count_include_pad=True", "tests/test_supernet.py"),
    ("CIFAR-100 valid/test swapped in lookup", "src/nasrepro/spaces/nb201/benchmark.py",
     '("cifar100", "valid"): ("cifar100", "x-valid"),\n    ("cifar100", "test"): ("cifar100", "x-test"),',
     '("cifar100", "valid"): ("cifar100", "x-test"),\n    ("cifar100", "test"): ("cifar100", "x-valid"),',
     "tests/test_benchmark_values.py"),
    ("GDAS DARTS-space edge adds the unselected weights", "src/nasrepro/spaces/darts_cnn/supernet.py",
     "node = node + weights[e, k] * ops[k](states[j])",
     "node = node + weights[e, k] * ops[k](states[j]) + torch.cat([weights[e, :k], weights[e, k + 1:]]).sum()",
     "tests/test_darts_cnn.py"),
    ("GDAS edge drops the unselected weights", "src/nasrepro/spaces/nb201/supernet.py",
     "out = weights[e, k] * out + torch.cat([weights[e, :k], weights[e, k + 1:]]).sum()", "out = weights[e, k] * out",
     "tests/test_gdas.py"),
    ("1st-order DARTS arch step skipped", "src/nasrepro/methods/darts.py",
     "        self.set_alpha_grads(grads)\n        self.a_opt.step()", "        self.set_alpha_grads(grads)",
     "tests/test_methods.py"),
    ("weight step on the validation batch", "src/nasrepro/methods/darts.py",
     "train_loss = self.weight_step_mixed(train_batch)\n            arch_loss", "train_loss = self.weight_step_mixed(valid_batch)\n            arch_loss",
     "tests/test_methods.py"),
    ("search loop: arch batches from search_train", "src/nasrepro/train/search.py",
     "make_loader(bundle.arch_train,", "make_loader(bundle.search_train,", "tests/test_contract.py tests/test_methods.py"),
    ("DARTS derivation includes none", "src/nasrepro/spaces/darts_cnn/space.py",
     "row[none] = -1.0", "pass", "tests/test_darts_cnn.py"),
    # chapters 2-3
    ("NSAS drops the constraint terms", "src/nasrepro/methods/nsas.py",
     'terms = [(1.0 - beta, forward)] + [(beta / len(constraints), {"arch": c}) for c in constraints]',
     "terms = [(1.0 - beta, forward)]", "tests/test_novelty.py"),
    ("NSAS detaches the constraint losses", "src/nasrepro/methods/nsas.py",
     "            loss = self.loss(batch, **term)\n",
     "            loss = self.loss(batch, **term)\n            loss = loss if term is forward else loss.detach().requires_grad_()\n",
     "tests/test_novelty.py"),
    ("ES step descends novelty", "src/nasrepro/methods/parts/novelty.py",
     "return {name: a + gamma / (n * sigma) * grad[name]", "return {name: a - gamma / (n * sigma) * grad[name]",
     "tests/test_novelty.py"),
    ("kNN takes the farthest", "src/nasrepro/methods/parts/novelty.py",
     "largest=False", "largest=True", "tests/test_novelty.py"),
    ("greedy novelty search keeps the less novel", "src/nasrepro/methods/parts/novelty.py",
     "if score > best_score:", "if score < best_score:", "tests/test_novelty.py"),
    ("constraint slot: the most distant member", "src/nasrepro/methods/parts/constraints.py",
     "slot = int(dist.argmin())", "slot = int(dist.argmax())", "tests/test_novelty.py"),
    ("complement never keeps the current operation", "src/nasrepro/spaces/base.py",
     "                if k not in taken:", "                if False:", "tests/test_novelty.py"),
    ("EA keeps the worst half", "src/nasrepro/methods/parts/evolution.py",
     "return -value if maximize else value", "return value if maximize else -value",
     "tests/test_novelty.py"),
    ("Kendall tau sign", "src/nasrepro/analysis/ranking.py",
     "elif (dx > 0) == (dy > 0):", "elif (dx > 0) != (dy > 0):", "tests/test_analysis.py"),
    ("ranking from the first probe epoch", "src/nasrepro/report/table.py",
     "probe_scores[run].append(probed[-1])", "probe_scores[run].append(probed[0])", "tests/test_analysis.py"),
    ("NSAS-C bias ignored when sampling", "src/nasrepro/methods/base.py",
     "        if self.arch_bias is None:\n            return self.space.sample(self.ctx.rng)",
     "        if True:\n            return self.space.sample(self.ctx.rng)", "tests/test_analysis.py"),
    # chapters 5-6
    ("VAdam: no momentum term", "src/nasrepro/methods/parts/vadam.py",
     "update += gamma *", "update += 0.0 *", "tests/test_balenas.py"),
    ("VAdam: s updated with g, not g o g", "src/nasrepro/methods/parts/vadam.py",
     "s_new = (1 - beta) * s_old + beta * g * g", "s_new = (1 - beta) * s_old + beta * g.abs()",
     "tests/test_balenas.py"),
    ("VAdam: sigma without N", "src/nasrepro/methods/parts/vadam.py",
     '* g["dataset_size"]).rsqrt()', ").rsqrt()", "tests/test_balenas.py"),
    ("BaLeNAS: gradient at mu, not at samples", "src/nasrepro/methods/balenas.py",
     "                        a.copy_(theta)\n", "                        pass\n", "tests/test_balenas.py"),
    ("BaLeNAS: step from the last sample", "src/nasrepro/methods/balenas.py",
     "                for a, m in zip(alphas, mean):\n                    a.copy_(m)",
     "                for a, m in zip(alphas, mean):\n                    pass", "tests/test_balenas.py"),
    ("BaLeNAS: one sample whatever M", "src/nasrepro/methods/balenas.py",
     "for _ in range(self.cfg.samples):", "for _ in range(1):", "tests/test_balenas.py"),
    ("depth L0: sign flipped", "src/nasrepro/methods/parts/depth_l0.py",
     "total = total - open_probability", "total = total + open_probability", "tests/test_balenas.py"),
    ("hard concrete: wrong stretch term", "src/nasrepro/methods/parts/depth_l0.py",
     "log_alpha - temperature * math.log(-gamma / zeta)", "log_alpha + temperature * math.log(-gamma / zeta)",
     "tests/test_balenas.py"),
    ("Neumann: terms not accumulated", "src/nasrepro/methods/parts/hypergrad.py",
     "total = [t + v for t, v in zip(total, vector)]", "total = total", "tests/test_idarts.py"),
    ("Neumann: + gamma H instead of -", "src/nasrepro/methods/parts/hypergrad.py",
     "vector = [v - lr * h for v, h in zip(vector, hvp)]", "vector = [v + lr * h for v, h in zip(vector, hvp)]",
     "tests/test_idarts.py"),
    ("implicit: mixed term dropped", "src/nasrepro/methods/parts/hypergrad.py",
     "return [da - lr * m for da, m in zip(d_alpha, mixed)], float(loss.detach())\n\n\ndef _grads_like",
     "return [da for da, m in zip(d_alpha, mixed)], float(loss.detach())\n\n\ndef _grads_like",
     "tests/test_idarts.py"),
    ("iDARTS: Hessian at the final weights", "src/nasrepro/methods/idarts.py",
     "inner_point=before_last)", "inner_point=None)", "tests/test_idarts.py"),
    ("iDARTS: L1 on the first inner batch", "src/nasrepro/methods/idarts.py",
     "lambda: self.relaxed_loss(batches[-1]), lambda", "lambda: self.relaxed_loss(batches[0]), lambda",
     "tests/test_idarts.py"),
    ("iDARTS: one inner step whatever T", "src/nasrepro/methods/idarts.py",
     "losses = [self.weight_step_mixed(batch) for batch in batches[:-1]]", "losses = []",
     "tests/test_idarts.py"),
    ("power iteration returns the norm", "src/nasrepro/analysis/hessian.py",
     "return float(sum((v * p).sum() for v, p in zip(vector, product)))",
     "return float(torch.sqrt(sum((p ** 2).sum() for p in product)))", "tests/test_hessian.py"),
    ("Hessian tracking leaks BatchNorm statistics", "src/nasrepro/evaluation/metrics.py",
     "        model.load_state_dict(buffers, strict=False)\n", "        pass\n", "tests/test_hessian.py"),
    ("cell depth counts none edges", "src/nasrepro/spaces/base.py",
     'for j, op in nodes[node] if op != "none"]', "for j, op in nodes[node]]", "tests/test_hessian.py"),
    # NAS-Bench-1Shot1 (Figs. 5.2, 6.1, 6.4)
    ("1Shot1: regret sign flipped", "src/nasrepro/report/regret.py",
     'best - bench.hash_accuracy(cell, "test", epochs)', 'bench.hash_accuracy(cell, "test", epochs) - best',
     "tests/test_nb1shot1_regret.py"),
    ("1Shot1: validation error read from the test split", "src/nasrepro/report/regret.py",
     '100.0 - bench.hash_accuracy(cell, "valid", epochs)', '100.0 - bench.hash_accuracy(cell, "test", epochs)',
     "tests/test_nb1shot1_regret.py"),
    ("1Shot1: best of the whole table, not of the space", "src/nasrepro/spaces/nb1shot1/benchmark.py",
     "inside = means[means.index.isin(self._space_hashes[variant])]", "inside = means",
     "tests/test_nb1shot1_regret.py"),
    ("1Shot1: best repeat instead of the mean", "src/nasrepro/spaces/nb1shot1/benchmark.py",
     '[[f"final_{m}" for m in METRICS]].mean()', '[[f"final_{m}" for m in METRICS]].max()',
     "tests/test_nb1shot1_regret.py"),
    ("1Shot1: smallest budget of the table", "src/nasrepro/spaces/nb1shot1/benchmark.py",
     'return int(self.table["epochs"].max())', 'return int(self.table["epochs"].min())',
     "tests/test_nb1shot1_regret.py"),
    ("1Shot1: figure curves of the first seed only", "src/nasrepro/report/regret.py",
     "_band(ax, [c[key] for c in curves[(space, run)]], run)", "_band(ax, [c[key] for c in curves[(space, run)][:1]], run)",
     "tests/test_nb1shot1_regret.py"),
    ("1Shot1: stand-in retrains every string, not every hash", "src/nasrepro/spaces/nb1shot1/standin.py",
     "cells.setdefault(arch.nb101_hash(), arch)", "cells.setdefault(arch.to_string(), arch)",
     "tests/test_nb1shot1_regret.py"),
    ("1Shot1: stand-in ignores finished cells", "src/nasrepro/spaces/nb1shot1/standin.py",
     "        if not done.exists():\n", "        if True:\n", "tests/test_nb1shot1_regret.py"),
    ("1Shot1: spaces look up their own name, not NAS-Bench-101", "src/nasrepro/registry.py",
     'return getattr(SPACES.get(space), "benchmark", space) if space in SPACES else space',
     "return space", "tests/test_nb1shot1_regret.py"),
    ("NB101: hash of the unpruned cell", "src/nasrepro/spaces/nb1shot1/nb101.py",
     "return graph_hash(pruned.matrix, pruned.labels())", "return graph_hash(self.matrix, self.labels())",
     "tests/test_nb1shot1_space.py"),
    ("NB101: pruning keeps dead vertices", "src/nasrepro/spaces/nb1shot1/nb101.py",
     "keep = sorted(forward & backward)", "keep = sorted(forward | backward)", "tests/test_nb1shot1_space.py"),
    ("NB101: TFRecord data checksum unchecked", "src/nasrepro/spaces/nb1shot1/tfrecord.py",
     'masked_crc32c(data)', 'struct.unpack("<I", footer)[0]', "tests/test_nb1shot1_benchmark.py"),
    # DARTS recurrent space: carried hidden state and DARTS' NT-ASGD language-model training
    ("RNN hidden state not detached between BPTT segments", "src/nasrepro/spaces/darts_rnn/task.py",
     "h_in.detach(), h_out.detach())", "h_in.detach(), h_out)", "tests/test_darts_rnn.py"),
    ("RNN hidden state not carried across BPTT segments", "src/nasrepro/spaces/darts_rnn/task.py",
     "            if pos == last + 1:\n                return h_out\n", "",
     "tests/test_darts_rnn.py"),
    ("NT-ASGD switch ignores the non-monotone window", "src/nasrepro/train/ntasgd.py",
     "losses[-1] > min(earlier[:len(earlier) - nonmono])", "losses[-1] > min(earlier)",
     "tests/test_darts_rnn_retrain.py"),
    ("NT-ASGD switch on an improvement", "src/nasrepro/train/ntasgd.py",
     "losses[-1] > min(", "losses[-1] < min(", "tests/test_darts_rnn_retrain.py"),
    ("NT-ASGD never switches in the loop", "src/nasrepro/train/retrain.py",
     "if nonmono_triggered(history, cfg.nonmono):", "if False:", "tests/test_darts_rnn_retrain.py"),
    ("NT-ASGD averages from the first step of the switch epoch", "src/nasrepro/train/retrain.py",
     "            if average is not None:\n                average.update()\n",
     "            if average is None and cfg.nonmono and epoch >= 1:\n"
     "                average = IterateAverage(net)\n"
     "            if average is not None:\n                average.update()\n",
     "tests/test_darts_rnn_retrain.py"),
    ("NT-ASGD scores the live weights, not the average", "src/nasrepro/train/retrain.py",
     "            average.swap()\n            record = scores()\n            average.swap()\n",
     "            record = scores()\n", "tests/test_darts_rnn_retrain.py"),
    ("NT-ASGD keeps the last iterate, not the average", "src/nasrepro/train/retrain.py",
     "        average.swap()  # the network", "        pass  # the network",
     "tests/test_darts_rnn_retrain.py"),
    ("NT-ASGD resume forgets the average", "src/nasrepro/train/retrain.py",
     'if state.get("average") is not None:', "if False:", "tests/test_darts_rnn_retrain.py"),
    ("iterate average weights every iterate 1/2", "src/nasrepro/train/ntasgd.py",
     "alpha=1.0 / self.count)", "alpha=1.0 / min(self.count, 2))", "tests/test_darts_rnn_retrain.py"),
]

def main(only: list[str]) -> int:
    survived = 0
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                               text=True, check=True).stdout.split("\0")
        for name in filter(None, files):
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, root / name)
        env = {**os.environ, "PYTHONPATH": str(root / "src"),
               "NASREPRO_SHARED_DATA": str(REPO.parent / "shared" / "data")}
        for name, path, old, new, tests in MUTATIONS:
            if only and not any(o in name for o in only):
                continue
            file = root / path
            original = file.read_text()
            if old not in original:
                print(f"STALE    {name}: pattern not found in {path}; update this list")
                survived += 1
                continue
            file.write_text(original.replace(old, new, 1))
            try:
                out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-W", "ignore",
                                      "-p", "no:cacheprovider", *tests.split()],
                                     cwd=root, env=env, capture_output=True, text=True, timeout=900)
            finally:
                file.write_text(original)
            killed = out.returncode != 0
            survived += not killed
            failed = [line.split("::", 1)[1] for line in out.stdout.splitlines() if line.startswith("FAILED")]
            print(f"{'KILLED  ' if killed else 'SURVIVED'} {name}: {failed[:1]}", flush=True)
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
