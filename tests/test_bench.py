"""Unit tests of dlbook.bench: records, execution, the results page, the site source."""

import json

import nbformat
import pytest
import yaml

from dlbook import bench
from dlbook.bench import (
    METRICS_ENV,
    assemble_site,
    default_notebooks,
    execute,
    load_records,
    main,
    metric_passes,
    record_metric,
    results_page,
    run_notebook,
    table,
)

TINY = nbformat.v4.new_notebook(
    cells=[
        nbformat.v4.new_code_cell(
            "import os\nfrom dlbook.bench import record_metric\n"
            "record_metric('quick', float(os.environ.get('DLBOOK_QUICK') == '1'), "
            "at_least=0)"
        )
    ],
    metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
)


def test_record_metric_appends_only_when_asked(tmp_path, monkeypatch):
    target = tmp_path / "metrics.jsonl"
    monkeypatch.delenv(METRICS_ENV, raising=False)
    assert record_metric("ignored", 1) == 1.0
    assert not target.exists()
    monkeypatch.setenv(METRICS_ENV, str(target))
    record_metric("accuracy", 0.98, at_least=0.97)
    record_metric("loss", 0.1, at_most=0.5)
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert rows == [
        {"name": "accuracy", "value": 0.98, "at_least": 0.97},
        {"name": "loss", "value": 0.1, "at_most": 0.5},
    ]


def test_record_metric_glues_the_value(monkeypatch):
    glued = []
    monkeypatch.setattr(bench, "glue", lambda name, value: glued.append((name, value)))
    record_metric("accuracy", 0.5)
    assert glued == [("accuracy", 0.5)]


def test_glue_without_myst_nb_does_nothing(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_myst(name, *args, **kwargs):
        if name.startswith("myst_nb"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_myst)
    bench.glue("x", 1.0)  # as in Colab: no error, nothing shown


def test_default_notebooks_are_chapters_solutions_exercises(tmp_path):
    for name in (
        "solutions/01_a.ipynb",
        "chapters/02_b/x.ipynb",
        "exercises/01_a.ipynb",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    found = [str(p.relative_to(tmp_path)) for p in default_notebooks(tmp_path)]
    assert found == [
        "chapters/02_b/x.ipynb",
        "solutions/01_a.ipynb",
        "exercises/01_a.ipynb",
    ]


def test_run_notebook_collects_metrics_in_each_mode(tmp_path, monkeypatch):
    path = tmp_path / "tiny.ipynb"
    nbformat.write(TINY, path)
    monkeypatch.setenv("DLBOOK_QUICK", "1")  # full mode must not inherit it
    seconds, metrics = run_notebook(path)
    assert seconds > 0 and metrics == [{"name": "quick", "value": 0.0, "at_least": 0.0}]
    assert run_notebook(path, quick=True)[1][0]["value"] == 1.0


def test_execute_writes_a_record_and_skips_a_current_one(tmp_path):
    path = tmp_path / "chapters" / "tiny.ipynb"
    path.parent.mkdir()
    nbformat.write(TINY, path)
    out = tmp_path / "executed"
    record = execute(path, tmp_path, out, quick=True)
    assert record["notebook"] == "chapters/tiny.ipynb" and record["passed"]
    assert record["mode"] == "quick" and record["device"]
    assert (
        nbformat.read(out / "chapters" / "tiny.ipynb", 4).cells[0].execution_count == 1
    )
    assert load_records(out) == [record]
    assert execute(path, tmp_path, out, quick=True).get("cached")
    assert not execute(path, tmp_path, out, quick=False).get("cached")  # other mode
    path.write_text(path.read_text().replace("at_least=0", "at_least=-1"))
    assert not execute(path, tmp_path, out, quick=False).get("cached")  # changed


def test_main_reports_failures(tmp_path, monkeypatch, capsys):
    good, bad = tmp_path / "good.ipynb", tmp_path / "bad.ipynb"
    nbformat.write(TINY, good)
    nbformat.write(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0")]), bad
    )
    monkeypatch.chdir(tmp_path)
    assert main([str(good), str(bad), "--quick", "--out", "x"]) == 1
    out = capsys.readouterr().out
    assert "| good.ipynb |" in out and "| quick | 1 | ≥ 0 | pass |" in out
    assert "| bad.ipynb |" in out and "ZeroDivisionError" in out


RECORDS = [
    {
        "notebook": "chapters/a/x.ipynb",
        "mode": "quick",
        "device": "CPU (2 cores)",
        "seconds": 12.0,
        "passed": True,
        "metrics": [
            {"name": "test_accuracy", "value": 0.91, "at_least": 0.9},
            {"name": "loss", "value": 0.7, "at_most": 0.5},
        ],
    },
    {
        "notebook": "solutions/01_a.ipynb",
        "mode": "quick",
        "device": "CPU (2 cores)",
        "seconds": 3.0,
        "passed": False,
        "error": "CheckFailed: wrong",
        "metrics": [],
    },
]


@pytest.mark.parametrize(
    ("metric", "passes"),
    [
        ({"value": 1.0}, True),
        ({"value": 0.9, "at_least": 0.9}, True),
        ({"value": 0.89, "at_least": 0.9}, False),
        ({"value": 107.0, "at_most": 106.0}, False),
    ],
)
def test_metric_passes_its_bar(metric, passes):
    assert metric_passes(metric) is passes


def test_table_and_results_page_show_every_notebook_with_bars():
    rows = table(RECORDS, link=True)
    assert "[chapters/a/x.ipynb](chapters/a/x) | CPU (2 cores) | 12.0 |" in rows[2]
    assert rows[2].endswith("| test accuracy | 0.91 | ≥ 0.9 | pass |")
    assert rows[3].endswith("| loss | 0.7 | ≤ 0.5 | fail |")
    assert rows[4].startswith("| solutions/01_a.ipynb |")
    assert "fail (CheckFailed: wrong)" in rows[4]
    page = results_page(RECORDS)
    assert page.startswith("# Results of this build")
    assert "quick mode" in page and "CPU (2 cores)" in page
    assert "1 passed, 1 failed" in page


def test_assemble_site_uses_executed_notebooks_without_stub_errors(tmp_path):
    root, executed, dest = tmp_path / "book", tmp_path / "executed", tmp_path / "src"
    (root / "chapters" / "a").mkdir(parents=True)
    (root / "exercises").mkdir()
    (root / "_config.yml").write_text(
        "title: T\nexecute:\n  execute_notebooks: cache\n"
    )
    (root / "_toc.yml").write_text("format: jb-book\nroot: intro\nparts: []\n")
    (root / "intro.md").write_text("# Intro\n")
    (root / "chapters" / "a" / "index.md").write_text("# A\n")
    for rel in ("chapters/a/x.ipynb", "exercises/01_a.ipynb"):
        nbformat.write(TINY, root / rel)
    stub = nbformat.v4.new_code_cell("raise NotImplementedError('Exercise 1.1')")
    stub.metadata["tags"] = ["raises-exception", "skip-execution"]
    stub.outputs = [nbformat.v4.new_output("error", ename="NotImplementedError")]
    widget = nbformat.v4.new_output(
        "display_data",
        data={"application/vnd.jupyter.widget-view+json": {}, "text/plain": "bar"},
    )
    run = nbformat.v4.new_notebook(cells=[stub, nbformat.v4.new_code_cell("1")])
    run.cells[1].outputs = [widget, nbformat.v4.new_output("stream", text="hi\n")]
    for rel in ("chapters/a/x.ipynb", "exercises/01_a.ipynb"):
        (executed / rel).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(run, executed / rel)
    (executed / "chapters/a/x.ipynb.json").write_text(json.dumps(RECORDS[0]))
    assert assemble_site(root, executed, dest) == []
    site = nbformat.read(dest / "exercises" / "01_a.ipynb", 4)
    assert site.cells[0].outputs == [] and len(site.cells[1].outputs) == 1
    assert (dest / "chapters" / "a" / "index.md").exists()
    config = yaml.safe_load((dest / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "off"
    toc = yaml.safe_load((dest / "_toc.yml").read_text())
    assert toc["parts"][-1]["chapters"] == [{"file": "results"}]
    assert "chapters/a/x.ipynb" in (dest / "results.md").read_text()
    (executed / "exercises/01_a.ipynb").unlink()
    assert assemble_site(root, executed, dest) == ["exercises/01_a.ipynb"]
