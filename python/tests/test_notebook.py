"""Notebooks end to end: the example notebook's Markdown math and `%%nabla`
cells, read from the .ipynb file, and the HTML a report renders as."""

import json
import os
from fractions import Fraction

import pytest

import nabla
from nabla import NablaError, Verdict

EXAMPLE = "examples/q1_activations.ipynb"


def by_cell(report):
    cells = {}
    for s in report:
        cells.setdefault(s.location.cell, []).append(str(s.verdict))
    return cells


def test_the_example_notebook(repo):
    report = nabla.check_notebook(repo / EXAMPLE)
    # Markdown cells 3, 4, 6, 8; %%nabla cells 5, 7 and the --markdown cell 9
    assert by_cell(report) == {
        3: ["proved"],
        4: ["proved"] * 4,
        5: ["proved", "proved"],
        6: ["proved", "proved", "refuted", "proved"],
        7: ["proved", "proved", "refuted"],
        8: ["proved"] * 3,
        9: ["proved"],
    }
    slip = [s for s in report.refuted if s.location.cell == 6][0]
    assert slip.text == "= -\\ln(\\operatorname{softplus}(-x))"
    assert slip.location.line == 6 and not slip.passed
    assert slip.counterexample.values == {"x": Fraction(0)}
    kept = [s for s in report.refuted if s.location.cell == 7][0]
    # line 10 of cell 7: the %%nabla line comes first, then the derivation
    assert kept.expected == "refuted" and kept.passed and kept.location.line == 10
    assert not report.passed  # the Markdown slip is not marked as expected


def test_a_notebook_written_here(tmp_path):
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["$$ (x+1)^2 = x^2 + 2x + 1 $$"]},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": ["%%nabla --seed 3\n", "var x : real\n", "claim (x+1)^2 = x^2 + 1\n"]},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": ["print('not nabla')\n"]},
    ]
    path = tmp_path / "mine.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    report = nabla.check_notebook(path)
    assert [(s.location.cell, s.location.line, str(s.verdict)) for s in report] == [
        (1, 1, "proved"),
        (2, 3, "refuted"),
    ]
    assert report.steps[1].seed == 3


def test_a_notebook_cell_with_an_error(tmp_path):
    cells = [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": "%%nabla\nvar x : real\nclaim x = y\n"},
    ]
    path = tmp_path / "bad.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    with pytest.raises(NablaError) as info:
        nabla.check_notebook(path)
    assert info.value.message == "unknown name `y`"
    assert (info.value.location.cell, info.value.location.line) == (1, 3)


def test_check_this_notebook_needs_a_path_outside_jupyter(monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    with pytest.raises(NablaError, match="pass its path"):
        nabla.check_this_notebook()


def test_report_renders_as_an_html_table(repo):
    report = nabla.check_notebook(repo / EXAMPLE)
    page = report._repr_html_()
    assert page.count("✗ refuted") == 2
    assert page.count("<tr>") >= len(report.steps)
    assert "<script" not in page and "http" not in page
    # every step is MathML from nabla's own reading of it, never raw TeX
    assert page.count("<math") == len(report.steps)
    assert "<mi>softplus</mi>" in page and "\\operatorname" not in page
    # the counterexample is shown
    assert "left = <code>≈-0.69314718056</code>" in page  # an enclosure: marked ≈


def test_html_escapes_the_text():
    report = nabla.check('var x : real\nclaim "a <b> & c": x + x = 3*x')
    page = report._repr_html_()
    assert "a &lt;b&gt; &amp; c" in page and "<b> &" not in page


def run_code_cells(path):
    """Runs the notebook's code cells in an IPython shell (cwd: the notebook's
    folder) and returns each code cell's outputs as nbformat stores them."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    notebook = json.loads(path.read_text(encoding="utf-8"))
    outputs = []
    count = 0
    here = os.getcwd()
    os.chdir(path.parent)
    try:
        for cell in notebook["cells"]:
            if cell["cell_type"] != "code":
                continue
            count += 1
            result = shell.run_cell("".join(cell["source"]), store_history=True)
            assert result.error_in_exec is None and result.error_before_exec is None, cell["source"]
            value = result.result
            if value is None:
                outputs.append((count, []))
                continue
            data = {"text/plain": repr(value).splitlines(keepends=True)}
            if hasattr(value, "_repr_html_"):
                data["text/html"] = value._repr_html_().splitlines(keepends=True)
            outputs.append((count, [{"output_type": "execute_result", "execution_count": count,
                                     "metadata": {}, "data": data}]))
    finally:
        os.chdir(here)
    return notebook, outputs


def test_the_example_notebook_runs_and_its_outputs_are_current(repo):
    """The example runs cell by cell in IPython (the magic included); its stored
    outputs are what it shows now. NABLA_BLESS=1 rewrites them."""
    pytest.importorskip("IPython")
    path = repo / EXAMPLE
    notebook, outputs = run_code_cells(path)
    code_cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert len(code_cells) == len(outputs) == 5
    html = "".join("".join(o[0]["data"].get("text/html", [])) for _, o in outputs if o)
    assert html.count("✗ refuted") == 3  # once in cell 7, twice in the whole notebook
    if os.environ.get("NABLA_BLESS") == "1":
        for cell, (count, out) in zip(code_cells, outputs):
            cell["execution_count"] = count
            cell["outputs"] = out
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    stored = [(c["execution_count"], c["outputs"]) for c in code_cells]
    assert stored == outputs, "the example's outputs are stale: run the tests with NABLA_BLESS=1"
