"""``cifar.prepare`` and its archive (issue 28 item 6): an official archive placed in the root by
hand is checked against its pinned md5 (torchvision's, as the loader uses it) and extracted with
no network access; a mismatching one, placed or downloaded, is one line naming its digest and the
expected one; a failed download is one line. Small archives in the official layout, digests
pinned through torchvision's lists."""

import hashlib
import json
import socket
import tarfile

import pytest
from torchvision.datasets import CIFAR10

from nasrepro.cli import main
from nasrepro.registry import DATASETS
from nasrepro.utils.download import ChecksumError, MissingDataError
from tests.data.test_protocols import write_cifar


def _md5(path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture
def archive(tmp_path, monkeypatch):
    """A small ``cifar-10-python.tar.gz`` (100 training, 20 test images) and its md5 and the md5s
    of its files pinned where the loader reads torchvision's."""
    source = write_cifar(tmp_path / "src", "cifar10", 100, 20)
    folder = source / "cifar-10-batches-py"
    path = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(folder, arcname=folder.name)
    monkeypatch.setattr(CIFAR10, "tgz_md5", _md5(path))
    for attr in ("train_list", "test_list"):
        pinned = [[name, _md5(folder / name)] for name, _ in getattr(CIFAR10, attr)]
        monkeypatch.setattr(CIFAR10, attr, pinned)
    return path


def _spec(tmp_path, **extra):
    split = tmp_path / "split.txt"
    split.write_text(json.dumps({"train": ["int", list(range(50))],
                                 "valid": ["int", list(range(50, 100))]}))
    return {"loader": "cifar10", "name": "cifar10", "root": str(tmp_path / "root"),
            "official_split": {"path": str(split)}, **extra}


@pytest.fixture
def offline(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("download", [False, True])
def test_a_placed_archive_with_the_pinned_digest_is_extracted_offline(tmp_path, archive, offline,
                                                                       download):
    spec = _spec(tmp_path, download=download)
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / archive.name).write_bytes(archive.read_bytes())
    loader = DATASETS.get("cifar10")
    assert loader.missing(spec) == [] and loader.fetched(spec) == []  # nothing to report upfront
    assert loader.prepare(spec) == {"search_train": 50, "search_valid": 50, "test": 20}
    assert (tmp_path / "root" / "cifar-10-batches-py" / "data_batch_5").exists()


def test_a_placed_archive_with_another_digest_names_both_digests(tmp_path, archive, offline):
    spec = _spec(tmp_path, download=True)
    (tmp_path / "root").mkdir()
    placed = tmp_path / "root" / archive.name
    placed.write_bytes(archive.read_bytes()[:-7])  # a truncated copy
    with pytest.raises(ChecksumError) as error:
        DATASETS.get("cifar10").prepare(spec)
    message = str(error.value)
    assert f"{placed} has md5 {_md5(placed)}, expected {CIFAR10.tgz_md5}" in message
    assert "Offline" not in message and "download failed" not in message
    assert not (tmp_path / "root" / "cifar-10-batches-py").exists()


@pytest.fixture
def served(tmp_path):
    """A local HTTP server (no internet) serving ``tmp_path/www``; yields its base URL."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    (tmp_path / "www").mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(Quiet, directory=str(tmp_path / "www")))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()


def test_a_downloaded_archive_failing_its_md5_is_one_line(tmp_path, archive, monkeypatch, capsys,
                                                          served):
    other = tmp_path / "www" / "other.tar.gz"
    other.write_bytes(archive.read_bytes() + b"\0")
    monkeypatch.setattr(CIFAR10, "url", f"{served}/other.tar.gz")
    spec = _spec(tmp_path, download=True)
    code = main(["--log", str(tmp_path / "p.log"), "prepare-data", "--spec", json.dumps(spec),
                 "--out", str(tmp_path / "sizes.json")])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]  # not the progress bar
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert f"has md5 {_md5(other)}, expected {CIFAR10.tgz_md5}" in lines[0]


def test_a_failed_download_is_one_line_and_leaves_no_archive(tmp_path, archive, monkeypatch,
                                                             served):
    monkeypatch.setattr(CIFAR10, "url", f"{served}/absent.tar.gz")  # 404
    with pytest.raises(MissingDataError, match=r"^cifar10: download of http:.*failed \(.*\)\. "
                                               r"Offline\? Put cifar-10-python.tar.gz in "):
        DATASETS.get("cifar10").prepare(_spec(tmp_path, download=True))
    assert not list((tmp_path / "root").iterdir())
