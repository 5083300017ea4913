"""Run records and checkpoint safety: file modes, config fingerprints, corrupt checkpoints,
cumulative wall time, run.json fields, byte-reproducible figures."""

import json
import os
import time

import pytest
import torch

from nasrepro.train.epochs import config_fingerprint, run_epochs, save_checkpoint
from nasrepro.utils import runinfo
from nasrepro.utils.atomic import torch_save, write_json, write_text
from nasrepro.utils.device import DeviceUnavailableError, resolve_device
from nasrepro.utils.runinfo import write_run_json

OLD = config_fingerprint({"epochs": 4, "w_lr": 0.1})


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_outputs_get_the_mode_open_would_give(tmp_path, umask_022):
    write_json(tmp_path / "a.json", {"x": 1})
    write_text(tmp_path / "b.txt", "x")
    torch_save({"x": 1}, tmp_path / "c.pt")
    for name in ("a.json", "b.txt", "c.pt"):
        assert oct((tmp_path / name).stat().st_mode & 0o777) == oct(0o644), name


class Counter:
    """A trivial 'model' whose state is the sum of the epochs it ran."""

    def __init__(self, crash_at=None, sleep=0.0):
        self.total, self.crash_at, self.sleep, self.ran = 0, crash_at, sleep, []

    def run(self, state_dir, fingerprint="f", epochs=4):
        def run_epoch(epoch, seed):
            if epoch == self.crash_at:
                raise KeyboardInterrupt("killed")
            time.sleep(self.sleep)
            self.total += epoch
            self.ran.append(epoch)
            return {"total": self.total}

        return run_epochs(epochs, 0, state_dir, lambda: {"total": self.total},
                          lambda s: setattr(self, "total", s["total"]), run_epoch,
                          fingerprint=fingerprint)


def test_resume_only_with_the_same_configuration(tmp_path, caplog):
    with pytest.raises(KeyboardInterrupt):
        Counter(crash_at=2).run(tmp_path, fingerprint=OLD)
    same = Counter()
    same.run(tmp_path, fingerprint=config_fingerprint({"w_lr": 0.1, "epochs": 4}))  # key order
    assert same.ran == [2, 3]
    with pytest.raises(KeyboardInterrupt):
        Counter(crash_at=2).run(tmp_path / "b", fingerprint=OLD)
    changed = Counter()
    new = config_fingerprint({"epochs": 4, "w_lr": 0.2})
    records = changed.run(tmp_path / "b", fingerprint=new)
    assert changed.ran == [0, 1, 2, 3] and [r["total"] for r in records] == [0, 1, 3, 6]
    warnings = [r.message for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "different configuration" in warnings[0]


def test_a_checkpoint_without_fingerprint_is_not_resumed(tmp_path, caplog):
    with pytest.raises(KeyboardInterrupt):
        Counter(crash_at=2).run(tmp_path, fingerprint=OLD)
    saved = torch.load(tmp_path / "epoch0002.pt", weights_only=True)
    del saved["fingerprint"]
    save_checkpoint(tmp_path, 1, saved)
    counter = Counter()
    counter.run(tmp_path, fingerprint=OLD)
    assert counter.ran == [0, 1, 2, 3]
    warnings = [r.message for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "different configuration" in warnings[0]


def _damage(path, damage):
    if damage == "garbage":
        path.write_bytes(b"not a checkpoint")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:50])
    elif damage == "one flipped byte":  # still a loadable file: only the digest catches it
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    elif damage == "missing keys":
        save_checkpoint(path.parent, int(path.stem[5:]) - 1, {"state": {}})
    else:
        path.with_suffix(".sha256").unlink()


DAMAGES = ["garbage", "truncated", "one flipped byte", "missing keys", "digest missing"]


@pytest.mark.parametrize("damage", DAMAGES)
def test_damaged_checkpoint_resumes_from_the_last_good_epoch(tmp_path, damage, caplog):
    with pytest.raises(KeyboardInterrupt):
        Counter(crash_at=3).run(tmp_path)
    assert sorted(p.name for p in tmp_path.glob("epoch*")) == [
        "epoch0002.pt", "epoch0002.sha256", "epoch0003.pt", "epoch0003.sha256"]
    _damage(tmp_path / "epoch0003.pt", damage)
    counter = Counter()
    records = counter.run(tmp_path)
    assert counter.ran == [2, 3] and [r["total"] for r in records] == [0, 1, 3, 6]
    warnings = [r.message for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and warnings[0] == (
        f"checkpoint {tmp_path / 'epoch0003.pt'} is corrupted, truncated or incomplete (digest or "
        "content check failed); discarding it and trying the previous one")


@pytest.mark.parametrize("damage", DAMAGES)
def test_every_checkpoint_damaged_restarts_from_scratch(tmp_path, damage, caplog):
    with pytest.raises(KeyboardInterrupt):
        Counter(crash_at=2).run(tmp_path)
    for path in tmp_path.glob("epoch*.pt"):
        _damage(path, damage)
    counter = Counter()
    records = counter.run(tmp_path)
    assert counter.ran == [0, 1, 2, 3] and len(records) == 4
    assert sum("is corrupted" in r.message for r in caplog.records) == 2


class Forged:
    """What a forger could put in a checkpoint: unpickling it calls ``os.system`` (here: create
    a marker file, harmless)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _forge(path, marker):
    """Rewrite the checkpoint at ``path`` with a pickled callable inside and a matching digest
    (the digest proves integrity, not authorship)."""
    saved = torch.load(path, weights_only=True)
    saved["state"]["extra"] = Forged(marker)
    save_checkpoint(path.parent, int(path.stem[5:]) - 1, saved)


def test_a_checkpoint_carrying_a_pickled_callable_is_refused_unread(tmp_path, caplog):
    with pytest.raises(KeyboardInterrupt):
        Counter(crash_at=3).run(tmp_path)
    marker = tmp_path / "ran"
    _forge(tmp_path / "epoch0003.pt", marker)
    counter = Counter()
    records = counter.run(tmp_path)
    assert not marker.exists(), "loading the checkpoint ran the pickled callable"
    assert counter.ran == [2, 3] and [r["total"] for r in records] == [0, 1, 3, 6]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "\n" not in warnings[0], warnings
    assert f"checkpoint {tmp_path / 'epoch0003.pt'} holds a pickled posix.system" in warnings[0]
    assert "refused unread" in warnings[0] and warnings[0].endswith(
        "; discarding it and trying the previous one (check who can write to the folder or DVC "
        "remote it came from)")


def test_every_checkpoint_forged_starts_from_scratch_and_runs_nothing(tmp_path, caplog):
    with pytest.raises(KeyboardInterrupt):
        Counter(crash_at=2).run(tmp_path)
    marker = tmp_path / "ran"
    for path in tmp_path.glob("epoch*.pt"):
        _forge(path, marker)
    counter = Counter()
    counter.run(tmp_path)
    assert not marker.exists() and counter.ran == [0, 1, 2, 3]
    assert sum("refused unread" in r.getMessage() for r in caplog.records) == 2



def test_the_fingerprint_is_the_sha256_of_the_canonical_json_given_as_text_or_data():
    """Workers pass the job message's JSON text; the same configuration as data hashes alike."""
    import hashlib

    data = {"seed": 1, "method": {"name": "darts", "lr": 0.025}}
    text = json.dumps(data, sort_keys=True)
    assert config_fingerprint(text) == hashlib.sha256(text.encode()).hexdigest()
    assert config_fingerprint(data) == config_fingerprint(text)


def test_checkpoint_files_are_named_by_the_epoch_the_log_shows(tmp_path, caplog):
    caplog.set_level("INFO")
    with pytest.raises(KeyboardInterrupt):
        Counter(crash_at=2).run(tmp_path)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("epoch ")]
    assert [line.split()[1] for line in lines] == ["1/4", "2/4"]
    assert sorted(p.name for p in tmp_path.glob("*.pt")) == ["epoch0001.pt", "epoch0002.pt"]
    assert torch.load(tmp_path / "epoch0002.pt", weights_only=True)["records"][-1]["total"] == 1


def test_a_state_folder_of_older_code_numbered_from_0_resumes(tmp_path, caplog):
    with pytest.raises(KeyboardInterrupt):
        Counter(crash_at=3).run(tmp_path)
    for n in (2, 3):  # older code named the checkpoint of 0-based epoch e epoch<e>.pt
        for suffix in (".pt", ".sha256"):
            (tmp_path / f"epoch{n:04d}{suffix}").rename(tmp_path / f"epoch{n - 1:04d}{suffix}")
    counter = Counter()
    records = counter.run(tmp_path)
    assert counter.ran == [3] and [r["total"] for r in records] == [0, 1, 3, 6]
    assert not [r for r in caplog.records if r.levelname == "WARNING"]


def test_progress_lines_show_epoch_loss_and_eta(tmp_path, caplog):
    caplog.set_level("INFO")
    Counter().run(tmp_path, epochs=3)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("epoch ")]
    assert [line.split()[1] for line in lines] == ["1/3", "2/3", "3/3"]
    assert all("epoch_time_s=" in line for line in lines)
    assert lines[-1].endswith("eta=0:00:00") and all(" eta=" in line for line in lines)


def test_elapsed_time_covers_every_epoch_across_a_resume(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        Counter(crash_at=2, sleep=0.05).run(tmp_path)
    records = Counter(sleep=0.05).run(tmp_path)
    total = sum(r["epoch_time_s"] for r in records)
    assert records[-1]["elapsed_s"] == pytest.approx(total, abs=1e-3)
    assert records[-1]["elapsed_s"] >= 4 * 0.05


def test_run_json_records_provenance(tmp_path):
    write_run_json(tmp_path / "run.json", {"a": 1}, "cpu", 12.5, profile="default")
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["profile"] == "default" and run["wall_time_s"] == 12.5 and run["config"] == {"a": 1}
    assert run["timestamp"].endswith("+00:00") and isinstance(run["cpu"], str) and run["cpu"]
    assert run["gpu"] is None or isinstance(run["gpu"], str)
    assert isinstance(run["git_dirty"], (bool, type(None))) and "torch" in run["versions"]
    assert {"device", "host", "git_commit", "python"} <= run.keys()


def test_untracked_files_do_not_make_a_run_dirty(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(runinfo, "_git", lambda *args: calls.append(args) or "")
    write_run_json(tmp_path / "run.json", {}, "cpu", 1.0)
    assert ("status", "--porcelain", "--untracked-files=no") in calls
    assert json.loads((tmp_path / "run.json").read_text())["git_dirty"] is False


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_missing_cuda_is_a_dedicated_one_line_error():
    with pytest.raises(DeviceUnavailableError, match="CUDA is not available") as error:
        resolve_device("cuda")
    assert isinstance(error.value, RuntimeError) and "\n" not in str(error.value)
    assert resolve_device("auto").type == "cpu"


def test_figures_are_byte_reproducible_and_carry_the_note(tmp_path):
    from nasrepro.report.figure import plot_search_curves

    run = tmp_path / "runs/gdas/seed0/search"
    run.mkdir(parents=True)
    (run / "genotype.json").write_text(json.dumps({"run": "gdas"}))
    (run / "metrics.jsonl").write_text("".join(
        json.dumps({"derived_valid": 50.0 + e, "metric": "accuracy"}) + "\n" for e in range(3)))
    outputs = []
    for attempt in ("a", "b"):
        plot_search_curves([str(run / "metrics.jsonl")], str(tmp_path / attempt), "T",
                           note="profile 'default'; cifar10 = digits")
        outputs.append({ext: (tmp_path / f"{attempt}.{ext}").read_bytes()
                        for ext in ("png", "pdf")})
        time.sleep(1.1)  # a creation timestamp would differ
    assert outputs[0] == outputs[1]
    assert b"CreationDate" not in outputs[0]["pdf"]
    plot_search_curves([str(run / "metrics.jsonl")], str(tmp_path / "plain"), "T")
    assert (tmp_path / "plain.png").read_bytes() != outputs[0]["png"], "the note is drawn"
