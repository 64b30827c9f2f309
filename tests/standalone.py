"""Run every notebook as a reader opens it alone, with nbval, and keep what it printed.

``python -m tests.standalone stage DIR`` prepares DIR, outside the repository:

- ``wheel/``: ``dlbook`` built from the checkout as a regular wheel;
- ``venv/``: a virtual environment that sees ``.venv``'s packages (torch, jupyter, ...)
  but not its editable ``dlbook``; the wheel is installed into it with the very line a
  notebook's setup cell runs in Colab;
- ``jupyter/kernels/``: two kernels running that environment: ``dlbook-colab`` reads data
  from ``DIR/data`` (a reader's cache, linked from what set-up prepared in ``data/``);
  ``dlbook-fresh`` has no data at all, so its notebook prepares MNIST on first use, as
  in a new Colab session;
- ``ipython/``: a start-up file that makes ``"google.colab" in sys.modules`` true, so the
  setup cell's Colab branch runs, its install line pointed at the local wheel;
- ``notebooks/<name>/<notebook>.ipynb``: each notebook alone in an empty folder.

``pytest -p tests.standalone --nbval-lax DIR/notebooks`` then executes them (quick mode
is set by the caller). This plugin writes each executed notebook, with the original setup
cell, to ``_build/executed/<path>``, and a record beside it (``<path>.json``: mode,
device, seconds, metrics from ``record_metric``, passed), which the site and its results
page are built from, so no notebook is executed twice.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import nbformat

from dlbook.bench import device_name, write_record

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ROOT / "_build" / "executed"
NOTEBOOK_FOLDERS = ("chapters", "solutions", "exercises")
#: The notebook that runs with no data anywhere: it prepares MNIST itself.
FRESH = "chapters/02_mlp_backprop/01_backprop_from_scratch.ipynb"
INSTALL = re.compile(r'(%pip install -q )"dlbook @ git\+\S+"')
STARTUP = (
    "# Pretend to be Colab, so the setup cell's Colab branch installs dlbook.\n"
    "import sys, types\n"
    "sys.modules.setdefault('google.colab', types.ModuleType('google.colab'))\n"
)


def book_notebooks() -> list[str]:
    """Every notebook of the book, relative to the repository root."""
    return sorted(
        str(p.relative_to(ROOT))
        for folder in NOTEBOOK_FOLDERS
        for p in (ROOT / folder).rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts
    )


def _run(command: list[str], **kwargs) -> None:
    """Run a set-up command; on failure show its output and stop."""
    proc = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{proc.stdout}{proc.stderr}")


def _kernel(stage: Path, name: str, python: Path, env: dict[str, str]) -> None:
    """Write a kernelspec that runs ``python`` with ``env``."""
    folder = stage / "jupyter" / "kernels" / name
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python 3 ({name})",
        "language": "python",
        "env": {"IPYTHONDIR": str(stage / "ipython"), **env},
    }
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1))


def stage(target: Path) -> Path:
    """Prepare ``target`` as described in the module docstring; return it."""
    start = time.perf_counter()
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(target / "wheel"),
            str(ROOT),
        ]
    )
    shutil.rmtree(ROOT / "build", ignore_errors=True)  # setuptools' leftovers
    wheel = next((target / "wheel").glob("dlbook-*.whl")).resolve()
    requirement = f'"dlbook @ {wheel.as_uri()}"'
    _run([sys.executable, "-m", "venv", "--without-pip", str(target / "venv")])
    python = target / "venv" / "bin" / "python"
    site = next((target / "venv" / "lib").glob("python3*/site-packages"))
    # A plain path in a .pth file adds .venv's packages but runs none of .venv's own
    # .pth files, so its editable dlbook stays invisible here.
    base = next(Path(sys.prefix, "lib").glob("python3*/site-packages"))
    (site / "dlbook_book_env.pth").write_text(f"{base}\n")
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)])
    probe = subprocess.run(
        [str(python), "-c", "import dlbook; print(dlbook.__file__)"],
        capture_output=True,
        text=True,
        cwd=target,
    ).stdout.strip()
    if not probe.startswith(str(site)):
        sys.exit(f"dlbook imports from {probe!r}, not from the installed wheel")
    startup = target / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text(STARTUP)
    for prepared in (ROOT / "data").rglob("*"):  # what `make data` prepared
        copy = target / "data" / prepared.relative_to(ROOT / "data")
        if prepared.is_file() and prepared.name != "README.md":
            copy.parent.mkdir(parents=True, exist_ok=True)
            os.link(prepared, copy)
    # Two notebooks run at once, one per core: a second thread per kernel, or threads
    # that spin while they wait, would only take the other kernel's core.
    common = {
        "DLBOOK_METRICS": "metrics.jsonl",
        "PYTHONNOUSERSITE": "1",
        "OMP_NUM_THREADS": "1",
        "OMP_WAIT_POLICY": "PASSIVE",
    }
    _kernel(
        target, "dlbook-colab", python, {**common, "DLBOOK_DATA": str(target / "data")}
    )
    _kernel(target, "dlbook-fresh", python, {**common, "DLBOOK_OFFLINE": "1"})
    for source in book_notebooks():
        notebook = nbformat.read(ROOT / source, as_version=4)
        setup = next(c for c in notebook.cells if c.cell_type == "code")
        if not INSTALL.search(setup.source):
            sys.exit(f"{source}: its setup cell has no Colab install line")
        setup.source = INSTALL.sub(lambda m: m.group(1) + requirement, setup.source)
        kernel = "dlbook-fresh" if source == FRESH else "dlbook-colab"
        notebook.metadata.kernelspec = {"name": kernel, "display_name": kernel}
        notebook.metadata.setdefault("dlbook", {})["source"] = source
        folder = target / "notebooks" / source.replace("/", "__").removesuffix(".ipynb")
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / Path(source).name)
    print(
        f"staged {len(book_notebooks())} notebooks in {target} "
        f"({time.perf_counter() - start:.1f} s)",
        file=sys.stderr,
    )
    return target


# ---------------------------------------------------------------------------------
# pytest plugin: keep the executed notebooks and their records
# ---------------------------------------------------------------------------------

_seconds: dict[str, float] = defaultdict(float)
_cell_seconds: dict[str, list[float]] = defaultdict(list)
_failed: set[str] = set()
_files: dict[str, object] = {}


def pytest_configure(config) -> None:
    """Let nbval find the staged kernels, in a folder above the notebooks given."""
    for arg in config.args:
        for folder in Path(arg).resolve().parents:
            if (folder / "jupyter" / "kernels").is_dir():
                os.environ["JUPYTER_PATH"] = str(folder / "jupyter")


def _source_of(item) -> str | None:
    """The repository path of the staged notebook an nbval item belongs to."""
    nb = getattr(item.parent, "nb", None)
    return None if nb is None else nb.metadata.get("dlbook", {}).get("source")


def pytest_runtest_logreport(report) -> None:
    """Add each cell's time to its notebook's total; note failures."""
    path = report.nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        _seconds[path] += report.duration
        if report.when == "call":
            _cell_seconds[path].append(round(report.duration, 2))
        if report.failed:
            _failed.add(path)


def pytest_runtest_teardown(item, nextitem) -> None:
    """Store each cell's outputs; after a notebook's last cell, write it out."""
    cell = getattr(item, "cell", None)
    source = _source_of(item)
    if cell is None or source is None:
        return
    outputs = getattr(item, "test_outputs", None) or []
    cell.outputs = [nbformat.from_dict(dict(o)) for o in outputs]
    for output in cell.outputs:
        if output.output_type == "execute_result":
            output.setdefault("execution_count", None)
        elif output.output_type == "display_data":
            output.pop("execution_count", None)
    if nextitem is None or nextitem.parent is not item.parent:
        _write(item, source)


def _write(item, source: str) -> None:
    """Write the executed notebook (original setup cell) and its record."""
    notebook = item.parent.nb
    original = nbformat.read(ROOT / source, as_version=4)
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    first = next(c for c in original.cells if c.cell_type == "code")
    code_cells[0].source = first.source
    for output in code_cells[0].outputs:  # pip's advice is for Colab, not the site
        if output.output_type == "stream":
            output.text = "".join(
                line
                for line in output.text.splitlines(keepends=True)
                if "restart the kernel" not in line and line.strip()
            )
    code_cells[0].outputs = [o for o in code_cells[0].outputs if o.get("text", 1)]
    notebook.metadata.kernelspec = original.metadata.kernelspec
    notebook.metadata.get("dlbook", {}).pop("source", None)
    if not notebook.metadata.get("dlbook"):
        notebook.metadata.pop("dlbook", None)
    for count, cell in enumerate(code_cells, start=1):
        cell.execution_count = count if cell.outputs is not None else None
    target = EXECUTED / source
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    staged = Path(str(item.parent.fspath))
    metrics_file = staged.parent / "metrics.jsonl"
    lines = metrics_file.read_text().splitlines() if metrics_file.exists() else []
    nodeid = item.nodeid.split("::", 1)[0]
    record = {
        "notebook": source,
        "mode": "quick" if os.environ.get("DLBOOK_QUICK") == "1" else "full",
        "device": device_name(),
        "seconds": round(_seconds.get(nodeid, 0.0), 1),
        "passed": nodeid not in _failed,
        "cell_seconds": _cell_seconds.get(nodeid, []),  # code cells, in order
        "metrics": [json.loads(line) for line in lines],
    }
    write_record(target, record)


def pytest_terminal_summary(terminalreporter) -> None:
    """Print the table of execution times, slowest first."""
    if not _seconds:
        return
    write = terminalreporter.write_line
    terminalreporter.section("notebook execution times")
    # The staged folder's name is the notebook's path with "/" written "__".
    names = {p: Path(p).parent.name.replace("__", "/") + ".ipynb" for p in _seconds}
    width = max(len(n) for n in names.values())
    write(f"{'notebook':<{width}}  {'seconds':>8}  result")
    for path, seconds in sorted(_seconds.items(), key=lambda item: -item[1]):
        result = "FAILED" if path in _failed else "ok"
        write(f"{names[path]:<{width}}  {seconds:8.1f}  {result}")
    write(f"{'total':<{width}}  {sum(_seconds.values()):8.1f}")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "stage":
        sys.exit("usage: python -m tests.standalone stage DIR")
    stage(Path(sys.argv[2]).resolve())
