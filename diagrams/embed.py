"""Write diagrams into notebooks as Markdown cells, and read them back."""

from __future__ import annotations

import base64
import importlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
from PIL import Image

from diagrams import NAMES
from diagrams.draw import RENDERER

ROOT = Path(__file__).resolve().parent.parent
# The cell metadata key that marks a cell as holding a diagram, and which one; and the
# key that records the libraries that rendered it.
KEY = "dlbook_diagram"
RENDERED_BY = "dlbook_rendered_by"
IMAGE = re.compile(r"^!\[(?P<alt>[^\]\n]*)\]\(data:image/png;base64,(?P<data>[A-Za-z0-9+/=]+)\)")


@dataclass(frozen=True)
class Diagram:
    """One diagram: where it goes, its texts, and the module that draws it."""

    name: str
    notebook: str
    after: str
    alt: str
    caption: str
    module: ModuleType

    def png(self) -> bytes:
        """Draw the diagram now and return its PNG bytes."""
        return self.module.draw().png()


def load(name: str) -> Diagram:
    """The diagram defined by module `diagrams.<name>`."""
    module = importlib.import_module(f"diagrams.{name}")
    return Diagram(name, module.NOTEBOOK, module.AFTER, module.ALT, module.CAPTION, module)


def all_diagrams() -> list[Diagram]:
    """Every diagram of the book, in the order of `diagrams.NAMES`."""
    return [load(name) for name in NAMES]


def cell_source(diagram: Diagram, png: bytes) -> str:
    """Markdown of the diagram's cell: the image as a data URI, then the caption."""
    data = base64.b64encode(png).decode("ascii")
    return f"![{diagram.alt}](data:image/png;base64,{data})\n\n{diagram.caption}"


def cell_id(name: str) -> str:
    """A stable cell id, so that the cell is the same wherever it is inserted."""
    return "diagram-" + name.replace("_", "-")


def embedded_png(source: str) -> bytes | None:
    """The PNG bytes of a diagram cell's image, or None if it holds none."""
    match = IMAGE.match(source)
    return base64.b64decode(match["data"]) if match else None


def source_text(cell: dict) -> str:
    """A cell's source as one string (notebooks store it as a list of lines)."""
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def diagram_cells(nb: dict, name: str | None = None) -> list[tuple[int, dict]]:
    """(index, cell) of the diagram cells of a notebook, all or those of `name`."""
    return [
        (i, cell) for i, cell in enumerate(nb["cells"])
        if KEY in cell.get("metadata", {})
        and (name is None or cell["metadata"][KEY] == name)
    ]


def place(nb: dict, diagram: Diagram, png: bytes) -> bool:
    """Update the diagram's cell in `nb`, or insert it after its anchor cell.

    Returns whether the notebook changed. An existing cell stays where it is, so cells
    that others move or edit around it are left alone.
    """
    source = cell_source(diagram, png)
    lines = source.splitlines(keepends=True)
    found = diagram_cells(nb, diagram.name)
    if len(found) > 1:
        raise ValueError(f"{diagram.notebook}: {len(found)} cells hold {diagram.name}")
    metadata = {KEY: diagram.name, RENDERED_BY: RENDERER}
    if found:
        cell = found[0][1]
        if source_text(cell) == source and cell["metadata"] == metadata:
            return False
        cell["source"] = lines
        cell["metadata"] = metadata
        return True
    anchors = [
        i for i, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "markdown" and diagram.after in source_text(cell)
    ]
    if len(anchors) != 1:
        raise ValueError(
            f"{diagram.notebook}: {len(anchors)} Markdown cells contain the anchor of "
            f"{diagram.name} ({diagram.after!r}); it must be exactly one"
        )
    nb["cells"].insert(anchors[0] + 1, {
        "cell_type": "markdown",
        "id": cell_id(diagram.name),
        "metadata": metadata,
        "source": lines,
    })
    return True


def images_match(a: bytes, b: bytes, tolerance: float = 40) -> bool:
    """Whether two PNGs show the same drawing.

    Equal bytes match. Otherwise the images must have the same size, and their 4 x 4
    pixel block averages may differ by at most `tolerance` (of 255) anywhere: enough to
    forgive the anti-aliasing of another Matplotlib or FreeType version, not enough to
    hide a moved box or a changed label.
    """
    if a == b:
        return True
    arrays = [np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
              for png in (a, b)]
    if arrays[0].shape != arrays[1].shape:
        return False
    h, w = (n - n % 4 for n in arrays[0].shape[:2])
    blocks = [x[:h, :w].reshape(h // 4, 4, w // 4, 4, 3).mean(axis=(1, 3)) for x in arrays]
    return float(np.abs(blocks[0] - blocks[1]).max()) <= tolerance


def dumps(nb: dict) -> str:
    """A notebook as JSON text, formatted the way Jupyter writes it."""
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def update(text: str, diagrams: list[Diagram], pngs: dict[str, bytes]) -> str:
    """Notebook JSON `text` holding exactly `diagrams`, each current.

    Diagram cells of other names (a diagram renamed, moved or dropped) are removed.
    The text comes back unchanged if there is nothing to do.
    """
    nb = json.loads(text)
    names = {d.name for d in diagrams}
    stale = [i for i, cell in diagram_cells(nb) if cell["metadata"][KEY] not in names]
    for i in reversed(stale):
        del nb["cells"][i]
    changed = [place(nb, d, pngs[d.name]) for d in diagrams]
    return dumps(nb) if stale or any(changed) else text
