"""Bad input raises `NablaError` carrying the location; nothing panics."""

import pytest

import nabla
from nabla import NablaError


@pytest.mark.parametrize(
    "call, message, line, column",
    [
        (lambda: nabla.check("var x : real\nclaim x = q"), "unknown name `q`", 2, 11),
        (lambda: nabla.check("var x : real\nclaim (x = 1"), None, 2, None),
        (lambda: nabla.simplify("x + (1"), None, 1, None),
        (lambda: nabla.diff("x^2", "x", defs="var x : rael"), "unknown domain `rael`", 1, 9),
        (lambda: nabla.shape("net n(input = [3]):\n  fc = linear(out = 0, foo = 2)\n"), None, 2, None),
    ],
)
def test_errors_are_located(call, message, line, column):
    with pytest.raises(NablaError) as info:
        call()
    error = info.value
    if message is not None:
        assert error.message == message
    assert error.location is not None
    assert error.line == line
    if column is not None:
        assert error.column == column
    assert str(error).startswith(str(error.location))


def test_an_error_keeps_the_rest_of_the_report():
    with pytest.raises(NablaError) as info:
        nabla.check("var x : real\nclaim x + x = 2*x\nclaim x = q")
    report = info.value.report
    assert report is not None
    assert [str(s.verdict) for s in report] == ["proved"]


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        nabla.check_file("no/such/file.nabla")
    with pytest.raises(FileNotFoundError):
        nabla.check_notebook("no/such/notebook.ipynb")


def test_unknown_kind_and_order():
    with pytest.raises(NablaError, match="unknown kind"):
        nabla.check("x", kind="word")
    with pytest.raises(NablaError, match="order"):
        nabla.diff("x", "x", order=0)
    with pytest.raises(NablaError, match="past the limit"):
        nabla.diff("x", "x", order=65)


def test_empty_and_nothing_checkable():
    with pytest.raises(NablaError, match="empty"):
        nabla.check("   \n")
    report = nabla.check("no math here", kind="markdown", allow_empty=True)
    assert report.steps == [] and report.passed
    report = nabla.check("no math here", kind="markdown")
    assert not report.passed
    assert any(d.kind == "failure" and "nothing checkable" in d.message for d in report.diagnostics)


def test_deep_input_does_not_crash():
    deep = "(" * 300 + "x" + ")" * 300
    with pytest.raises(NablaError, match="nest"):
        nabla.simplify(deep)
    nested = "x"
    for _ in range(40):
        nested = f"softplus({nested})"
    d = nabla.diff(nested, "x")
    assert d.nodes > 0
