"""Generate the student notebooks in ``exercises/`` from ``solutions/``.

Usage: ``python -m dlbook.exercises`` writes every stale exercise notebook;
``python -m dlbook.exercises --check`` only reports them and exits 1 if any is stale.

In a solution notebook, each exercise is a Markdown heading ``Exercise N.M: title``,
then a code cell whose solution sits between the lines ``# BEGIN SOLUTION`` and
``# END SOLUTION``, then the check cell. In the student notebook each marked region
becomes ``raise NotImplementedError("Exercise N.M: title")`` (keeping ``# HINT:``
lines), followed by the check cell and by the original code in a hidden cell.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
import tempfile
from pathlib import Path

import nbformat
from nbformat import NotebookNode

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
HINT = "# HINT:"
#: Tags on stubs and their checks: allowed to raise (nbval, myst-nb), not run on the site.
STUB_TAGS = ["raises-exception", "skip-execution"]
_HEADING = re.compile(r"^#{1,6}\s+Exercise\s+(\d+)\.(\d+)\s*[:.-]?\s*(.*?)\s*$", re.M)
# Anything that looks like a marker but is not exactly one, e.g. "#BEGIN SOLUTIONS".
_NEAR_MARKER = re.compile(r"(BEGIN|END)\W*SOLUTION", re.I)


class MarkerError(ValueError):
    """A malformed solution notebook, explained in one line naming notebook and cell."""

    def _render_traceback_(self) -> list[str]:
        """Show IPython users the sentence alone."""
        return [str(self)]


def split_regions(source: str, where: str) -> list[tuple[bool, list[str]]]:
    """Split a cell's source into (is_solution, lines) runs, validating the markers."""
    runs: list[tuple[bool, list[str]]] = [(False, [])]
    inside = False
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise MarkerError(f"{where}, line {number}: nested '{BEGIN}'.")
            inside = True
            runs.append((True, [line]))
        elif marker == END:
            if not inside:
                raise MarkerError(f"{where}, line {number}: '{END}' without '{BEGIN}'.")
            inside = False
            runs[-1][1].append(line)
            runs.append((False, []))
        elif _NEAR_MARKER.search(line):
            raise MarkerError(
                f"{where}, line {number}: malformed marker {marker!r} "
                f"(write exactly '{BEGIN}' or '{END}')."
            )
        else:
            runs[-1][1].append(line)
    if inside:
        raise MarkerError(f"{where}: '{BEGIN}' without '{END}'.")
    return [(solution, lines) for solution, lines in runs if lines]


def make_stub(runs: list[tuple[bool, list[str]]], label: str) -> str:
    """Return the student's version of a cell: each solution region becomes a raise."""
    out: list[str] = []
    for solution, lines in runs:
        if not solution:
            out.extend(lines)
            continue
        indent = lines[0][: len(lines[0]) - len(lines[0].lstrip())]
        hints = [line.strip() for line in lines if line.strip().startswith(HINT)]
        out.extend(indent + hint for hint in hints)
        out.append(f"{indent}raise NotImplementedError({label!r})")
    return "\n".join(out)


def _strip_markers(runs: list[tuple[bool, list[str]]]) -> str:
    """Return the cell's code with the marker lines removed."""
    lines = [line for _, run in runs for line in run]
    return "\n".join(line for line in lines if line.strip() not in (BEGIN, END))


def _cell_id(name: str, index: int) -> str:
    """Return a stable cell id, so that regenerating gives identical files."""
    return hashlib.sha1(f"{name}:{index}".encode()).hexdigest()[:12]


def _code_cell(source: str, metadata: dict) -> NotebookNode:
    """Return an output-free code cell."""
    return nbformat.v4.new_code_cell(source=source, metadata=metadata)


def generate(solution: NotebookNode, name: str) -> NotebookNode:
    """Return the student notebook for a solution notebook called ``name``."""
    chapter = name.split("_", 1)[0].lstrip("0") or "0"
    cells, label, check_due = [], None, None
    for number, cell in enumerate(solution.cells, start=1):
        where = f"{name} cell {number}"
        if check_due is not None:
            if cell.cell_type != "code" or BEGIN in cell.source:
                raise MarkerError(
                    f"{where}: expected the check cell of {check_due[0]}."
                )
            cells.append(_code_cell(cell.source, {"tags": list(STUB_TAGS)}))
            title = f"# @title Solution to {check_due[0]} (click to reveal)"
            cells.append(
                _code_cell(
                    title + "\n" + check_due[1],
                    {
                        "cellView": "form",  # Colab shows only the title
                        "jupyter": {"source_hidden": True},  # JupyterLab
                        "tags": ["hide-cell"],  # the site: code and output behind one click
                        "mystnb": {
                            "code_prompt_show": f"Show the solution to {check_due[0]}",
                            "code_prompt_hide": "Hide the solution",
                        },
                    },
                )
            )
            check_due = None
            continue
        if cell.cell_type == "markdown":
            headings = _HEADING.findall(cell.source)
            if headings:
                major, minor, title = headings[-1]
                if major != chapter:
                    raise MarkerError(
                        f"{where}: Exercise {major}.{minor} in chapter {chapter}'s "
                        "notebook (number exercises N.M with N the chapter)."
                    )
                label = f"Exercise {major}.{minor}: {title}".rstrip(": ")
            cells.append(nbformat.v4.new_markdown_cell(cell.source))
            continue
        if cell.cell_type != "code":
            cells.append(cell)
            continue
        runs = split_regions(cell.source, where)
        if not any(solution for solution, _ in runs):
            metadata = {k: v for k, v in cell.metadata.items() if k != "execution"}
            cells.append(_code_cell(cell.source, metadata))
            continue
        if label is None:
            raise MarkerError(f"{where}: solution before any 'Exercise N.M' heading.")
        cells.append(_code_cell(make_stub(runs, label), {"tags": list(STUB_TAGS)}))
        check_due = (label.split(":")[0], _strip_markers(runs))
    if check_due is not None:
        raise MarkerError(f"{name}: {check_due[0]} has no check cell after it.")
    for index, cell in enumerate(cells):
        cell["id"] = _cell_id(name, index)
    notebook = nbformat.v4.new_notebook(cells=cells, metadata=dict(solution.metadata))
    notebook.metadata["dlbook"] = {"generated_from": f"solutions/{name}"}
    return notebook


def _read(path: Path) -> NotebookNode:
    """Read a notebook, turning unreadable JSON into a one-line MarkerError."""
    try:
        return nbformat.read(path, as_version=4)
    except Exception as error:  # invalid JSON or schema
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise MarkerError(f"{path}: not a readable notebook ({first}).") from None


def render(solution_path: Path) -> str:
    """Return the text of the exercise notebook generated from ``solution_path``."""
    notebook = generate(_read(solution_path), solution_path.name)
    return nbformat.writes(notebook) + "\n"


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file, never leaving half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        umask = os.umask(0)  # mkstemp makes the file private; give it the usual mode
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sync(root: Path, check: bool = False) -> list[str]:
    """Regenerate ``root/exercises`` from ``root/solutions``; return the stale files."""
    solutions, exercises = root / "solutions", root / "exercises"
    texts = {p.name: render(p) for p in sorted(solutions.glob("*.ipynb"))}
    stale = []
    for name, text in texts.items():
        target = exercises / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            stale.append(f"exercises/{name}")
            if not check:
                _write_atomic(target, text)
    orphans = [p for p in sorted(exercises.glob("*.ipynb")) if p.name not in texts]
    stale += [f"exercises/{p.name} (no solutions/{p.name})" for p in orphans]
    return stale


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: generate or check exercises/."""
    parser = argparse.ArgumentParser(
        prog="python -m dlbook.exercises", description=__doc__
    )
    parser.add_argument("--check", action="store_true", help="only report stale files")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the book's root")
    args = parser.parse_args(argv)
    try:
        stale = sync(args.root, check=args.check)
    except MarkerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.check:
        for entry in stale:
            print(f"stale: {entry}: run `make exercises`", file=sys.stderr)
        return 1 if stale else 0
    for entry in stale:
        print(("orphan, delete it: " if "(no " in entry else "wrote ") + entry)
    if not stale:
        print("exercises/ is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
