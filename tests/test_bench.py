"""Unit tests of dlbook.bench."""

import json

import nbformat

from dlbook.bench import (
    METRICS_ENV,
    default_notebooks,
    main,
    record_metric,
    run_notebook,
)

TINY = nbformat.v4.new_notebook(
    cells=[
        nbformat.v4.new_code_cell(
            "import os\nfrom dlbook.bench import record_metric\n"
            "record_metric('quick', float(os.environ.get('DLBOOK_QUICK') == '1'))"
        )
    ],
    metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
)


def test_record_metric_appends_only_when_asked(tmp_path, monkeypatch):
    target = tmp_path / "metrics.jsonl"
    monkeypatch.delenv(METRICS_ENV, raising=False)
    record_metric("ignored", 1.0)
    assert not target.exists()
    monkeypatch.setenv(METRICS_ENV, str(target))
    record_metric("accuracy", 0.98)
    record_metric("loss", 0.1)
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert rows == [{"name": "accuracy", "value": 0.98}, {"name": "loss", "value": 0.1}]


def test_default_notebooks_are_chapters_then_solutions(tmp_path):
    for name in (
        "solutions/01_a.ipynb",
        "chapters/02_b/x.ipynb",
        "exercises/01_a.ipynb",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    found = [str(p.relative_to(tmp_path)) for p in default_notebooks(tmp_path)]
    assert found == ["chapters/02_b/x.ipynb", "solutions/01_a.ipynb"]


def test_run_notebook_collects_metrics_in_each_mode(tmp_path, monkeypatch):
    path = tmp_path / "tiny.ipynb"
    nbformat.write(TINY, path)
    monkeypatch.setenv("DLBOOK_QUICK", "1")  # full mode must not inherit it
    seconds, metrics = run_notebook(path)
    assert seconds > 0 and metrics == [{"name": "quick", "value": 0.0}]
    assert run_notebook(path, quick=True)[1] == [{"name": "quick", "value": 1.0}]


def test_main_prints_a_table_and_reports_failures(tmp_path, monkeypatch, capsys):
    good, bad = tmp_path / "good.ipynb", tmp_path / "bad.ipynb"
    nbformat.write(TINY, good)
    broken = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0")])
    nbformat.write(broken, bad)
    monkeypatch.chdir(tmp_path)
    assert main([str(good), str(bad), "--quick"]) == 1
    out = capsys.readouterr().out
    assert "| good.ipynb |" in out and "quick = 1" in out
    assert "| bad.ipynb |" in out and "failed" in out and "ZeroDivisionError" in out


def test_run_notebook_keeps_the_executed_notebook(tmp_path):
    path, kept = tmp_path / "tiny.ipynb", tmp_path / "out" / "chapters" / "tiny.ipynb"
    nbformat.write(TINY, path)
    run_notebook(path, keep=kept)
    cell = nbformat.read(kept, as_version=4).cells[0]
    assert cell.execution_count == 1
