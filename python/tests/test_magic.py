"""The `%%nabla` cell magic through a real IPython shell."""

import pytest

IPython = pytest.importorskip("IPython")
from IPython.testing.globalipapp import start_ipython  # noqa: E402

import nabla  # noqa: E402


@pytest.fixture(scope="module")
def ip():
    shell = start_ipython()
    shell.run_line_magic("load_ext", "nabla")
    return shell


def test_cell_magic_checks_a_derivation(ip):
    report = ip.run_cell_magic("nabla", "", "var x : real\nclaim exp(2*x) = 2*exp(x)\n")
    assert isinstance(report, nabla.Report)
    assert [str(s.verdict) for s in report] == ["refuted"]
    assert "✗ refuted" in report._repr_html_()


def test_cell_magic_reads_markdown(ip):
    report = ip.run_cell_magic("nabla", "--markdown", "$$\\sigma(0) = \\frac{1}{2}$$\n")
    assert [str(s.verdict) for s in report] == ["proved"]
    assert report.steps[0].document


def test_cell_magic_options(ip):
    report = ip.run_cell_magic("nabla", "--seed 5 --points 9", "var x : real\nclaim x*x = x\n")
    assert report.steps[0].seed == 5


def test_cell_magic_reports_errors_without_a_traceback(ip, capsys):
    report = ip.run_cell_magic("nabla", "", "var x : real\nclaim x + x = 2*x\nclaim x = q\n")
    err = capsys.readouterr().err
    assert "error: line 3:11: unknown name `q`" in err
    assert [str(s.verdict) for s in report] == ["proved"]
    assert ip.run_cell_magic("nabla", "--frobnicate", "var x : real\n") is None
    assert "unknown option `--frobnicate`" in capsys.readouterr().err


def test_magic_registered_by_load_ext(ip):
    assert "nabla" in ip.magics_manager.magics["cell"]
