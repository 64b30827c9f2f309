"""What the notebook stage left in ``_build/executed``: checked after it ran.

The notebook stage (``make notebooks``) executes every notebook once, alone in an empty
folder, and keeps the executed copy and a record of each; these tests read them instead of
executing anything again.
"""

from __future__ import annotations

import json
import re

import nbformat
import pytest

from dlbook.bench import EXECUTED, default_notebooks
from tests.test_notebooks import ROOT

pytestmark = pytest.mark.executed

NOTEBOOKS = [p.relative_to(ROOT).as_posix() for p in default_notebooks(ROOT)]
EXERCISES = [n for n in NOTEBOOKS if n.startswith("exercises/")]
GLUE_ROLE = re.compile(r"\{glue(?::[a-z]+)?\}`([^`:]+)")
HIDDEN = {"cellView": "form", "jupyter": {"source_hidden": True}, "tags": ["hide-cell"]}


def executed(name: str) -> nbformat.NotebookNode:
    """The executed copy of a notebook of the book."""
    path = ROOT / EXECUTED / name
    if not path.exists():
        pytest.fail(f"{name} was not executed: run `make notebooks` first")
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_notebook_ran_and_passed(name):
    executed(name)
    record = json.loads((ROOT / EXECUTED / f"{name}.json").read_text())
    assert record["passed"], f"{name} failed in the notebook stage"
    assert record["device"] and record["seconds"] > 0


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_glued_values_exist(name):
    """Every value the prose shows through a glue role was glued by the run."""
    notebook = executed(name)
    used = {
        role
        for cell in notebook.cells
        if cell.cell_type == "markdown"
        for role in GLUE_ROLE.findall(cell.source)
    }
    glued = {
        output.metadata["scrapbook"]["name"]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "scrapbook" in output.get("metadata", {})
    }
    assert used <= glued, f"{name}: glued nowhere in the run: {sorted(used - glued)}"


@pytest.mark.parametrize("name", EXERCISES)
def test_exercises_fail_only_where_expected(name):
    """In a student notebook only stubs and their checks fail, and each as it should."""
    code = [c for c in executed(name).cells if c.cell_type == "code"]
    stubs = 0
    for index, cell in enumerate(code):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        where = f"{name}, code cell {index + 1}"
        if "raises-exception" not in cell.metadata.get("tags", []):
            assert not errors, (
                f"{where}: unexpected {errors[0].ename}: {errors[0].evalue}"
            )
            continue
        if "raise NotImplementedError(" in cell.source:
            stubs += 1
            # A stub inside a function raises only when the check calls it.
            for error in errors:
                assert error.ename == "NotImplementedError", f"{where}: {error.ename}"
                assert re.match(r"Exercise \d+\.\d+", error.evalue), error.evalue
            hidden = code[index + 2].metadata
            assert HIDDEN.items() <= hidden.items(), f"{where}: no hidden solution"
            continue
        assert len(errors) == 1, f"{where}: the check of an unsolved exercise passed"
        assert errors[0].ename in ("CheckFailed", "NameError"), errors[0].ename
        assert "\n" not in errors[0].evalue, f"{where}: message of several lines"
    assert stubs >= 5, f"{name}: fewer than five exercises"
