"""Tests of the exercise generator and of the generated exercise notebooks."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from dlbook.exercises import (
    BEGIN,
    END,
    STUB_TAGS,
    MarkerError,
    generate,
    main,
    make_stub,
    render,
    split_regions,
    sync,
)

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
HIDDEN = {
    "cellView": "form",
    "jupyter": {"source_hidden": True},
    "tags": ["hide-cell"],
}


def make_notebook(*cells: tuple[str, str]) -> nbformat.NotebookNode:
    """Build a notebook from (kind, source) pairs."""
    new = {"md": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    return nbformat.v4.new_notebook(cells=[new[kind](src) for kind, src in cells])


SQUARE = f"""def square(x):
    \"\"\"Return x squared.\"\"\"
    {BEGIN}
    # HINT: multiply x by itself
    return x * x
    {END}"""

EXAMPLE = make_notebook(
    ("md", "# Exercises"),
    ("code", "import math"),
    ("md", "## Exercise 3.1: Squares\nWrite `square`."),
    ("code", SQUARE),
    ("code", "assert square(3) == 9"),
    ("md", "## Wrap-up"),
)


# --- the generator on small notebooks ---------------------------------------------


def test_split_regions_finds_the_solution():
    runs = split_regions(SQUARE, "nb cell 1")
    assert [solution for solution, _ in runs] == [False, True]
    assert runs[1][1][0].strip() == BEGIN and runs[1][1][-1].strip() == END


def test_stub_keeps_hints_and_indentation():
    stub = make_stub(split_regions(SQUARE, "nb"), "Exercise 3.1: Squares")
    assert stub.splitlines()[-2:] == [
        "    # HINT: multiply x by itself",
        "    raise NotImplementedError('Exercise 3.1: Squares')",
    ]
    assert "x * x" not in stub


def test_generate_orders_stub_check_and_hidden_solution():
    cells = generate(EXAMPLE, "03_demo.ipynb").cells
    kinds = [c.cell_type for c in cells]
    assert kinds == ["markdown", "code", "markdown", "code", "code", "code", "markdown"]
    stub, check, solution = cells[3:6]
    assert "raise NotImplementedError('Exercise 3.1: Squares')" in stub.source
    assert stub.metadata["tags"] == STUB_TAGS and check.metadata["tags"] == STUB_TAGS
    assert check.source == "assert square(3) == 9"
    assert HIDDEN.items() <= solution.metadata.items()
    prompt = solution.metadata["mystnb"]["code_prompt_show"]
    assert prompt == "Show the solution to Exercise 3.1"
    assert solution.source.startswith("# @title Solution to Exercise 3.1")
    assert "return x * x" in solution.source and BEGIN not in solution.source


def test_generate_is_deterministic():
    assert nbformat.writes(generate(EXAMPLE, "03_demo.ipynb")) == nbformat.writes(
        generate(EXAMPLE, "03_demo.ipynb")
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (f"x = 1\n{BEGIN}\nx = 2", "without '# END SOLUTION'"),
        (f"x = 1\n{END}", "line 2: '# END SOLUTION' without"),
        (f"{BEGIN}\n{BEGIN}\n{END}", "line 2: nested"),
        (f"#BEGIN SOLUTIONS\nx = 1\n{END}", "line 1: malformed marker"),
        (f"{BEGIN}\nx = 1\n# end solution", "line 3: malformed marker"),
    ],
)
def test_bad_markers_name_notebook_cell_and_line(source, message):
    nb = make_notebook(("md", "## Exercise 3.1: A"), ("code", source), ("code", "pass"))
    with pytest.raises(MarkerError, match=re.escape(message)) as error:
        generate(nb, "03_demo.ipynb")
    assert str(error.value).startswith("03_demo.ipynb cell 2")
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ([("code", f"{BEGIN}\nx = 1\n{END}"), ("code", "x")], "before any 'Exercise"),
        ([("md", "## Exercise 3.1: A"), ("code", f"{BEGIN}\n{END}")], "no check cell"),
        (
            [("md", "## Exercise 3.1: A"), ("code", f"{BEGIN}\n{END}"), ("md", "x")],
            "expected the check cell",
        ),
        ([("md", "## Exercise 4.1: A"), ("code", f"{BEGIN}\n{END}")], "chapter 3"),
    ],
)
def test_badly_structured_notebooks_are_refused(cells, message):
    with pytest.raises(MarkerError, match=re.escape(message)):
        generate(make_notebook(*cells), "03_demo.ipynb")


def test_sync_writes_then_checks(tmp_path, capsys):
    (tmp_path / "solutions").mkdir()
    nbformat.write(EXAMPLE, tmp_path / "solutions" / "03_demo.ipynb")
    assert main(["--check", "--root", str(tmp_path)]) == 1
    assert "stale: exercises/03_demo.ipynb" in capsys.readouterr().err
    assert main(["--root", str(tmp_path)]) == 0
    assert main(["--check", "--root", str(tmp_path)]) == 0
    written = tmp_path / "exercises" / "03_demo.ipynb"
    assert written.stat().st_mode & 0o044, "others cannot read the generated notebook"
    # Editing the solution makes the exercise stale again.
    edited = nbformat.read(tmp_path / "solutions" / "03_demo.ipynb", as_version=4)
    edited.cells[1].source = "import math, os"
    nbformat.write(edited, tmp_path / "solutions" / "03_demo.ipynb")
    assert sync(tmp_path, check=True) == ["exercises/03_demo.ipynb"]


def test_sync_reports_orphans_and_bad_notebooks(tmp_path, capsys):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "09_old.ipynb").write_text("{}")
    assert sync(tmp_path, check=True) == [
        "exercises/09_old.ipynb (no solutions/09_old.ipynb)"
    ]
    (tmp_path / "solutions" / "03_bad.ipynb").write_text("{not json")
    assert main(["--check", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "not a readable notebook" in err
    assert "\n" not in err


# --- the real exercise notebooks --------------------------------------------------


def test_there_are_exercise_notebooks():
    assert SOLUTIONS, "solutions/ holds no notebook"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_exercises_are_in_sync(solution):
    exercise = ROOT / "exercises" / solution.name
    assert exercise.exists(), f"{exercise} missing: run `make exercises`"
    assert exercise.read_text(encoding="utf-8") == render(solution), (
        f"{exercise.name} is stale: run `make exercises`"
    )


def _solution_only_lines(solution: nbformat.NotebookNode) -> set[str]:
    """Lines that appear inside solution regions and nowhere else in the notebook."""
    inside, outside = set(), set()
    for cell in solution.cells:
        if cell.cell_type != "code":
            continue
        for is_solution, lines in split_regions(cell.source, "cell"):
            for line in lines:
                text = line.strip()
                if text and text not in (BEGIN, END) and not text.startswith("# HINT:"):
                    (inside if is_solution else outside).add(text)
    return inside - outside


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_no_solution_line_is_visible(solution):
    secret = _solution_only_lines(nbformat.read(solution, as_version=4))
    exercise = nbformat.read(ROOT / "exercises" / solution.name, as_version=4)
    hidden_cells = 0
    for cell in exercise.cells:
        if cell.metadata.get("jupyter", {}).get("source_hidden"):
            assert HIDDEN.items() <= cell.metadata.items(), (
                "solution not hidden everywhere"
            )
            hidden_cells += 1
            continue
        leaked = secret & {line.strip() for line in cell.source.splitlines()}
        assert not leaked, f"solution lines visible in {solution.name}: {leaked}"
    assert hidden_cells >= 5, "fewer than five exercises"
