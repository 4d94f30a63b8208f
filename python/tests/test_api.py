"""The API: verdicts, counterexamples as Fractions, traces, documents, simplify,
diff and shape, each value one that could be wrong."""

from fractions import Fraction

import pytest

import nabla
from nabla import Verdict


def test_the_issue_example_is_refuted():
    report = nabla.check("var x : real\nclaim exp(2*x) = 2*exp(x)")
    step = report.steps[0]
    assert step.verdict is Verdict.REFUTED
    assert str(step.verdict) == "refuted"
    assert step.verdict == "refuted"
    assert (step.location.line, step.location.column) == (2, 1)
    assert step.text == "exp(2*x) = 2*exp(x)"
    assert not report.passed


def test_counterexample_values_are_exact_fractions():
    step = nabla.check("var x, y : real\nclaim x/3 + y = x").steps[0]
    c = step.counterexample
    assert c.values == {"x": Fraction(0), "y": Fraction(1)}
    assert all(type(v) is Fraction for v in c.values.values())
    assert (c.lhs, c.rhs) == (Fraction(1), Fraction(0))
    assert step.seed == 1


def test_approximate_sides_are_floats():
    step = nabla.check("var x : real\nclaim ln(σ(x)) = -ln(softplus(-x))").steps[0]
    c = step.counterexample
    assert step.verdict is Verdict.REFUTED
    assert c.values == {"x": Fraction(0)}
    assert isinstance(c.lhs, float) and isinstance(c.rhs, float)
    assert c.lhs == pytest.approx(-0.693147180559945, abs=1e-9)
    assert c.rhs == pytest.approx(0.366512920582, abs=1e-9)


@pytest.mark.parametrize(
    "claim, lhs, lhs_exact, rhs, rhs_exact",
    [
        ("(x + 1)^2 = x^2 + 1", Fraction(4), True, Fraction(2), True),
        ("exp(x) = 1 + x", 2.71828182846, False, Fraction(2), True),
        # σ(40) prints as 1 but is an enclosure: a float, never Fraction(1)
        ("σ(x) = 1 where x == 40", 1.0, False, Fraction(1), True),
        ("[x, 1] = [x, 1, 2]", None, None, None, None),
        ("d/dx relu(x) = H(x)", None, None, Fraction(1, 2), True),
    ],
)
def test_each_side_says_whether_it_is_exact(claim, lhs, lhs_exact, rhs, rhs_exact):
    step = nabla.check(f"var x : real\nclaim {claim}").steps[0]
    c = step.counterexample
    assert step.verdict is Verdict.REFUTED
    assert (c.lhs_exact, c.rhs_exact) == (lhs_exact, rhs_exact)
    for value, want, exact in [(c.lhs, lhs, lhs_exact), (c.rhs, rhs, rhs_exact)]:
        assert type(value) is {True: Fraction, False: float, None: type(None)}[exact]
        if isinstance(want, float):
            assert value == pytest.approx(want, rel=1e-11)
        else:
            assert value == want


@pytest.mark.parametrize(
    "text, value",
    [
        ("3/4", Fraction(3, 4)),
        ("-2", Fraction(-2)),
        ("0.125", 0.125),
        ("-1.5e-30", -1.5e-30),
        ("[1, 0, -1/2]", [Fraction(1), Fraction(0), Fraction(-1, 2)]),
        ("2×2 [1, 0; 0, 1/3]", [[Fraction(1), Fraction(0)], [Fraction(0), Fraction(1, 3)]]),
        ("a random smooth map (seed 7)", "a random smooth map (seed 7)"),
        ("no derivative", "no derivative"),
    ],
)
def test_values_as_nabla_prints_them(text, value):
    assert nabla.parse_value(text) == value


def test_vector_counterexample_is_a_list():
    text = "dim K\nvar x : R^K\ndef S(z)_i = exp(z_i) / sum_j exp(z_j)\nclaim S(2*x) = S(x)"
    step = nabla.check(text).steps[0]
    assert step.verdict is Verdict.REFUTED
    x = step.counterexample.values["x"]
    assert isinstance(x, list) and all(isinstance(v, Fraction) for v in x)
    assert isinstance(step.counterexample.values["K"], Fraction)


def test_proved_steps_carry_the_rule_trace():
    text = 'var x : real\nderive "d":\n    softplus(x) - softplus(-x)\n  = ln(1 + exp(x)) - ln(1 + exp(-x))\n  = x'
    report = nabla.check(text)
    assert [s.verdict for s in report] == [Verdict.PROVED, Verdict.PROVED]
    assert [s.number for s in report] == [1, 2]
    assert report.steps[1].kind == "step" and report.steps[1].name == "d"
    assert report.steps[1].trace, "a proof has rewrite steps"
    assert report.passed
    assert report.summary.proved == 2


def test_expectations_and_seed_are_passed_through():
    text = "var x : real\nexpect refuted: claim exp(x) = 1 + x"
    report = nabla.check(text, seed=7, points=12)
    step = report.steps[0]
    assert step.verdict is Verdict.REFUTED and step.expected == "refuted" and step.passed
    assert step.seed == 7
    assert report.passed


def test_checked_verdicts_say_what_they_explored():
    step = nabla.check("var x : real\nclaim ind(x*x + x/3 >= -1/36) = 1").steps[0]
    assert step.verdict is Verdict.CHECKED
    assert step.points == 40
    assert step.explored.boundaries == 1
    assert step.explored.magnitudes == (-6, 6)
    assert step.counterexample is None and step.trace == ()


def test_defs_are_visible_as_text():
    report = nabla.check("claim sq(3) = 9", defs="def sq(t) = t^2")
    assert report.steps[0].verdict is Verdict.PROVED


def test_markdown_document_steps_with_context():
    text = "For $x > 0$ we have\n\n$$\\ln(e^{x}) = x = |x|$$\n"
    report = nabla.check(text, kind="markdown")
    verdicts = [s.verdict for s in report]
    assert verdicts == [Verdict.PROVED, Verdict.PROVED]
    assert report.steps[0].document
    assert report.files[0].coverage is not None
    assert report.files[0].coverage.equalities == 2


def test_latex_document_refuted_step():
    text = "\\begin{equation} \\frac{d}{dx} x^3 = 3 x^3 \\end{equation}\n"
    step = nabla.check(text, kind="latex").steps[0]
    assert step.verdict is Verdict.REFUTED
    assert step.location.line == 1


def test_check_file_on_the_corpus(repo):
    report = nabla.check_file(repo / "derivations" / "q1_sigmoid_softplus.nabla")
    assert report.passed
    assert report.summary.refuted >= 2
    refuted = [s for s in report if s.verdict is Verdict.REFUTED]
    assert all(s.expected == "refuted" for s in refuted)


def test_simplify_in_every_notation():
    e = nabla.simplify("exp(x)/(exp(x) + 1)")
    assert e.text == "σ(x)"
    assert e.latex == "\\sigma\\left(x\\right)" or "sigma" in e.latex
    assert e.sympy == "(1/(1 + exp(-(x))))"
    assert str(e) == "σ(x)"


def test_diff_with_sympy_string():
    d = nabla.diff("ln(1 + exp(x))", "x")
    assert d.text == "σ(x)"
    assert d.cross_checked > 0
    assert d.indices == ()
    relu = nabla.diff("relu(x)", "x")
    assert relu.valid_where and relu.valid_where[0][0] == "x ≠ 0"


def test_diff_gradient_of_a_vector():
    defs = "dim n\nvar w, x : R^n\nvar y : real"
    d = nabla.diff("(y - dot(w, x))^2", "w", defs=defs)
    assert d.indices and d.head.startswith("(∂/∂w)_")
    assert "x" in d.text


def test_sympy_strings_mean_the_same_expression():
    sympy = pytest.importorskip("sympy")
    x = sympy.Symbol("x")
    cases = [
        ("x^2 * exp(-x)", x**2 * sympy.exp(-x)),
        ("σ(x)", 1 / (1 + sympy.exp(-x))),
        ("softplus(x) - x/4", sympy.log(1 + sympy.exp(x)) - x / 4),
        ("relu(x)", sympy.Max(0, x)),
        ("ln(x) / log10(x)", sympy.log(x) / sympy.log(x, 10)),
    ]
    for text, expected in cases:
        got = nabla.simplify(text).to_sympy()
        assert sympy.simplify(got - expected) == 0, (text, got)
    d = nabla.diff("x^3 + 2*x", "x").to_sympy()
    assert sympy.simplify(d - (3 * x**2 + 2)) == 0


def test_shape_of_a_net():
    text = (
        "net cnn(input = [3, 32, 32]):\n"
        "  conv = conv2d(out = 8, kernel = 3, padding = 1)\n"
        "  pool = maxpool2d(kernel = 2, stride = 2)\n"
    )
    shapes = nabla.shape(text)
    net = shapes["cnn"]
    assert net.layer("conv").output == (8, 32, 32)
    assert net.layer("pool").output == (8, 16, 16)
    assert net.layer("conv").params == 8 * 3 * 3 * 3 + 8
    assert net.total_params == 224
    assert "conv (conv2d)" in net.table


def test_steps_render_as_mathml():
    report = nabla.check("var x : real\nclaim exp(2*x) = 2*exp(x)")
    step = report.steps[0]
    assert step.mathml.startswith("<math") and step.mathml.endswith("</math>")
    assert step.mathml.count("<mi>exp</mi>") == 2 and "<mo>=</mo>" in step.mathml
    page = report._repr_html_()
    assert step.mathml in page and "<code>exp(2*x)" not in page
