"""Time every notebook in full mode and collect its headline metric (``make bench``).

Usage: ``python -m dlbook.bench [--quick] [--keep DIR] [NOTEBOOK ...]``. A notebook reports its
headline result with :func:`record_metric`; the table gives notebook, device,
seconds and those metrics.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

#: When this environment variable names a file, ``record_metric`` appends to it.
METRICS_ENV = "DLBOOK_METRICS"


def glue(name: str, value: object) -> None:
    """Store ``value`` for ``{glue:text}`name``` in the site's prose (no-op without myst-nb)."""
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # Colab, plain JupyterLab: the prose then names the output
        return
    myst_glue(name, value, display=False)


def record_metric(
    name: str,
    value: float,
    *,
    at_least: float | None = None,
    at_most: float | None = None,
) -> float:
    """Record a headline result (``make bench``, the results page) and glue it; return it.

    ``at_least``/``at_most`` give the bar the notebook asserts, shown beside the value.
    """
    value = float(value)
    glue(name, value)
    path = os.environ.get(METRICS_ENV)
    if path:
        row: dict = {"name": name, "value": value}
        if at_least is not None:
            row["at_least"] = float(at_least)
        if at_most is not None:
            row["at_most"] = float(at_most)
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
    return value


def default_notebooks(root: Path) -> list[Path]:
    """The notebooks ``make bench`` times: every chapter, then every solution."""
    chapters = sorted((root / "chapters").rglob("*.ipynb"))
    solutions = sorted((root / "solutions").glob("*.ipynb"))
    return [p for p in chapters + solutions if ".ipynb_checkpoints" not in p.parts]


def run_notebook(
    path: Path, quick: bool = False, keep: Path | None = None
) -> tuple[float, list[dict]]:
    """Execute one notebook in its own folder; return (seconds, recorded metrics).

    With ``keep``, the executed notebook, outputs included, is written to that path
    (also when a cell fails), so the numbers a chapter quotes can be read from the run.
    """
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        metrics_file = Path(tmp) / "metrics.jsonl"
        env = {**os.environ, METRICS_ENV: str(metrics_file)}
        env.pop("DLBOOK_QUICK", None)
        if quick:
            env["DLBOOK_QUICK"] = "1"
        client = NotebookClient(
            notebook, timeout=3600, resources={"metadata": {"path": str(path.parent)}}
        )
        start = time.perf_counter()
        try:
            client.execute(env=env)
        finally:  # a failed run is kept too, with its outputs up to the error
            if keep is not None:
                keep.parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(notebook, keep)
        seconds = time.perf_counter() - start
        lines = metrics_file.read_text().splitlines() if metrics_file.exists() else []
    return seconds, [json.loads(line) for line in lines]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: print the table of times and metrics."""
    from dlbook.setup import get_device

    parser = argparse.ArgumentParser(prog="python -m dlbook.bench", description=__doc__)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--quick", action="store_true", help="run in quick mode")
    parser.add_argument(
        "--keep", type=Path, metavar="DIR", help="save the executed notebooks under DIR"
    )
    args = parser.parse_args(argv)
    root = Path.cwd()
    notebooks = args.notebooks or default_notebooks(root)
    device = get_device().type
    if device == "cpu":
        device = f"cpu ({os.cpu_count()} cores)"
    mode = "quick" if args.quick else "full"
    print(f"| notebook ({mode} mode) | device | seconds | metric |")
    print("|---|---|---:|---|")
    failed = 0
    for path in notebooks:
        name = path.resolve().relative_to(root) if path.is_absolute() else path
        try:
            keep = args.keep / name if args.keep else None
            seconds, metrics = run_notebook(path, quick=args.quick, keep=keep)
        except Exception as error:  # report and go on with the other notebooks
            failed += 1
            reason = str(error).strip().splitlines()[-1][:120] if str(error) else ""
            print(f"| {name} | {device} | failed | {type(error).__name__}: {reason} |")
            continue
        shown = "; ".join(f"{m['name']} = {m['value']:.4g}" for m in metrics) or "-"
        print(f"| {name} | {device} | {seconds:.1f} | {shown} |", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
