"""Rules every committed notebook follows: no outputs, one setup cell, in the book."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPOSITORY = CONFIG["repository"]["url"]


def tracked_notebooks() -> list[Path]:
    """Notebooks under version control (what a fresh clone has)."""
    listed = subprocess.run(
        ["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    return [ROOT / name for name in listed]


def all_notebooks() -> list[Path]:
    """Every notebook of the book, tracked or not yet."""
    return sorted(
        p
        for folder in ("chapters", "solutions", "exercises")
        for p in (ROOT / folder).rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts
    )


def toc_files() -> list[str]:
    """Every file the table of contents lists, without its suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))
            walk(entry.get("chapters", []))

    walk(toc.get("parts", []))
    return files


NOTEBOOKS = all_notebooks()
IDS = [str(p.relative_to(ROOT)) for p in NOTEBOOKS]


def keeps_output(cell) -> bool:
    """Cells nbval is told to compare keep their outputs."""
    return (
        "NBVAL_CHECK_OUTPUT" in cell.source
        or "nbval-check-output" in cell.metadata.get("tags", [])
    )


@pytest.mark.parametrize("path", tracked_notebooks(), ids=lambda p: p.name)
def test_committed_notebooks_carry_no_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type != "code" or keeps_output(cell):
            continue
        assert not cell.outputs, f"{path.name} cell {number} has outputs: strip them"
        assert cell.execution_count is None, f"{path.name} cell {number} was executed"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_setup_cell_is_the_same_everywhere(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    first = code[0]
    install = re.search(r'%pip install -q "dlbook @ git\+(\S+)"', first)
    assert install, "the setup cell must install dlbook in Colab"
    assert install.group(1) == REPOSITORY, "setup cell and _config.yml name other repos"
    assert 'if "google.colab" in sys.modules:' in first
    assert re.search(r"^set_seed\(\d+\)$", first, re.M), "the setup cell must seed"
    assert re.search(r"^DEVICE = get_device\(\)$", first, re.M)
    assert not any("set_seed(" in src for src in code[1:]), "seed once, in setup"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebooks_of_the_book_are_in_the_toc(path):
    name = str(path.relative_to(ROOT).with_suffix(""))
    if name.startswith("solutions/"):  # the site shows exercises/, solutions hidden
        assert (ROOT / "exercises" / path.name).exists()
    else:
        assert name in toc_files(), f"{name} is not in _toc.yml"


def test_toc_lists_the_six_chapters_in_order():
    chapters = [f for f in toc_files() if re.fullmatch(r"chapters/\d\d_\w+/index", f)]
    assert [c.split("/")[1][:2] for c in chapters] == [
        "01",
        "02",
        "03",
        "04",
        "05",
        "06",
    ]
    for name in toc_files():
        assert list(ROOT.glob(name + ".*")), f"_toc.yml lists missing {name}"
        assert not (
            (ROOT / f"{name}.md").exists() and (ROOT / f"{name}.ipynb").exists()
        ), f"{name} exists as .md and .ipynb"
