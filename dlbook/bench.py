"""Execute the book's notebooks, record what they reach, and write the results page.

``python -m dlbook.bench [--quick] [--out DIR] [--force] [NOTEBOOK ...]`` (``make bench``)
executes notebooks, each in its own folder, and writes the executed copy and a record
(``<path>.json``: mode, device, seconds, metrics, passed) under DIR; a notebook whose
record is current is not run again. It prints the table of all records.
``python -m dlbook.bench --site SRC`` assembles a site source from the executed notebooks
(the test stage writes the same records), with ``results.md`` generated from the records,
so the site is built without executing anything twice.
A notebook reports its headline results with :func:`record_metric`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

#: When this environment variable names a file, ``record_metric`` appends to it.
METRICS_ENV = "DLBOOK_METRICS"
#: Where executed notebooks and their records go, relative to the book's root.
EXECUTED = Path("_build") / "executed"
NOTEBOOK_FOLDERS = ("chapters", "solutions", "exercises")


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
    """The book's notebooks: chapters, then solutions, then exercises."""
    found = [
        path
        for folder in NOTEBOOK_FOLDERS
        for path in sorted((root / folder).rglob("*.ipynb"))
        if ".ipynb_checkpoints" not in path.parts
    ]
    return found


def device_name() -> str:
    """The device notebooks run on, in words: the GPU's name or the CPU's cores."""
    import torch

    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "Apple MPS"
    return f"CPU ({os.cpu_count()} cores)"


def source_hash(path: Path) -> str:
    """A digest of a notebook and of the dlbook package it runs with."""
    digest = hashlib.sha256(path.read_bytes())
    for module in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(module.read_bytes())
    return digest.hexdigest()[:16]


def run_notebook(
    path: Path, quick: bool = False, keep: Path | None = None
) -> tuple[float, list[dict]]:
    """Execute one notebook in its own folder; return (seconds, recorded metrics).

    With ``keep``, the executed notebook, outputs included, is written to that path
    (also when a cell fails). Cells tagged ``skip-execution`` (exercise stubs) are skipped.
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


def write_record(target: Path, record: dict) -> None:
    """Write an executed notebook's record beside it (``<notebook>.json``)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{target}.json").write_text(json.dumps(record, indent=1) + "\n")


def load_records(executed: Path) -> list[dict]:
    """Every record under ``executed``, in the book's order (chapters, solutions, ...)."""
    records = [json.loads(p.read_text()) for p in executed.rglob("*.ipynb.json")]
    order = {folder: i for i, folder in enumerate(NOTEBOOK_FOLDERS)}
    return sorted(
        records,
        key=lambda r: (order.get(r["notebook"].split("/")[0], 9), r["notebook"]),
    )


def execute(
    path: Path, root: Path, out: Path, quick: bool = False, force: bool = False
) -> dict:
    """Run one notebook unless its record under ``out`` is current; return the record."""
    try:
        name = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:  # a notebook outside the book
        name = path.name
    mode = "quick" if quick else "full"
    target = out / name
    record_path = Path(f"{target}.json")
    digest = source_hash(path)
    if record_path.exists() and target.exists() and not force:
        record = json.loads(record_path.read_text())
        if record.get("hash") == digest and record["mode"] == mode and record["passed"]:
            return {**record, "cached": True}
    error = None
    start = time.perf_counter()
    try:
        seconds, metrics = run_notebook(path, quick=quick, keep=target)
    except Exception as exc:  # report and go on with the other notebooks
        seconds, metrics = time.perf_counter() - start, []
        lines = str(exc).strip().splitlines()
        error = f"{type(exc).__name__}: {lines[-1][:160] if lines else ''}"
    record = {
        "notebook": name,
        "mode": mode,
        "device": device_name(),
        "seconds": round(seconds, 1),
        "passed": error is None,
        "metrics": metrics,
        "hash": digest,
    }
    if error:
        record["error"] = error
    write_record(target, record)
    return record


def _bar(metric: dict) -> str:
    """The bar a metric is held to, in words ("≥ 0.98"), or "" without one."""
    parts = []
    if "at_least" in metric:
        parts.append(f"≥ {metric['at_least']:.4g}")
    if "at_most" in metric:
        parts.append(f"≤ {metric['at_most']:.4g}")
    return ", ".join(parts)


def metric_passes(metric: dict) -> bool:
    """Whether a recorded value clears the bar recorded with it."""
    value = metric["value"]
    return metric.get("at_least", value) <= value <= metric.get("at_most", value)


def table(records: list[dict], link: bool = False) -> list[str]:
    """Markdown rows: notebook, device, seconds, each metric beside its bar."""
    rows = [
        "| notebook | device | seconds | metric | value | bar | result |",
        "|---|---|---:|---|---:|---|---|",
    ]
    for record in records:
        name = record["notebook"]
        shown = f"[{name}]({name.removesuffix('.ipynb')})" if link else name
        if link and name.startswith("solutions/"):
            shown = name  # solutions are not pages of the site
        ok = (
            "pass"
            if record["passed"]
            else f"fail ({record.get('error', 'a cell failed')})"
        )
        metrics = record["metrics"] or [None]
        for i, metric in enumerate(metrics):
            first = i == 0
            cells = [
                shown if first else "",
                record["device"] if first else "",
                f"{record['seconds']:.1f}" if first else "",
            ]
            if metric is None:
                cells += ["-", "", "", ok]
            else:
                passes = metric_passes(metric) and record["passed"]
                cells += [
                    metric["name"].replace("_", " "),
                    f"{metric['value']:.4g}",
                    _bar(metric),
                    "pass" if passes else ok if not record["passed"] else "fail",
                ]
            rows.append("| " + " | ".join(cells) + " |")
    return rows


def results_page(records: list[dict]) -> str:
    """The site's results page: what this build's run of every notebook reached."""
    modes = sorted({r["mode"] for r in records}) or ["none"]
    devices = sorted({r["device"] for r in records}) or ["none"]
    total = sum(r["seconds"] for r in records)
    failed = [r["notebook"] for r in records if not r["passed"]]
    mode_words = {
        "full": "full mode: the training every chapter is written for",
        "quick": "quick mode (`DLBOOK_QUICK=1`): smaller data and fewer epochs, as in "
        "the tests, so the figures are lower than a full run's",
    }
    lines = [
        "# Results of this build",
        "",
        "Every notebook of this site was executed to build it; this page lists what "
        "that run reached. It is generated from the run itself, so it always describes "
        "the pages you are reading.",
        "",
        f"- **Mode:** {'; '.join(mode_words.get(m, m) for m in modes)}.",
        f"- **Device:** {', '.join(devices)}.",
        f"- **Notebooks:** {len(records)}, executed in {total / 60:.1f} minutes in all "
        f"({len(records) - len(failed)} passed, {len(failed)} failed).",
        "",
        "Each headline value stands beside the bar its notebook asserts; a notebook fails "
        "when a cell raises, including those assertions. Solution notebooks are not pages "
        "of the site: they are run to check that every exercise's solution passes.",
        "",
        *table(records, link=True),
        "",
    ]
    return "\n".join(lines)


def _site_notebook(source: Path, target: Path) -> None:
    """Copy an executed notebook for the site: no stub errors, no widget outputs."""
    import nbformat

    notebook = nbformat.read(source, as_version=4)
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if "skip-execution" in cell.metadata.get("tags", []):
            cell.outputs, cell.execution_count = [], None  # the site does not run stubs
        cell.outputs = [
            o
            for o in cell.outputs
            if "application/vnd.jupyter.widget-view+json" not in o.get("data", {})
        ]
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)


def assemble_site(root: Path, executed: Path, dest: Path) -> list[str]:
    """Write a site source in ``dest``: the book's pages with executed notebooks, results.

    Returns the notebooks of the table of contents that have no executed copy (the site
    cannot be built then).
    """
    import yaml

    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name in ("_toc.yml", "intro.md"):
        shutil.copy2(root / name, dest / name)
    if (root / "_static").is_dir():
        shutil.copytree(root / "_static", dest / "_static")
    for page in (root / "chapters").rglob("*.md"):
        (dest / page.relative_to(root)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(page, dest / page.relative_to(root))
    missing = []
    for folder in ("chapters", "exercises"):
        for notebook in sorted((root / folder).rglob("*.ipynb")):
            rel = notebook.relative_to(root)
            if (executed / rel).exists():
                _site_notebook(executed / rel, dest / rel)
            else:
                missing.append(rel.as_posix())
    config = yaml.safe_load((root / "_config.yml").read_text())
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    (dest / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    toc.setdefault("parts", []).append(
        {"caption": "About this build", "chapters": [{"file": "results"}]}
    )
    (dest / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    (dest / "results.md").write_text(results_page(load_records(executed)))
    return missing


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: execute notebooks and print the table, or assemble."""
    parser = argparse.ArgumentParser(prog="python -m dlbook.bench", description=__doc__)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--quick", action="store_true", help="run in quick mode")
    parser.add_argument(
        "--out",
        "--keep",
        type=Path,
        default=EXECUTED,
        metavar="DIR",
        help=f"where executed notebooks and records go (default {EXECUTED})",
    )
    parser.add_argument("--force", action="store_true", help="run even if current")
    parser.add_argument(
        "--site",
        type=Path,
        metavar="SRC",
        help="assemble the site source SRC from the executed notebooks; run nothing",
    )
    args = parser.parse_args(argv)
    root = Path.cwd()
    if args.site:
        missing = assemble_site(root, args.out, args.site)
        for name in missing:
            print(
                f"error: {name} has not been executed (run `make bench`)",
                file=sys.stderr,
            )
        return 1 if missing else 0
    notebooks = args.notebooks or default_notebooks(root)
    mode = "quick" if args.quick else "full"
    print(f"{len(notebooks)} notebooks in {mode} mode on {device_name()}", flush=True)
    records = []
    for path in notebooks:
        record = execute(path, root, args.out, quick=args.quick, force=args.force)
        status = "cached" if record.get("cached") else f"{record['seconds']:.1f} s"
        result = "ok" if record["passed"] else record.get("error", "failed")
        print(f"  {record['notebook']}: {status}, {result}", flush=True)
        records.append(record)
    print("\n".join(table(records)))
    return 0 if all(r["passed"] for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
