"""The diagrams: at least 15, each present once in its notebook and current."""

import json
import re
from pathlib import Path

import pytest

from diagrams import NAMES
from diagrams.draw import RENDERER, Canvas
from diagrams.embed import (
    KEY,
    RENDERED_BY,
    ROOT,
    all_diagrams,
    cell_id,
    cell_source,
    diagram_cells,
    embedded_png,
    images_match,
    load,
    place,
    source_text,
    update,
)

DIAGRAMS = {d.name: d for d in all_diagrams()}
HELPERS = {"__init__", "__main__", "draw", "embed"}


def test_there_are_at_least_15_diagrams():
    assert len(NAMES) >= 15
    assert len(set(NAMES)) == len(NAMES)


def test_every_diagram_module_is_listed():
    modules = {p.stem for p in (ROOT / "diagrams").glob("*.py")} - HELPERS
    assert modules == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_texts_are_usable(name):
    d = DIAGRAMS[name]
    assert (ROOT / d.notebook).exists(), d.notebook
    assert d.alt and "]" not in d.alt and "\n" not in d.alt
    # A bold title first, then at least one sentence saying what to look at.
    assert re.match(r"\*\*[^*]+\*\* \S", d.caption), d.caption[:40]
    assert len(d.caption) > 100


@pytest.mark.parametrize("name", NAMES)
def test_diagram_is_in_its_notebook_and_current(name):
    d = DIAGRAMS[name]
    nb = json.loads((ROOT / d.notebook).read_text())
    cells = diagram_cells(nb, name)
    assert len(cells) == 1, f"{name}: {len(cells)} cells in {d.notebook}; run python -m diagrams"
    cell = cells[0][1]
    assert cell["cell_type"] == "markdown"
    embedded = embedded_png(source_text(cell))
    assert embedded is not None, f"{name}: the cell holds no PNG image"
    assert source_text(cell) == cell_source(d, embedded), (
        f"{name}: alt text or caption changed; run python -m diagrams"
    )
    fresh = d.png()
    if cell["metadata"].get(RENDERED_BY) == RENDERER:
        assert embedded == fresh, f"{name}: the drawing changed; run python -m diagrams"
    else:  # rendered by other library versions: compare what the pictures show
        assert images_match(embedded, fresh), f"{name}: the drawing changed"


def test_no_notebook_holds_a_diagram_that_is_not_listed():
    for path in ROOT.glob("chapters/**/*.ipynb"):
        notebook = str(path.relative_to(ROOT))
        nb = json.loads(path.read_text())
        expected = {d.name for d in DIAGRAMS.values() if d.notebook == notebook}
        found = {cell["metadata"][KEY] for _, cell in diagram_cells(nb)}
        assert found <= expected, f"{notebook}: stray diagrams {found - expected}"


# The helpers, on a small notebook and a small drawing.

def small_notebook() -> dict:
    def md(i: int, text: str) -> dict:
        return {"cell_type": "markdown", "id": f"c{i}", "metadata": {}, "source": [text]}

    return {"cells": [md(0, "# Title"), md(1, "## The anchor section"), md(2, "More.")],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_place_inserts_after_the_anchor_then_updates_in_place():
    d = load("rnn_unrolled")
    d = d.__class__(d.name, d.notebook, "The anchor section", d.alt, d.caption, d.module)
    nb = small_notebook()
    png = Canvas(10, 10).png()
    assert place(nb, d, png)
    assert [c["id"] for c in nb["cells"]] == ["c0", "c1", cell_id(d.name), "c2"]
    assert not place(nb, d, png)  # idempotent
    nb["cells"].insert(0, nb["cells"].pop(2))  # someone moves the cell: it stays there
    other = Canvas(20, 10).png()
    assert place(nb, d, other)
    assert embedded_png(source_text(nb["cells"][0])) == other
    assert len(diagram_cells(nb)) == 1


def test_place_needs_exactly_one_anchor():
    d = load("rnn_unrolled")
    with pytest.raises(ValueError, match="anchor"):
        place(small_notebook(), d, Canvas(10, 10).png())


def test_update_removes_diagrams_no_longer_listed_and_keeps_other_cells():
    d = load("rnn_unrolled")
    d = d.__class__(d.name, d.notebook, "The anchor section", d.alt, d.caption, d.module)
    text = json.dumps(small_notebook())
    with_diagram = update(text, [d], {d.name: Canvas(10, 10).png()})
    assert update(with_diagram, [d], {d.name: Canvas(10, 10).png()}) == with_diagram
    cleaned = json.loads(update(with_diagram, [], {}))
    assert [c["id"] for c in cleaned["cells"]] == ["c0", "c1", "c2"]


def test_cell_ids_are_valid_notebook_ids():
    for name in NAMES:
        assert re.fullmatch(r"[a-zA-Z0-9-_]{1,64}", cell_id(name))


def test_png_is_deterministic_and_images_match_sees_changes():
    def drawing(dx: float, label: str) -> bytes:
        c = Canvas(200, 100)
        c.box(60 + dx, 50, 60, 30, label)
        return c.png()

    a = drawing(0, "one")
    assert a == drawing(0, "one")
    assert images_match(a, a)
    assert not images_match(a, drawing(12, "one"))  # a moved box
    assert not images_match(a, drawing(0, "two"))  # a changed label
    assert not images_match(a, Canvas(100, 100).png())  # another size


def test_svg_output_for_inspection():
    svg = load("lstm_cell").module.draw().svg()
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg


def test_readme_describes_the_command():
    text = Path(ROOT / "diagrams" / "README.md").read_text()
    assert "python -m diagrams" in text
