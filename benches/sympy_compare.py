#!/usr/bin/env python3
"""Ask SymPy to prove the identities of the corpus, and time nabla on the same files.

Run by hand from the repository root (not in CI):

    pip install sympy
    python3 benches/sympy_compare.py            # all rows
    python3 benches/sympy_compare.py --cap 10   # a shorter cap per SymPy attempt

For every identity of the table below, SymPy gets two attempts, each in its own
process under a cap (60 s by default): `simplify(lhs - rhs) == 0`, then, if that
did not give 0, `lhs.equals(rhs)`. (Vectors and matrices are compared entry by
entry.) The outcome is

    proved    the identity is true and SymPy showed it
    refuted   the identity is false and SymPy said so (`equals` gave False)
    failed    SymPy could not tell (simplify left something, equals gave None)
    wrong     SymPy said equal for a false identity, or unequal for a true one
    timeout   an attempt hit the cap and the other did not decide

nabla's verdict for the same claim or `=` step comes from one
`nabla check --format json` run over the same files. nabla's time per identity
is one `nabla check` run of that file with every other claim and chain blanked
out (declarations kept), median of 3 runs, process start included; the steps
of one `derive` chain share the chain's time (shown divided, marked ~). The
totals compare SymPy's total time with one `nabla check` run over the whole
files (which hold more claims than the table: shapes, parameter counts, ...).

Where nabla has a size (K, n, d, m) SymPy gets a fixed small size: nabla
checks or proves the claim for every size, SymPy only for the one written in
the row. A `where` condition is encoded through SymPy's assumptions when it fits one
(x > 0: a positive symbol; x > -1: x = u - 1 with u positive), and otherwise
by setting both sides to 0 outside it (Piecewise((side, condition), (0, True))):
`lhs = rhs where c` holds exactly when those agree everywhere.
"""

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import sympy as sp

REPO = Path(__file__).resolve().parent.parent
NABLA = REPO / "target" / "release" / "nabla"

# ----- the SymPy vocabulary the table is written in -----


def sig(z):
    return 1 / (1 + sp.exp(-z))


def softplus(z):
    return sp.log(1 + sp.exp(z))


def relu(z):
    return sp.Max(0, z)


def H(z):
    """Heaviside with H(0) = 1/2, as in nabla."""
    return sp.Heaviside(z, sp.Rational(1, 2))


def Phi(z):
    return (1 + sp.erf(z/sp.sqrt(2)))/2


def phi(z):
    return sp.exp(-z**2/2)/sp.sqrt(2*sp.pi)


def gelu(z):
    return z*Phi(z)


def gelu_tanh(z):
    return z/2*(1 + sp.tanh(sp.sqrt(2/sp.pi)*(z + sp.Rational(44715, 1000000)*z**3)))


def silu(z):
    return z*sig(z)


def mish(z):
    return z*sp.tanh(softplus(z))


def softsign(z):
    return z/(1 + sp.Abs(z))


def hardtanh(z):
    return sp.Max(-1, sp.Min(1, z))


def elu(z, alpha):
    return sp.Piecewise((z, z > 0), (alpha*(sp.exp(z) - 1), True))


def leaky_relu(z, alpha):
    return sp.Piecewise((z, z > 0), (alpha*z, True))


def ind(condition):
    return sp.Piecewise((1, condition), (0, True))


def vec(name, n):
    return sp.Matrix(sp.symbols(f"{name}1:{n + 1}", real=True))


def mat(name, rows, cols):
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}{i + 1}{j + 1}", real=True))


def softmax(v):
    e = v.applyfunc(sp.exp)
    return e / sum(e)


def lse(v):
    return sp.log(sum(v.applyfunc(sp.exp)))


def grad(f, v):
    return sp.Matrix([sp.diff(f, vi) for vi in v])


def jac(column, v):
    return column.jacobian(v)


def hadamard(u, v):
    return u.multiply_elementwise(v)


def entrywise(func, v):
    return v.applyfunc(func)


def sqnorm(v):
    return sum(e**2 for e in v)


def huber(r, c):
    return sp.Piecewise((r**2 / 2, sp.Abs(r) <= c), (c * (sp.Abs(r) - c / 2), True))


def bn_mean(z):
    return sum(z) / len(z)


def bn_var(z):
    mu = bn_mean(z)
    return sum((e - mu) ** 2 for e in z) / len(z)


def bn_hat(z, eps):
    mu, v = bn_mean(z), bn_var(z)
    return z.applyfunc(lambda e: (e - mu) / sp.sqrt(v + eps))


def rms_hat(z, eps):
    return z / sp.sqrt(sqnorm(z) / len(z) + eps)


def _namespace():
    ns = {name: getattr(sp, name) for name in dir(sp) if not name.startswith("_")}
    for helper in (sig, softplus, relu, H, ind, vec, mat, softmax, lse, grad, jac,
                   hadamard, entrywise, sqnorm, huber, bn_mean, bn_var, bn_hat, Phi, phi,
                   gelu, gelu_tanh, silu, mish, softsign, hardtanh, elu, leaky_relu, rms_hat):
        ns[helper.__name__] = helper
    for name in "x y a c k t f z o1 o2 g b h".split():
        ns[name] = sp.Symbol(name, real=True)
    ns["xp"] = sp.Symbol("xp", positive=True)  # x with `where x > 0`
    ns["xn"] = sp.Symbol("xn", negative=True)  # x with `where x < 0`
    ns["u"] = sp.Symbol("u", positive=True)  # x = u - 1 with `where x > -1`
    ns["cp"] = sp.Symbol("cp", positive=True)  # Huber's threshold, `var c : positive`
    ns["eps"] = sp.Symbol("eps", positive=True)
    ns["half"] = sp.Rational(1, 2)
    ns["tenth"] = sp.Rational(1, 10)
    # fixed sizes for nabla's symbolic ones
    ns["xv"] = vec("x", 3)  # x : R^K, K = 3
    ns["oa"] = vec("o", 3)  # o^a : R^m, m = 3
    ns["zb"] = vec("z", 3)  # a batch of m = 3
    ns["X"] = mat("X", 3, 2)  # X : R^(n x d), n = 3, d = 2
    ns["Xsq"] = mat("X", 2, 2)  # X when n = d = 2
    ns["w"] = vec("w", 2)
    ns["yv"] = vec("y", 3)
    ns["yv2"] = vec("y", 2)
    ns["A"] = mat("A", 3, 3)  # A : R^(n x n), n = 3
    ns["xq"] = vec("x", 3)
    ns["bq"] = vec("b", 3)
    ns["B"] = mat("B", 2, 3)  # B : R^(m x n), m = 2
    ns["tq"] = vec("t", 2)
    ns["gq"] = vec("g", 3)  # an upstream gradient, n = 3
    ns["gq2"] = vec("g", 2)  # attention's upstream gradient, e = 2
    ns["qd"] = vec("q", 2)  # the query, d = 2
    ns["Kt"] = mat("K", 3, 2)  # keys, T = 3, d = 2
    ns["Vt"] = mat("V", 3, 2)  # values, T = 3, e = 2
    ns["taup"] = sp.Symbol("tau", positive=True)
    ns["alp"] = sp.Symbol("alpha", positive=True)
    ns["beta"] = sp.Symbol("beta", positive=True)
    ns["tn"] = sp.Symbol("tn", integer=True, positive=True)
    return ns


NS = _namespace()

# ----- the table: the same identities as the nabla files -----


@dataclass
class Row:
    file: str  # under derivations/
    claim: str  # the claim's (or chain's) name in the file
    step: int | None  # the step of a derive chain, None for a claim
    lhs: str  # SymPy source
    rhs: str
    true: bool  # whether the identity holds
    note: str = ""
    where: str = ""  # SymPy source of the claim's `where` condition, if any


ROWS: list[Row] = []


def claim(file, name, lhs, rhs, true=True, note="", where=""):
    ROWS.append(Row(file, name, None, lhs, rhs, true, note, where))


def chain(file, name, exprs, wrong_steps=(), note=""):
    """A derive chain: step k compares exprs[k-1] with exprs[k]."""
    for k in range(1, len(exprs)):
        ROWS.append(Row(file, name, k, exprs[k - 1], exprs[k], k not in wrong_steps, note))


ACT = "q1_activations.nabla"
claim(ACT, "Q1(a) sign", "sign(x)", "ind(x > 0) - ind(x < 0)")
claim(ACT, "Q1(b) g is relu", "Piecewise((x, x > 0), (0, True))", "relu(x)")
claim(ACT, "Q1(b) derivative", "diff(Piecewise((x, x > 0), (0, True)), x)",
      "Piecewise((1, x > 0), (0, True))", where="Ne(x, 0)")
claim(ACT, "Q1(b) H at 0", "H(0)", "half")
claim(ACT, "Q1(b) g' = H", "diff(relu(x), x)", "H(x)", where="Ne(x, 0)")
claim(ACT, "Q1(c) relu = x H(x)", "relu(x)", "x*H(x)")
claim(ACT, "Q1(c) alternative", "(u - 1 + 1)**H(u - 1) - 1", "relu(u - 1)", note="x = u - 1, u > 0")
claim(ACT, "Q1(d) limit", "limit(1/(1 + exp(-k*x)), k, oo)", "H(x)")
claim(ACT, "Q1(d) x > 0", "limit(1/(1 + exp(-k*xp)), k, oo)", "1")
claim(ACT, "Q1(d) x = 0", "limit(1/(1 + exp(-k*0)), k, oo)", "1/(1 + Integer(1))")
claim(ACT, "Q1(d) x = 0, value", "1/(1 + Integer(1))", "half")
claim(ACT, "Q1(d) x < 0", "limit(1/(1 + exp(-k*xn)), k, oo)", "0")

SIG = "q1_sigmoid_softplus.nabla"
chain(SIG, "Q1(e) sigmoid derivative", [
    "diff(1/(1 + exp(-x)), x)",
    "-(1 + exp(-x))**(-2) * (-exp(-x))",
    "1/(1 + exp(-x)) * (exp(-x)/(1 + exp(-x)))",
    "1/(1 + exp(-x)) * ((1 + exp(-x) - 1)/(1 + exp(-x)))",
    "1/(1 + exp(-x)) * (1 - 1/(1 + exp(-x)))",
    "sig(x) * (1 - sig(x))",
])
claim(SIG, "Q1(e) σ' = σ(1 - σ)", "diff(sig(x), x)", "sig(x)*(1 - sig(x))")
chain(SIG, "Q1(f) ln sigmoid", [
    "log(sig(x))",
    "log(1/(1 + exp(-x)))",
    "-log(1 + exp(-x))",
    "-log(softplus(-x))",
    "-softplus(-x)",
], wrong_steps=(3, 4))
claim(SIG, "Q1(f) corrected", "log(sig(x))", "-softplus(-x)")
claim(SIG, "Q1(f) corrected, last step", "-log(1 + exp(-x))", "-softplus(-x)")
chain(SIG, "Q1(g) softplus symmetry", [
    "softplus(x) - softplus(-x)",
    "log(1 + exp(x)) - log(1 + exp(-x))",
    "log(1 + exp(x)) - log(1 + 1/exp(x))",
    "log(1 + exp(x)) - log((1 + exp(x))/exp(x))",
    "log(((1 + exp(x)) * exp(x))/(1 + exp(x)))",
    "log(exp(x))",
    "x",
])

SMX = "q1_softmax.nabla"
K3 = "K = 3"
claim(SMX, "Q1(h) shift invariance", "softmax(xv + c*ones(3, 1))", "softmax(xv)", note=K3)
chain(SMX, "Q1(h) chain", [
    "softmax(xv + c*ones(3, 1))[0]",
    "exp(xv[0] + c) / sum(exp(e + c) for e in xv)",
    "exp(xv[0]) * exp(c) / (exp(c) * sum(exp(e) for e in xv))",
    "exp(xv[0]) / sum(exp(e) for e in xv)",
    "softmax(xv)[0]",
], note=K3 + ", i = 1")
chain(SMX, "Q1(i) chain", [
    "softmax(xv.applyfunc(lambda e: e**c))[0]",
    "exp(xv[0]**c) / sum(exp(e**c) for e in xv)",
    "exp(xv[0])**c / sum(exp(e)**c for e in xv)",
], wrong_steps=(2,), note=K3 + ", i = 1")
claim(SMX, "Q1(i) c = 0", "softmax(xv.applyfunc(lambda e: e**0))[0]", "Rational(1, 3)", note=K3)
claim(SMX, "Q1(i) c = 1", "softmax(xv.applyfunc(lambda e: e**1))", "softmax(xv)", note=K3)
claim(SMX, "Q1(j) Jacobian entries", "jac(softmax(xv), xv)",
      "Matrix(3, 3, lambda i, j: softmax(xv)[i]*(KroneckerDelta(i, j) - softmax(xv)[j]))", note=K3)
claim(SMX, "Q1(j) j ≠ i", "diff(softmax(xv)[0], xv[1])",
      "exp(xv[0]) * (-1/(sum(exp(e) for e in xv))**2) * exp(xv[1])", note=K3 + ", i = 1, j = 2")
claim(SMX, "Q1(j) j ≠ i, as s", "exp(xv[0]) * (-1/(sum(exp(e) for e in xv))**2) * exp(xv[1])",
      "softmax(xv)[0] * (-softmax(xv)[1])", note=K3 + ", i = 1, j = 2")
claim(SMX, "Q1(j) j = i", "diff(softmax(xv)[0], xv[0])", "softmax(xv)[0]*(1 - softmax(xv)[0])",
      note=K3 + ", i = 1")
claim(SMX, "Q1(k) J_ii", "diff(softmax(xv)[0], xv[0])", "softmax(xv)[0]*(-softmax(xv)[0])",
      true=False, note=K3 + ", i = 1")
claim(SMX, "Q1(k) J_ij", "diff(softmax(xv)[0], xv[1])", "softmax(xv)[0]*(1 - softmax(xv)[1])",
      true=False, note=K3 + ", i = 1, j = 2")
claim(SMX, "Q1(k) J", "jac(softmax(xv), xv)",
      "softmax(xv) * (ones(3, 1) - softmax(xv)).T - diag(*softmax(xv))", true=False, note=K3)
claim(SMX, "Q1(k) corrected", "jac(softmax(xv), xv)", "diag(*softmax(xv)) - softmax(xv)*softmax(xv).T",
      note=K3)

MLP = "q2_mlp.nabla"
chain(MLP, "Q2(c) sums to 1", [
    "sum(softmax(oa))",
    "sum(exp(e) / sum(exp(q) for q in oa) for e in oa)",
    "(1 / sum(exp(q) for q in oa)) * sum(exp(e) for e in oa)",
    "(sum(exp(e) for e in oa)) / sum(exp(q) for q in oa)",
    "1",
], note="m = 3")
claim(MLP, "Q2(c) positive", "ind(softmax(oa)[0] > 0)", "1", note="m = 3, k = 1")
chain(MLP, "Q2(d) class 1", [
    "exp(o1) / (exp(o1) + exp(o2))",
    "1 / (1 + exp(o2 - o1))",
    "sig(o1 - o2)",
])
chain(MLP, "Q2(d) class 2", [
    "exp(o2) / (exp(o1) + exp(o2))",
    "1 / (1 + exp(o1 - o2))",
    "1 - exp(o1) / (exp(o1) + exp(o2))",
])
chain(MLP, "Q2(e) MSE gradient", [
    "diff((sig(a) - t)**2, a)",
    "2*(sig(a) - t) * diff(sig(a), a)",
    "2*(sig(a) - t) * sig(a) * (1 - sig(a))",
], note="t real (nabla: t in {0, 1})")
chain(MLP, "Q2(f) CE gradient", [
    "diff(-t*log(sig(a)) - (1 - t)*log(1 - sig(a)), a)",
    "-t/sig(a) * diff(sig(a), a) - (1 - t)/(1 - sig(a)) * diff(1 - sig(a), a)",
    "-t*(1 - sig(a)) + (1 - t)*sig(a)",
    "sig(a) - t",
], note="t real (nabla: t in {0, 1})")
claim(MLP, "Q2(g) L_CE", "-log(tenth)", "1", true=False)
claim(MLP, "Q2(g) L_CE in base 10", "-log(tenth, 10)", "1")
claim(MLP, "Q2(g) L_MSE", "(tenth - 1)**2", "Rational(81, 100)")
claim(MLP, "Q2(g) CE gradient", "tenth - 1", "Rational(-8, 10)", true=False)
claim(MLP, "Q2(g) MSE gradient", "2*(tenth - 1)*tenth*(1 - tenth)", "Rational(-162, 1000)")
claim(MLP, "Q2(g) CE second derivative", "diff(-t*log(sig(a)) - (1 - t)*log(1 - sig(a)), a, 2)",
      "sig(a)*(1 - sig(a))")
chain(MLP, "Q2(h) loss", [
    "-log(softmax(oa)[0])",
    "-log(exp(oa[0]) / sum(exp(e) for e in oa))",
    "-log(exp(oa[0])) + log(sum(exp(e) for e in oa))",
    "-oa[0] + log(sum(exp(e) for e in oa))",
], note="m = 3, y = 1")
claim(MLP, "Q2(l) k = y", "diff(-log(softmax(oa)[0]), oa[0])", "softmax(oa)[0] - 1", note="m = 3, y = 1")
claim(MLP, "Q2(q) softplus'", "diff(log(1 + exp(z)), z)", "exp(z)/(1 + exp(z))")
claim(MLP, "Q2(q) = σ", "exp(h)/(1 + exp(h))", "1/(1 + exp(-h))")

TANH = "extras/tanh.nabla"
claim(TANH, "tanh from exp", "tanh(x)", "(exp(x) - exp(-x))/(exp(x) + exp(-x))")
claim(TANH, "tanh from exp, swapped", "tanh(x)", "(exp(x) + exp(-x))/(exp(x) - exp(-x))", true=False,
      where="Ne(x, 0)")
claim(TANH, "tanh is odd", "tanh(-x)", "-tanh(x)")
claim(TANH, "tanh' = 1 - tanh²", "diff(tanh(x), x)", "1 - tanh(x)**2")
claim(TANH, "tanh' = sech²", "diff(tanh(x), x)", "4/(exp(x) + exp(-x))**2")
claim(TANH, "tanh' without the square", "diff(tanh(x), x)", "1 - tanh(x)", true=False)
claim(TANH, "tanh' with a plus", "diff(tanh(x), x)", "1 + tanh(x)**2", true=False)
claim(TANH, "tanh' like σ'", "diff(tanh(x), x)", "tanh(x)*(1 - tanh(x))", true=False)
claim(TANH, "tanh''", "diff(tanh(x), x, 2)", "-2*tanh(x)*(1 - tanh(x)**2)")
claim(TANH, "tanh = 2σ(2x) - 1", "tanh(x)", "2*sig(2*x) - 1")
claim(TANH, "σ = (1 + tanh(x/2))/2", "sig(x)", "(1 + tanh(x/2))/2")
claim(TANH, "tanh = 2σ(x) - 1", "tanh(x)", "2*sig(x) - 1", true=False)
claim(TANH, "tanh = σ(2x) - 1", "tanh(x)", "sig(2*x) - 1", true=False)
claim(TANH, "σ = (1 + tanh(x))/2", "sig(x)", "(1 + tanh(x))/2", true=False)
claim(TANH, "tanh → 1", "limit(tanh(x), x, oo)", "1")
claim(TANH, "tanh → -1", "limit(tanh(x), x, -oo)", "-1")
claim(TANH, "tanh → 0", "limit(tanh(x), x, -oo)", "0", true=False)

LSE = "extras/logsumexp.nabla"
claim(LSE, "∇ lse = softmax", "grad(lse(xv), xv)", "softmax(xv)", note=K3)
claim(LSE, "∂ lse/∂x_i", "diff(lse(xv), xv[0])", "exp(xv[0])/sum(exp(e) for e in xv)", note=K3 + ", i = 1")
claim(LSE, "the gradient sums to 1", "sum(grad(lse(xv), xv))", "1", note=K3)
claim(LSE, "∇ lse = exp", "grad(lse(xv), xv)", "xv.applyfunc(exp)", true=False, note=K3)
claim(LSE, "∂ lse/∂x_i without the chain rule", "diff(lse(xv), xv[0])", "1/sum(exp(e) for e in xv)",
      true=False, note=K3 + ", i = 1")
claim(LSE, "Hessian entries", "hessian(lse(xv), xv)",
      "Matrix(3, 3, lambda i, j: softmax(xv)[i]*(KroneckerDelta(i, j) - softmax(xv)[j]))", note=K3)
claim(LSE, "Hessian", "jac(softmax(xv), xv)", "diag(*softmax(xv)) - softmax(xv)*softmax(xv).T", note=K3)
claim(LSE, "Hessian is diagonal", "jac(softmax(xv), xv)", "diag(*softmax(xv))", true=False, note=K3)
claim(LSE, "lse(x + c) = lse(x) + c", "lse(xv + c*ones(3, 1))", "lse(xv) + c", note=K3)
claim(LSE, "the stable form", "lse(xv)", "c + log(sum(exp(e - c) for e in xv))", note=K3)
claim(LSE, "lse(x + c) = lse(x)", "lse(xv + c*ones(3, 1))", "lse(xv)", true=False, note=K3)
claim(LSE, "lse(x + c) = lse(x) + K c", "lse(xv + c*ones(3, 1))", "lse(xv) + 3*c", true=False, note=K3)
claim(LSE, "log-softmax", "log(softmax(xv)[0])", "xv[0] - lse(xv)", note=K3 + ", i = 1")
claim(LSE, "ln Σ = Σ ln", "lse(xv)", "sum(log(exp(e)) for e in xv)", true=False, note=K3)
claim(LSE, "lse ≥ x_i", "ind(lse(xv) >= xv[0])", "1", note=K3 + ", i = 1")
claim(LSE, "lse ≥ mean + ln K", "ind(lse(xv) >= sum(xv)/3 + log(3))", "1", note=K3)
claim(LSE, "lse ≤ x_i + ln K", "ind(lse(xv) <= xv[0] + log(3))", "1", true=False, note=K3 + ", i = 1")
# the built-in logsumexp(x) (and logsumexp(a, b) of two numbers)
claim(LSE, "the built-in is lse", "lse(xv)", "log(sum(exp(e) for e in xv))", note=K3)
claim(LSE, "its gradient is the softmax", "grad(lse(xv), xv)", "softmax(xv)", note=K3)
claim(LSE, "its partials are softmax entries", "diff(lse(xv), xv[0])", "softmax(xv)[0]", note=K3 + ", i = 1")
claim(LSE, "shift: logsumexp(x + c·1) = logsumexp(x) + c", "lse(xv + c*ones(3, 1))", "lse(xv) + c", note=K3)
claim(LSE, "a constant vector: logsumexp(c·1) = c + ln K", "lse(c*ones(3, 1))", "c + log(3)", note=K3)
claim(LSE, "log-softmax by the built-in", "log(softmax(xv)[0])", "xv[0] - lse(xv)", note=K3 + ", i = 1")
claim(LSE, "two numbers", "log(exp(a) + exp(b))", "a + softplus(b - a)")
claim(LSE, "two numbers, gradient", "diff(log(exp(a) + exp(b)), a)", "sig(a - b)")
claim(LSE, "logsumexp ≥ every entry", "ind(lse(xv) >= xv[0])", "1", note=K3 + ", i = 1")
claim(LSE, "logsumexp shift invariant", "lse(xv + c*ones(3, 1))", "lse(xv)", true=False, note=K3)
claim(LSE, "logsumexp(c·1) = c", "lse(c*ones(3, 1))", "c", true=False, note=K3)
claim(LSE, "logsumexp is max", "log(exp(a) + exp(b))", "Max(a, b)", true=False)
claim(LSE, "gradient is exp", "diff(lse(xv), xv[0])", "exp(xv[0])", true=False, note=K3 + ", i = 1")

LOSS = "extras/losses.nabla"
claim(LOSS, "Huber: pieces meet at c", "cp**2/2", "cp*(cp - cp/2)")
claim(LOSS, "Huber'", "diff(huber(a, cp), a)", "Piecewise((a, Abs(a) <= cp), (cp*sign(a), True))")
claim(LOSS, "Huber' is a clip", "diff(huber(a, cp), a)", "Piecewise((-cp, a < -cp), (a, a <= cp), (cp, True))",
      where="Ne(Abs(a), cp)")
claim(LOSS, "Huber' without sign", "diff(huber(a, cp), a)", "Piecewise((a, Abs(a) <= cp), (cp, True))",
      true=False, where="Ne(Abs(a), cp)")
claim(LOSS, "Huber' without c", "diff(huber(a, cp), a)", "Piecewise((a, Abs(a) <= cp), (sign(a), True))",
      true=False, where="Ne(Abs(a), cp)")
claim(LOSS, "Huber''", "diff(huber(a, cp), a, 2)", "Piecewise((1, Abs(a) < cp), (0, True))",
      where="Ne(Abs(a), cp)")
claim(LOSS, "Huber'' = 1", "diff(huber(a, cp), a, 2)", "1", true=False, where="Ne(Abs(a), cp)")
claim(LOSS, "hinge = max(0, 1 - yf)", "relu(1 - y*f)", "Piecewise((1 - y*f, y*f < 1), (0, True))",
      note="y real (nabla: y in {-1, 1})")
claim(LOSS, "hinge'", "diff(relu(1 - y*f), f)", "Piecewise((-y, y*f < 1), (0, True))",
      note="y real", where="Ne(y*f, 1)")
claim(LOSS, "hinge' with an indicator", "diff(relu(1 - y*f), f)", "-y*ind(y*f < 1)",
      note="y real", where="Ne(y*f, 1)")
claim(LOSS, "hinge' without y", "diff(relu(1 - y*f), f)", "Piecewise((-1, y*f < 1), (0, True))", true=False,
      note="y real", where="Ne(y*f, 1)")
claim(LOSS, "hinge' without the margin", "diff(relu(1 - y*f), f)", "Piecewise((-y, y*f < 0), (0, True))",
      true=False, note="y real", where="Ne(y*f, 1)")

LOG = "extras/logistic_regression.nabla"
LOGLOSS = "sum(-yv[i]*log(sig((X*w)[i])) - (1 - yv[i])*log(1 - sig((X*w)[i])) for i in range(3))"
LOGLOSS_SQ = "sum(-yv2[i]*log(sig((Xsq*w)[i])) - (1 - yv2[i])*log(1 - sig((Xsq*w)[i])) for i in range(2))"
ND = "n = 3, d = 2"
claim(LOG, "∂L/∂w_k", f"diff({LOGLOSS}, w[0])", "sum((sig((X*w)[i]) - yv[i])*X[i, 0] for i in range(3))",
      note=ND + ", k = 1")
claim(LOG, "∇_w L = X^T (σ(Xw) - y)", f"grad({LOGLOSS}, w)", "X.T*(entrywise(sig, X*w) - yv)", note=ND)
claim(LOG, "∇_w L with y - σ", f"grad({LOGLOSS}, w)", "X.T*(yv - entrywise(sig, X*w))", true=False, note=ND)
claim(LOG, "∇_w L with X", f"grad({LOGLOSS_SQ}, w)", "Xsq*(entrywise(sig, Xsq*w) - yv2)", true=False,
      note="n = d = 2")
claim(LOG, "∇_w L with σ'", f"grad({LOGLOSS}, w)",
      "X.T*hadamard(hadamard(entrywise(sig, X*w) - yv, entrywise(sig, X*w)), ones(3, 1) - entrywise(sig, X*w))",
      true=False, note=ND)
claim(LOG, "Hessian", "jac(X.T*(entrywise(sig, X*w) - yv), w)",
      "X.T*diag(*hadamard(entrywise(sig, X*w), ones(3, 1) - entrywise(sig, X*w)))*X", note=ND)
claim(LOG, "Hessian without σ'", "jac(X.T*(entrywise(sig, X*w) - yv), w)", "X.T*X", true=False, note=ND)

QUAD = "extras/quadratic_form.nabla"
N3 = "n = 3"
claim(QUAD, "x^T A x as a double sum", "(xq.T*A*xq)[0]",
      "sum(A[i, j]*xq[i]*xq[j] for i in range(3) for j in range(3))", note=N3)
claim(QUAD, "∇ b^T x", "grad((bq.T*xq)[0], xq)", "bq", note=N3)
claim(QUAD, "∇ x^T b", "grad((xq.T*bq)[0], xq)", "bq", note=N3)
claim(QUAD, "∇ x^T A x", "grad((xq.T*A*xq)[0], xq)", "(A + A.T)*xq", note=N3)
claim(QUAD, "∇ x^T A x = 2Ax", "grad((xq.T*A*xq)[0], xq)", "2*A*xq", true=False, note=N3)
claim(QUAD, "∇ x^T A x = Ax", "grad((xq.T*A*xq)[0], xq)", "A*xq", true=False, note=N3)
claim(QUAD, "∇ x^T A x = 2A^T x", "grad((xq.T*A*xq)[0], xq)", "2*A.T*xq", true=False, note=N3)
claim(QUAD, "∇ x^T S x = 2Sx, S symmetric", "grad((xq.T*((A + A.T)/2)*xq)[0], xq)", "2*((A + A.T)/2)*xq",
      note=N3)
claim(QUAD, "Hessian of x^T A x", "jac((A + A.T)*xq, xq)", "A + A.T", note=N3)
claim(QUAD, "Hessian, from the gradient", "hessian((xq.T*A*xq)[0], xq)", "A + A.T", note=N3)
claim(QUAD, "Hessian = A", "jac((A + A.T)*xq, xq)", "A", true=False, note=N3)
claim(QUAD, "∇ ||x||²", "grad(sqnorm(xq), xq)", "2*xq", note=N3)
claim(QUAD, "∇ ||Bx - t||²", "grad(sqnorm(B*xq - tq), xq)", "2*B.T*(B*xq - tq)", note="m = 2, n = 3")
claim(QUAD, "∇ ||Bx - t||² without 2", "grad(sqnorm(B*xq - tq), xq)", "B.T*(B*xq - tq)", true=False,
      note="m = 2, n = 3")
claim(QUAD, "∇ ||Bx - t||", "grad(sqrt(sqnorm(B*xq - tq)), xq)", "B.T*(B*xq - tq)/sqrt(sqnorm(B*xq - tq))",
      note="m = 2, n = 3",
      where="sqnorm(B*xq - tq) > 0")
claim(QUAD, "∇ ||Bx - t|| as if squared", "grad(sqrt(sqnorm(B*xq - tq)), xq)", "2*B.T*(B*xq - tq)",
      true=False, note="m = 2, n = 3",
      where="sqnorm(B*xq - tq) > 0")

BN = "extras/batchnorm.nabla"
M3 = "m = 3"
claim(BN, "v = mean(z²) - μ²", "bn_var(zb)", "sum(e**2 for e in zb)/3 - bn_mean(zb)**2", note=M3)
claim(BN, "v = mean(z²) - μ", "bn_var(zb)", "sum(e**2 for e in zb)/3 - bn_mean(zb)", true=False, note=M3)
claim(BN, "mean of ẑ is 0", "sum(bn_hat(zb, eps))/3", "0", note=M3)
claim(BN, "variance of ẑ", "sum(e**2 for e in bn_hat(zb, eps))/3", "bn_var(zb)/(bn_var(zb) + eps)", note=M3)
claim(BN, "variance of ẑ is below 1", "ind(sum(e**2 for e in bn_hat(zb, eps))/3 < 1)", "1", note=M3)
claim(BN, "variance of ẑ is 1", "sum(e**2 for e in bn_hat(zb, eps))/3", "1", true=False,
      note=M3, where="bn_var(zb) > 0")
claim(BN, "variance 1 without ε", "sum(((e - bn_mean(zb))/sqrt(bn_var(zb)))**2 for e in zb)/3", "1",
      note=M3, where="bn_var(zb) > 0")
claim(BN, "variance of ẑ with 1/(m - 1)", "sum(e**2 for e in bn_hat(zb, eps))/3",
      "(bn_var(zb)*3/2)/(bn_var(zb)*3/2 + eps)", true=False, note=M3)
claim(BN, "ε outside the root", "bn_hat(zb, eps)",
      "zb.applyfunc(lambda e: (e - bn_mean(zb))/(sqrt(bn_var(zb)) + eps))", true=False, note=M3)
claim(BN, "mean of γẑ + β", "sum(g*e + b for e in bn_hat(zb, eps))/3", "b", note=M3)
claim(BN, "variance of γẑ + β", "sum((g*e + b - b)**2 for e in bn_hat(zb, eps))/3",
      "g**2*bn_var(zb)/(bn_var(zb) + eps)", note=M3)
claim(BN, "variance of γẑ + β with β", "sum((g*e + b - b)**2 for e in bn_hat(zb, eps))/3",
      "g**2*bn_var(zb)/(bn_var(zb) + eps) + b**2", true=False, note=M3)

NETS = "extras/parameter_counts.nabla"
claim(NETS, "LeNet total by hand", "Integer(156) + 2416 + 48120 + 10164 + 850", "61706",
      note="SymPy has no layers: only the hand sums")
claim(NETS, "VGG total by hand",
      "Integer(1792) + 128 + 36928 + 73856 + 256 + 147584 + 295168 + 512 + 1048832 + 2570", "1607626",
      note="SymPy has no layers: only the hand sums")

AF = "activations.nabla"
claim(AF, "cosh from exp", "cosh(x)", "(exp(x) + exp(-x))/2")
claim(AF, "cosh with a minus", "cosh(x)", "(exp(x) - exp(-x))/2", true=False)
claim(AF, "sinh from exp", "sinh(x)", "(exp(x) - exp(-x))/2")
claim(AF, "sinh without 1/2", "sinh(x)", "exp(x) - exp(-x)", true=False)
claim(AF, "tanh = sinh/cosh", "tanh(x)", "sinh(x)/cosh(x)")
claim(AF, "tanh = cosh/sinh", "tanh(x)", "cosh(x)/sinh(x)", true=False, where="Ne(x, 0)")
claim(AF, "cosh² − sinh² = 1", "cosh(x)**2 - sinh(x)**2", "1")
claim(AF, "cosh² + sinh² = 1", "cosh(x)**2 + sinh(x)**2", "1", true=False)
claim(AF, "1 − tanh² = 1/cosh²", "1 - tanh(x)**2", "1/cosh(x)**2")
claim(AF, "1 − tanh² = 1/sinh²", "1 - tanh(x)**2", "1/sinh(x)**2", true=False, where="Ne(x, 0)")
claim(AF, "sinh' = cosh", "diff(sinh(x), x)", "cosh(x)")
claim(AF, "cosh' = sinh", "diff(cosh(x), x)", "sinh(x)")
claim(AF, "cosh' = −sinh", "diff(cosh(x), x)", "-sinh(x)", true=False)
claim(AF, "σ = (1 + tanh(x/2))/2", "sig(x)", "(1 + tanh(x/2))/2")
claim(AF, "σ = (1 + tanh x)/2", "sig(x)", "(1 + tanh(x))/2", true=False)
claim(AF, "sin² + cos² = 1", "sin(x)**2 + cos(x)**2", "1")
claim(AF, "sin² − cos² = 1", "sin(x)**2 - cos(x)**2", "1", true=False)
claim(AF, "sin' = cos", "diff(sin(x), x)", "cos(x)")
claim(AF, "cos' = −sin", "diff(cos(x), x)", "-sin(x)")
claim(AF, "cos' = sin", "diff(cos(x), x)", "sin(x)", true=False)
claim(AF, "tan' = 1 + tan²", "diff(tan(x), x)", "1 + tan(x)**2", where="Ne(cos(x), 0)")
claim(AF, "tan' = 1/cos²", "diff(tan(x), x)", "1/cos(x)**2", where="Ne(cos(x), 0)")
claim(AF, "atan' = 1/(1 + x²)", "diff(atan(x), x)", "1/(1 + x**2)")
claim(AF, "atan' = 1 + x²", "diff(atan(x), x)", "1 + x**2", true=False)
claim(AF, "sin 0 = 0, cos 0 = 1", "sin(0) + cos(0)", "1")
claim(AF, "sin is odd", "sin(-x)", "-sin(x)")
claim(AF, "Φ from erf", "Phi(x)", "(1 + erf(x/sqrt(2)))/2")
claim(AF, "Φ from erf, unscaled", "Phi(x)", "(1 + erf(x))/2", true=False)
claim(AF, "Φ' = φ", "diff(Phi(x), x)", "phi(x)")
claim(AF, "φ from exp", "phi(x)", "exp(-x**2/2)/sqrt(2*pi)")
claim(AF, "φ without its constant", "phi(x)", "exp(-x**2/2)", true=False)
claim(AF, "φ' = −xφ", "diff(phi(x), x)", "-x*phi(x)")
claim(AF, "erf' ", "diff(erf(x), x)", "2/sqrt(pi)*exp(-x**2)")
claim(AF, "erfc = 1 − erf", "erfc(x)", "1 - erf(x)")
claim(AF, "Φ(0) = 1/2", "Phi(0)", "Rational(1, 2)")
claim(AF, "Φ(−x) = 1 − Φ(x)", "Phi(-x)", "1 - Phi(x)")
claim(AF, "gelu = xΦ(x)", "gelu(x)", "x*Phi(x)")
claim(AF, "gelu'", "diff(gelu(x), x)", "Phi(x) + x*phi(x)")
claim(AF, "gelu' without the product rule", "diff(gelu(x), x)", "Phi(x)", true=False)
claim(AF, "gelu' = xφ", "diff(gelu(x), x)", "x*phi(x)", true=False)
claim(AF, "gelu = gelu_tanh", "gelu(x)", "gelu_tanh(x)", true=False)
claim(AF, "silu = xσ(x)", "silu(x)", "x*sig(x)")
claim(AF, "swish is silu", "silu(x)", "silu(x)", note="one function in SymPy")
claim(AF, "silu'", "diff(silu(x), x)", "sig(x)*(1 + x*(1 - sig(x)))")
claim(AF, "silu' expanded", "diff(silu(x), x)", "sig(x) + x*sig(x)*(1 - sig(x))")
claim(AF, "silu' = σ'", "diff(silu(x), x)", "sig(x)*(1 - sig(x))", true=False)
claim(AF, "silu' = σ", "diff(silu(x), x)", "sig(x)", true=False)
claim(AF, "mish = x tanh(softplus x)", "mish(x)", "x*tanh(softplus(x))")
claim(AF, "mish'", "diff(mish(x), x)", "tanh(softplus(x)) + x*sig(x)*(1 - tanh(softplus(x))**2)")
claim(AF, "mish' without softplus'", "diff(mish(x), x)",
      "tanh(softplus(x)) + x*(1 - tanh(softplus(x))**2)", true=False)
claim(AF, "softplus(x) − softplus(−x) = x", "softplus(x) - softplus(-x)", "x")
claim(AF, "softsign'", "diff(softsign(x), x)", "1/(1 + Abs(x))**2")
claim(AF, "softsign' without the square", "diff(softsign(x), x)", "1/(1 + Abs(x))", true=False)
claim(AF, "log1p", "log(1 + x)", "log(1 + x)", where="x > -1", note="log1p is log(1 + x) in SymPy")
claim(AF, "expm1", "exp(x) - 1", "exp(x) - 1", note="expm1 is exp(x) − 1 in SymPy")
claim(AF, "log1p'", "diff(log(1 + x), x)", "1/(1 + x)", where="x > -1")
claim(AF, "max = y + relu(x − y)", "Max(x, y)", "y + relu(x - y)")
claim(AF, "min = x − relu(x − y)", "Min(x, y)", "x - relu(x - y)")
claim(AF, "max + min = x + y", "Max(x, y) + Min(x, y)", "x + y")
claim(AF, "max = y + relu(y − x)", "Max(x, y)", "y + relu(y - x)", true=False)
claim(AF, "max' off the diagonal", "diff(Max(x, y), x)", "H(x - y)", where="Ne(x, y)")
claim(AF, "leaky relu", "leaky_relu(x, a)", "relu(x) - a*relu(-x)")
claim(AF, "leaky relu, positive side", "leaky_relu(x, a)", "x", where="x > 0")
claim(AF, "leaky relu, negative side", "leaky_relu(x, a)", "a*x", where="x < 0")
claim(AF, "leaky relu, wrong side", "leaky_relu(x, a)", "a*x", true=False, where="x > 0")
claim(AF, "elu, negative side", "elu(x, a)", "a*(exp(x) - 1)", where="x < 0")
claim(AF, "elu, positive side", "elu(x, a)", "x", where="x > 0")
claim(AF, "elu' on the negative side", "diff(elu(x, 2), x)", "2*exp(x)", where="x < 0")
claim(AF, "elu' keeps the −1", "diff(elu(x, 2), x)", "2*(exp(x) - 1)", true=False, where="x < 0")
claim(AF, "hardtanh inside", "hardtanh(x)", "x", where="(x > -1) & (x < 1)")
claim(AF, "hardtanh clips", "hardtanh(x)", "1", where="x > 1")

# the transformer derivations (symbolic sizes in nabla; fixed small ones here)
MC = "transformer/matrix_calculus.nabla"
claim(MC, "∇ vᵀAv", "grad((xq.T*A*xq)[0], xq)", "(A + A.T)*xq", note=N3)
claim(MC, "∇ vᵀAv = 2Av", "grad((xq.T*A*xq)[0], xq)", "2*A*xq", true=False, note=N3)
claim(MC, "softmax JVP", "jac(softmax(xq), xq).T*gq",
      "hadamard(softmax(xq), gq - (softmax(xq).T*gq)[0]*ones(3, 1))", note=N3)
claim(MC, "softmax JVP without the coupling", "jac(softmax(xq), xq).T*gq", "hadamard(softmax(xq), gq)",
      true=False, note=N3)
claim(MC, "temperature softmax Jacobian", "jac(softmax(xq/taup), xq)",
      "(diag(*softmax(xq/taup)) - softmax(xq/taup)*softmax(xq/taup).T)/taup", note=N3)
claim(MC, "temperature Jacobian without 1/τ", "jac(softmax(xq/taup), xq)",
      "diag(*softmax(xq/taup)) - softmax(xq/taup)*softmax(xq/taup).T", true=False, note=N3)
claim(MC, "label-smoothed gradient",
      "grad(-sum(((1 - alp)*KroneckerDelta(i, 0) + alp/3)*log(softmax(xq)[i]) for i in range(3)), xq)",
      "softmax(xq) - Matrix(3, 1, lambda i, j: (1 - alp)*KroneckerDelta(i, 0) + alp/3)", note=N3 + ", y = 1")

NORM = "transformer/normalization.nabla"
claim(NORM, "layer norm backward", "grad((gq.T*bn_hat(xq, eps))[0], xq)",
      "(gq - sum(gq)/3*ones(3, 1) - bn_hat(xq, eps)*(gq.T*bn_hat(xq, eps))[0]/3)/sqrt(bn_var(xq) + eps)",
      note=N3)
claim(NORM, "layer norm backward without the centring terms", "grad((gq.T*bn_hat(xq, eps))[0], xq)",
      "gq/sqrt(bn_var(xq) + eps)", true=False, note=N3)
claim(NORM, "RMSNorm backward", "grad((gq.T*rms_hat(xq, eps))[0], xq)",
      "(gq - rms_hat(xq, eps)*(gq.T*rms_hat(xq, eps))[0]/3)/sqrt(sqnorm(xq)/3 + eps)", note=N3)

ATT = "transformer/attention.nabla"
ATT_L = "(gq2.T*(Vt.T*softmax(Kt*qd/sqrt(2))))[0]"
ATT_U = "Vt*gq2"
ATT_A = "softmax(Kt*qd/sqrt(2))"
claim(ATT, "∇_q L", f"grad({ATT_L}, qd)",
      f"Kt.T*hadamard({ATT_A}, {ATT_U} - ({ATT_A}.T*{ATT_U})[0]*ones(3, 1))/sqrt(2)",
      note="T = 3, d = 2, e = 2")
claim(ATT, "∇_q L without 1/√d", f"grad({ATT_L}, qd)",
      f"Kt.T*hadamard({ATT_A}, {ATT_U} - ({ATT_A}.T*{ATT_U})[0]*ones(3, 1))", true=False,
      note="T = 3, d = 2, e = 2")

OPT = "transformer/optimizers.nabla"
claim(OPT, "geometric sum", "(1 - beta)*summation(beta**(tn - k), (k, 1, tn))", "1 - beta**tn",
      note="t a positive integer symbol")
claim(OPT, "m̂_t = g", "(1 - beta)*summation(beta**(tn - k)*g, (k, 1, tn))/(1 - beta**tn)", "g",
      note="t a positive integer symbol")
claim(OPT, "m_t = g without bias correction", "(1 - beta)*summation(beta**(tn - k)*g, (k, 1, tn))", "g",
      true=False, note="t a positive integer symbol")

ACT2 = "transformer/activations.nabla"
claim(ACT2, "SiLU'", "diff(x*sig(x), x)", "sig(x) + x*sig(x)*(1 - sig(x))")
claim(ACT2, "SiLU' without the product rule", "diff(x*sig(x), x)", "sig(x)*(1 - sig(x))", true=False)
claim(ACT2, "GELU_σ'", "diff(x*sig(Rational(1702, 1000)*x), x)",
      "sig(Rational(1702, 1000)*x) + Rational(1702, 1000)*x*sig(Rational(1702, 1000)*x)"
      "*(1 - sig(Rational(1702, 1000)*x))")
claim(ACT2, "Mish'", "diff(x*tanh(softplus(x)), x)",
      "tanh(softplus(x)) + x*(1 - tanh(softplus(x))**2)*sig(x)")

# ----- SymPy, one attempt per process -----


def _difference_is_zero(lhs, rhs):
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        if not (isinstance(lhs, sp.MatrixBase) and isinstance(rhs, sp.MatrixBase)) or lhs.shape != rhs.shape:
            return False
        return all(sp.simplify(e) == 0 for e in (lhs - rhs))
    return sp.simplify(lhs - rhs) == 0


def _equals(lhs, rhs):
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        if not (isinstance(lhs, sp.MatrixBase) and isinstance(rhs, sp.MatrixBase)) or lhs.shape != rhs.shape:
            return False
        answers = [sp.sympify(l).equals(r) for l, r in zip(lhs, rhs)]
        if any(a is False for a in answers):
            return False
        return True if all(a is True for a in answers) else None
    return sp.sympify(lhs).equals(rhs)


def restrict(side, condition):
    if isinstance(side, sp.MatrixBase):
        return side.applyfunc(lambda e: sp.Piecewise((e, condition), (0, True)))
    return sp.Piecewise((side, condition), (0, True))


def _attempt(kind, lhs_src, rhs_src, where_src, conn):
    start = time.perf_counter()
    try:
        lhs = eval(lhs_src, dict(NS))  # noqa: S307 (the table above, not input)
        rhs = eval(rhs_src, dict(NS))  # noqa: S307
        lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
        if where_src:
            # "lhs = rhs where c" holds iff both sides agree once set to 0 outside c
            condition = eval(where_src, dict(NS))  # noqa: S307
            lhs, rhs = restrict(lhs, condition), restrict(rhs, condition)
        answer = _difference_is_zero(lhs, rhs) if kind == "simplify" else _equals(lhs, rhs)
        outcome = ("ok", answer)
    except Exception as error:  # SymPy raises on some Piecewise and limit inputs
        outcome = ("error", f"{type(error).__name__}: {error}"[:120])
    conn.send((outcome, time.perf_counter() - start))
    conn.close()


def run_attempt(kind, row, cap):
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_attempt, args=(kind, row.lhs, row.rhs, row.where, child))
    start = time.perf_counter()
    process.start()
    child.close()
    if parent.poll(cap):
        outcome, elapsed = parent.recv()
        process.join()
        return outcome, elapsed
    process.kill()
    process.join()
    return ("timeout", None), time.perf_counter() - start


def sympy_verdict(row, cap):
    """(outcome, seconds, detail)."""
    (status, answer), seconds = run_attempt("simplify", row, cap)
    timed_out = status == "timeout"
    detail = answer if status == "error" else ""
    if status == "ok" and answer is True:
        return ("proved" if row.true else "wrong"), seconds, "simplify gives 0"
    (status2, answer2), seconds2 = run_attempt("equals", row, cap)
    seconds += seconds2
    timed_out = timed_out or status2 == "timeout"
    if status2 == "error":
        detail = detail or answer2
    if status2 == "ok" and answer2 is True:
        return ("proved" if row.true else "wrong"), seconds, "equals: True"
    if status2 == "ok" and answer2 is False:
        return ("wrong" if row.true else "refuted"), seconds, "equals: False"
    if timed_out:
        return "timeout", seconds, detail
    return "failed", seconds, detail or "simplify leaves a rest, equals: None"


# ----- nabla -----


def build_nabla():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)


def time_nabla(paths, runs=3):
    """Median wall time of `nabla check paths`, and the exit code."""
    times, code = [], None
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([str(NABLA), "check", *map(str, paths)], cwd=REPO, capture_output=True)
        times.append(time.perf_counter() - start)
        code = done.returncode
    return statistics.median(times), code


def nabla_results(paths):
    done = subprocess.run([str(NABLA), "check", "--format", "json", *map(str, paths)], cwd=REPO,
                          capture_output=True, text=True)
    report = json.loads(done.stdout)
    results = {}
    for file_report in report["files"]:
        rel = str(Path(file_report["file"]).resolve().relative_to(REPO / "derivations"))
        for result in file_report["results"]:
            results[(rel, result["name"], result["step"])] = result
    return results


STATEMENT_KEYWORDS = ("var", "dim", "def", "claim", "derive", "net", "expect")
DECLARATIONS = ("var", "dim", "def", "net")


def statements(lines):
    """(first line, last line, keyword) of each statement, 1-based, by the column-0 rule."""
    found = []
    for number, line in enumerate(lines, start=1):
        word = line.split(" ", 1)[0].split(":", 1)[0]
        if line[:1].isalpha() and word in STATEMENT_KEYWORDS:
            if found:
                found[-1][1] = number - 1
            found.append([number, len(lines), word])
    return found


def isolated_time(path, line, cache):
    """Time to check only the statement holding `line` (declarations kept); also its step count."""
    lines = path.read_text().split("\n")
    spans = statements(lines)
    target = next(s for s in spans if s[0] <= line <= s[1])
    if (path, target[0]) in cache:
        return cache[(path, target[0])]
    kept = list(lines)
    for first, last, word in spans:
        if word in DECLARATIONS or first == target[0]:
            continue
        for k in range(first - 1, last):
            kept[k] = ""
    with tempfile.TemporaryDirectory() as folder:
        single = Path(folder) / path.name
        single.write_text("\n".join(kept))
        seconds, _ = time_nabla([single])
    cache[(path, target[0])] = seconds
    return seconds


# ----- the report -----


def seconds_text(seconds):
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cap", type=float, default=60.0, help="seconds per SymPy attempt (default 60)")
    parser.add_argument("--only", default="", help="only rows whose file contains this text")
    args = parser.parse_args()

    build_nabla()
    rows = [r for r in ROWS if args.only in r.file]
    files = sorted({REPO / "derivations" / r.file for r in rows})
    results = nabla_results(files)
    nabla_total, nabla_code = time_nabla(files)

    step_counts = {}
    for r in rows:
        if r.step is not None:
            step_counts[(r.file, r.claim)] = step_counts.get((r.file, r.claim), 0) + 1

    header = f"{'#':>3}  {'identity':<44} {'nabla file:line':<36} {'holds':<5}  " \
             f"{'SymPy':<8} {'time':>9}   {'nabla':<8} {'time':>8}  note"
    print(f"SymPy {sp.__version__}, Python {sys.version.split()[0]}, cap {args.cap:.0f} s per attempt")
    print(header)
    print("-" * len(header))
    cache = {}
    sympy_total = 0.0
    nabla_sum = 0.0
    tally = {}
    nabla_tally = {}
    for number, row in enumerate(rows, start=1):
        key = (row.file, row.claim, row.step)
        if key not in results:
            raise SystemExit(f"no nabla result for {key}: the table is out of date")
        result = results[key]
        outcome, seconds, detail = sympy_verdict(row, args.cap)
        sympy_total += seconds
        tally[outcome] = tally.get(outcome, 0) + 1
        verdict = result["verdict"]
        nabla_tally[verdict] = nabla_tally.get(verdict, 0) + 1
        path = REPO / "derivations" / row.file
        own = isolated_time(path, result["line"], cache)
        if row.step is None:
            nabla_seconds, mark = own, " "
        else:
            nabla_seconds, mark = own / step_counts[(row.file, row.claim)], "~"
        nabla_sum += nabla_seconds
        label = row.claim if row.step is None else f"{row.claim}, step {row.step}"
        where = f"{row.file}:{result['line']}"
        condition = f"where {row.where}" if row.where else ""
        note = "; ".join(t for t in (row.note, condition, detail if outcome in ("failed", "timeout") else "") if t)
        print(f"{number:>3}  {label[:44]:<44} {where:<36} {'yes' if row.true else 'no':<5}  "
              f"{outcome:<8} {seconds_text(seconds):>9}   {verdict:<8} {mark}{seconds_text(nabla_seconds):>7}  {note}",
              flush=True)

    print()
    print(f"identities: {len(rows)} ({sum(r.true for r in rows)} true, {sum(not r.true for r in rows)} false)")
    print("SymPy: " + ", ".join(f"{tally.get(k, 0)} {k}" for k in ("proved", "refuted", "failed", "wrong", "timeout")))
    print("nabla: " + ", ".join(f"{nabla_tally.get(k, 0)} {k}" for k in ("proved", "checked", "refuted", "unknown")))
    agree = sum(1 for r in rows
                if (results[(r.file, r.claim, r.step)]["verdict"] in ("proved", "checked")) == r.true)
    print(f"nabla agrees with the table on {agree} of {len(rows)}")
    print(f"SymPy total time: {sympy_total:.2f} s (sum over identities, both attempts)")
    print(f"nabla total time: {nabla_total:.3f} s (one `nabla check` over the {len(files)} files, "
          f"median of 3, exit code {nabla_code})")
    print(f"nabla, sum of the per-identity times: {nabla_sum:.3f} s (one process per claim or chain)")
    print(f"ratio SymPy / nabla: {sympy_total / nabla_total:.0f}x against the whole run, "
          f"{sympy_total / nabla_sum:.0f}x against the per-identity sum")


if __name__ == "__main__":
    main()
