"""What readers see speaks of the book only, and every glued value is glued.

Chapters, exercises, solutions, the introduction and the checkers' messages and
docstrings must not refer to material a reader does not have (the seed notebooks,
homework, slides, lectures, course notes). Random seeds are fine. A notebook's Markdown
may show run values with ``{glue:text}`name```; each such name must be glued (by
``record_metric`` or ``glue``) in the same notebook, or the site shows an error.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Words about material outside the book. "Slide(s)" as a verb ("a filter slides over
#: the image") is allowed; as a noun ("the slides", "slides'") it is not.
FORBIDDEN = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\bseed['’]s\b",  # "the seed's model"
        r"\bseeds['’]",  # "the seeds' encoder"
        r"(?<!random )\bthe seeds?\b(?!\s*[=\d(])",  # "as the seed does"
        r"\bhomework",
        r"\blectures?\b",
        r"\bcourse\s+(notes|slides|homework|material)",
        r"\bcourse['’]s\b",
        r"\bthe\s+course\b(?!\s+book)",
        r"\b(the|course|lecture|attention|these|our)\s+slides?\b",
        r"\bslides?\b(?!\s*$|\s+(a|an|the|each|your|its|one|every|only|over|along|"
        r"across|from|by|down|`))",
    )
]


def reader_files() -> list[Path]:
    """Every file whose text a reader sees."""
    files = sorted((ROOT / "chapters").rglob("*.ipynb"))
    files += sorted((ROOT / "chapters").rglob("*.md"))
    files += sorted((ROOT / "exercises").glob("*.ipynb"))
    files += sorted((ROOT / "solutions").glob("*.ipynb"))
    files += [ROOT / "intro.md"]
    files += sorted((ROOT / "dlbook" / "checks").glob("*.py"))
    return [f for f in files if ".ipynb_checkpoints" not in f.parts and f.exists()]


def python_strings(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string literal of a module: docstrings and messages."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.value))
    return found


def reader_text(path: Path) -> list[tuple[str, str]]:
    """(where, text) pieces of a file that a reader sees."""
    if path.suffix == ".ipynb":
        notebook = nbformat.read(path, as_version=4)
        return [
            (f"cell {number}", cell.source)
            for number, cell in enumerate(notebook.cells, start=1)
        ]
    if path.suffix == ".py":
        return [(f"line {line}", text) for line, text in python_strings(path.read_text())]
    return [
        (f"line {number}", line)
        for number, line in enumerate(path.read_text().splitlines(), start=1)
    ]


def forbidden_words(text: str) -> list[str]:
    """The forbidden phrases found in ``text``, with a little context each."""
    text = re.sub(r"\s+", " ", text)
    hits = []
    for pattern in FORBIDDEN:
        for match in pattern.finditer(text):
            start, end = max(match.start() - 30, 0), match.end() + 30
            hits.append(f"...{text[start:end]}...")
    return hits


FILES = reader_files()


@pytest.mark.parametrize("path", FILES, ids=[str(f.relative_to(ROOT)) for f in FILES])
def test_reader_text_names_no_outside_material(path):
    problems = [
        f"{where}: {hit}" for where, text in reader_text(path) for hit in forbidden_words(text)
    ]
    assert not problems, (
        f"{path.relative_to(ROOT)} mentions material readers do not have "
        "(say what is meant instead):\n" + "\n".join(problems)
    )


@pytest.mark.parametrize(
    "text",
    [
        "the seed's 784-400-20 model",
        "in the seeds' encoder",
        "as the seed does",
        "the course homework",
        "The lecture slides ask",
        "As in the slides, the input",
        "the slides' column layout",
        "Stanford CS231n course notes",
        "The course's first worked example",
        "The attention slides of the course",
    ],
)
def test_forbidden_words_are_found(text):
    assert forbidden_words(text)


@pytest.mark.parametrize(
    "text",
    [
        "set_seed(0)",
        "a random seed fixes the draw",
        "with seed 0 and seed 1",
        "over three random seeds",
        "The random seed decides which images",
        "A convolutional layer slides a few small filters over the image",
        "the window slides over each channel",
        "a 1-D filter slides along one axis",
        "zeros on every side before the kernel slides",
        "this course book",
    ],
)
def test_random_seeds_and_sliding_filters_are_fine(text):
    assert not forbidden_words(text)


GLUE_ROLE = re.compile(r"\{glue(?::\w+)?\}`([^`]+)`")
GLUE_DIRECTIVE = re.compile(r"^```\{glue(?::\w+)?\}\s+(\S+)", re.MULTILINE)
GLUE_CALL = re.compile(r"\b(?:record_metric|glue)\(\s*(f?)([\"'])(.+?)\2")


def glued_names(code: str) -> list[re.Pattern]:
    """Patterns matching the names glued by ``record_metric``/``glue`` calls."""
    patterns = []
    for is_f, _, name in GLUE_CALL.findall(code):
        if is_f:  # an f-string name: each {...} part matches any text
            parts = re.split(r"\{[^}]*\}", name)
            patterns.append(re.compile(".+".join(re.escape(p) for p in parts)))
        else:
            patterns.append(re.compile(re.escape(name)))
    return patterns


def used_glue_names(markdown: str) -> list[str]:
    """Names shown by glue roles and directives, without a format or a document."""
    names = GLUE_ROLE.findall(markdown) + GLUE_DIRECTIVE.findall(markdown)
    return [name.split("::")[-1].split(":")[0].strip() for name in names]


def bad_glue_formats(markdown: str) -> list[str]:
    """Glue roles whose format spec Python's format() rejects for a number."""
    bad = []
    for role in GLUE_ROLE.findall(markdown):
        key, _, spec = role.split("::")[-1].partition(":")
        try:
            format(1 if spec[-1:] in ("d", "b", "o", "x", "X", "c") else 0.5, spec)
        except ValueError:
            bad.append(role)
    return bad


NOTEBOOKS = [f for f in FILES if f.suffix == ".ipynb"]


@pytest.mark.parametrize(
    "path", NOTEBOOKS, ids=[str(f.relative_to(ROOT)) for f in NOTEBOOKS]
)
def test_every_glued_name_is_glued_in_the_notebook(path):
    notebook = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    glued = glued_names(code)
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    missing = [
        name
        for name in used_glue_names(markdown)
        if not any(pattern.fullmatch(name) for pattern in glued)
    ]
    assert not missing, f"{path.relative_to(ROOT)} shows values nothing glues: {missing}"
    bad = bad_glue_formats(markdown)
    assert not bad, f"{path.relative_to(ROOT)} has glue roles with a bad format: {bad}"


def test_glue_names_are_read_from_roles_and_calls():
    markdown = "reached {glue:text}`test_accuracy:.2%` and {glue}`loss`"
    assert used_glue_names(markdown) == ["test_accuracy", "loss"]
    code = 'record_metric("test_accuracy", a, at_least=0.9)\nglue(f"acc_{n}_x", b)'
    patterns = glued_names(code)
    assert patterns[0].fullmatch("test_accuracy")
    assert patterns[1].fullmatch("acc_50_x") and not patterns[1].fullmatch("acc_50")
    assert bad_glue_formats("{glue:text}`a:.2f}` and {glue:text}`b:,.0f`") == ["a:.2f}"]
