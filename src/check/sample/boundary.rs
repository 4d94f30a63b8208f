//! Where a claim's conditions change: the boundaries the sampler visits.
//!
//! A claim may be false on a sliver the random points never hit (`ind(x*x +
//! x/3 < 0) = 0` is false exactly on (−1/3, 0)). So the sampler also looks at
//! the *edges* of the claim: the arguments of `abs`, `relu`, `H`, `sign`, the
//! domain edges of `sqrt` and the logarithms, the integer crossings of `floor`
//! and `ceil`, every comparison (piecewise branches, `ind`, `where`), and every
//! base raised to a negative or fractional power (denominators). Each edge is
//! solved for one scalar at a time, the other symbols held at a base point:
//! exactly when it is a polynomial of degree 1 or 2 with rational roots,
//! otherwise by bisection between grid points where its sign is certain
//! (signs come from the rigorous evaluator, so a root is only ever bracketed
//! where the sign really changes). Roots only choose where to look; nothing
//! about a verdict depends on them being exact.

use crate::eval::{self, Binding, Env, Value};
use crate::expr::{ExprId, Func, Node, Store, Symbol};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, Zero};
use std::collections::HashSet;

/// Most edges collected from one claim.
const MAX_EDGES: usize = 24;
/// Highest degree kept while reading an edge as a polynomial in one symbol.
const MAX_DEGREE: usize = 4;
/// Halvings of a bracket around a root found by bisection.
const BISECTIONS: usize = 40;

/// `lhs − rhs − shift` as a function of the sampled symbols: where it is 0 a
/// condition of the claim changes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Edge {
    pub lhs: ExprId,
    pub rhs: Option<ExprId>,
    pub shift: BigRational,
}

impl Edge {
    fn of(lhs: ExprId) -> Edge {
        Edge {
            lhs,
            rhs: None,
            shift: BigRational::zero(),
        }
    }
}

/// The integers whose crossing by the argument of `floor` or `ceil` is sought.
const CROSSINGS: [i64; 4] = [0, 1, -1, 2];

/// The edges of the expressions `roots` (and everything under them), in the
/// order they are first met, without repeats.
pub fn edges(store: &Store, roots: &[ExprId]) -> Vec<Edge> {
    let mut out: Vec<Edge> = Vec::new();
    let mut seen: HashSet<ExprId> = HashSet::new();
    let mut stack: Vec<ExprId> = roots.iter().rev().copied().collect();
    let push = |out: &mut Vec<Edge>, edge: Edge| {
        if out.len() < MAX_EDGES && !out.contains(&edge) {
            out.push(edge);
        }
    };
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        match store.node(id) {
            Node::Call(
                Func::Abs
                | Func::Relu
                | Func::Heaviside
                | Func::Sign
                | Func::Sqrt
                | Func::Ln
                | Func::Log2
                | Func::Log10,
                args,
            ) => push(&mut out, Edge::of(args[0])),
            Node::Call(Func::Floor | Func::Ceil, args) => {
                for n in CROSSINGS {
                    push(
                        &mut out,
                        Edge {
                            lhs: args[0],
                            rhs: None,
                            shift: BigRational::from_integer(BigInt::from(n)),
                        },
                    );
                }
            }
            // the kinks of the built-ins defined through relu and |·|
            Node::Call(Func::Max | Func::Min, args) if args.len() == 2 => push(
                &mut out,
                Edge {
                    lhs: args[0],
                    rhs: Some(args[1]),
                    shift: BigRational::zero(),
                },
            ),
            Node::Call(Func::Elu | Func::Selu | Func::LeakyRelu | Func::Softsign, args) => {
                push(&mut out, Edge::of(args[0]))
            }
            Node::Call(Func::Hardtanh | Func::Log1p, args) => {
                for n in [-1, 1] {
                    if n == 1 && matches!(store.node(id), Node::Call(Func::Log1p, _)) {
                        continue;
                    }
                    push(
                        &mut out,
                        Edge {
                            lhs: args[0],
                            rhs: None,
                            shift: BigRational::from_integer(BigInt::from(n)),
                        },
                    );
                }
            }
            Node::Pow(base, exponent) => {
                let plain = store
                    .as_num(*exponent)
                    .is_some_and(|e| e.is_integer() && !e.is_negative());
                if !plain {
                    push(&mut out, Edge::of(*base));
                }
            }
            Node::Cmp(_, a, b) => push(
                &mut out,
                Edge {
                    lhs: *a,
                    rhs: Some(*b),
                    shift: BigRational::zero(),
                },
            ),
            _ => {}
        }
        // children last-first, so the walk meets them in written order
        let mut children = store.children(id);
        children.reverse();
        stack.extend(children);
    }
    out
}

/// A place where an edge is zero, in one symbol.
#[derive(Clone, Debug, PartialEq)]
pub enum Root {
    /// Exactly here.
    Exact(BigRational),
    /// Strictly inside `(lo, hi)`, where the edge has opposite certain signs at the ends.
    Between(BigRational, BigRational),
}

impl Root {
    /// A simple rational at (or inside the bracket of) the root.
    pub fn value(&self) -> BigRational {
        match self {
            Root::Exact(r) => r.clone(),
            Root::Between(lo, hi) => simplest_between(lo, hi),
        }
    }
}

/// Most evaluations of edges one claim's boundary search may spend (a count,
/// not a time, so the points stay the same on every machine).
pub const MAX_EDGE_EVALUATIONS: usize = 300;

/// Largest edge (distinct nodes) that bisection evaluates; an edge with a `Σ`
/// in it is never bisected (each evaluation would cost a whole sum).
const MAX_BISECTED_NODES: usize = 400;

/// The roots of `edge` in `symbol`, with every other symbol as in `base`;
/// bisection spends at most `budget` evaluations (and takes them from it).
pub fn roots(
    store: &Store,
    edge: &Edge,
    symbol: Symbol,
    base: &Env,
    budget: &mut usize,
) -> Vec<Root> {
    if let Some(p) = polynomial_of_edge(store, edge, symbol, base) {
        match degree(&p) {
            None | Some(0) => return Vec::new(),
            Some(1) => return vec![Root::Exact(-&p[0] / &p[1])],
            Some(2) => {
                if let Some(found) = quadratic_roots(&p) {
                    return found;
                }
            }
            Some(_) => {}
        }
    }
    bisection_roots(store, edge, symbol, base, budget)
}

/// The sign of `edge` at `symbol = x`, when the evaluator is certain of it.
fn sign_at(store: &Store, edge: &Edge, symbol: Symbol, x: &BigRational, base: &Env) -> Option<i8> {
    let mut env = base.clone();
    env.bind(symbol, Binding::Scalar(x.clone()));
    let mut value = eval::eval(store, edge.lhs, &env).ok()?;
    if let Some(rhs) = edge.rhs {
        value = value.sub(&eval::eval(store, rhs, &env).ok()?).ok()?;
    }
    if !edge.shift.is_zero() {
        value = value.sub(&Value::Exact(edge.shift.clone())).ok()?;
    }
    match value {
        Value::Exact(r) => Some(if r.is_positive() {
            1
        } else if r.is_negative() {
            -1
        } else {
            0
        }),
        Value::Approx(i) if i.lo() > 0.0 => Some(1),
        Value::Approx(i) if i.hi() < 0.0 => Some(-1),
        Value::Approx(_) | Value::Precise(_) => None,
    }
}

/// The grid a sign change is looked for on (27 points): 0, then ±10^-6 …
/// ±10^6, denser among the small values ML expressions live at.
fn grid() -> Vec<BigRational> {
    let mut positive: Vec<BigRational> = [6u32, 4, 2]
        .iter()
        .map(|&e| BigRational::new(BigInt::one(), BigInt::from(10).pow(e)))
        .collect();
    for (n, d) in [(1, 4), (1, 2), (1, 1), (2, 1), (5, 1)] {
        positive.push(BigRational::new(BigInt::from(n), BigInt::from(d)));
    }
    for e in [1u32, 2, 3, 4, 6] {
        positive.push(BigRational::from_integer(BigInt::from(10).pow(e)));
    }
    let mut all: Vec<BigRational> = positive.iter().rev().map(|x| -x).collect();
    all.push(BigRational::zero());
    all.extend(positive);
    all
}

/// Roots found by sign changes between neighbouring grid points, narrowed by
/// bisection, plus grid points where the edge is exactly 0.
fn bisection_roots(
    store: &Store,
    edge: &Edge,
    symbol: Symbol,
    base: &Env,
    budget: &mut usize,
) -> Vec<Root> {
    let grid = grid();
    if *budget < grid.len() || !cheap(store, edge) {
        return Vec::new();
    }
    *budget -= grid.len();
    let signs: Vec<Option<i8>> = grid
        .iter()
        .map(|x| sign_at(store, edge, symbol, x, base))
        .collect();
    let mut out = Vec::new();
    for k in 0..grid.len() {
        if signs[k] == Some(0) {
            out.push(Root::Exact(grid[k].clone()));
        }
        if k + 1 == grid.len() {
            break;
        }
        let (Some(a), Some(b)) = (signs[k], signs[k + 1]) else {
            continue;
        };
        if a * b >= 0 {
            continue;
        }
        let (mut lo, mut hi) = (grid[k].clone(), grid[k + 1].clone());
        let mut exact = None;
        for _ in 0..BISECTIONS {
            if *budget == 0 {
                break;
            }
            *budget -= 1;
            // the simplest rational inside first: a simple root is then hit exactly
            let mid = simplest_between(&lo, &hi);
            let mid = if mid <= lo || mid >= hi {
                (&lo + &hi) / BigRational::from_integer(BigInt::from(2))
            } else {
                mid
            };
            match sign_at(store, edge, symbol, &mid, base) {
                Some(0) => {
                    exact = Some(mid);
                    break;
                }
                Some(s) if s == a => lo = mid,
                Some(_) => hi = mid,
                None => break,
            }
        }
        out.push(match exact {
            Some(r) => Root::Exact(r),
            None => Root::Between(lo, hi),
        });
    }
    out
}

/// Whether `edge` is small and free of sums, so bisecting it costs little.
fn cheap(store: &Store, edge: &Edge) -> bool {
    let mut seen: HashSet<ExprId> = HashSet::new();
    let mut stack: Vec<ExprId> = vec![edge.lhs];
    stack.extend(edge.rhs);
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        if seen.len() > MAX_BISECTED_NODES || matches!(store.node(id), Node::Sum { .. }) {
            return false;
        }
        stack.extend(store.children(id));
    }
    true
}

/// The simplest rational (smallest denominator, then numerator) in the closed
/// interval `[lo, hi]`, by continued fractions (the Stern–Brocot descent).
pub fn simplest_between(lo: &BigRational, hi: &BigRational) -> BigRational {
    if lo > hi {
        return simplest_between(hi, lo);
    }
    if lo.is_negative() && hi.is_positive() || lo.is_zero() || hi.is_zero() {
        return BigRational::zero();
    }
    if hi.is_negative() {
        return -simplest_between(&-hi, &-lo);
    }
    // 0 < lo <= hi
    let floor = lo.floor();
    if floor < *lo {
        if floor.clone() + BigRational::one() <= *hi {
            return floor + BigRational::one();
        }
    } else {
        return lo.clone();
    }
    // lo and hi share their integer part: recurse on the reciprocals of the fractions
    let (a, b) = (lo - &floor, hi - &floor);
    if b.is_zero() {
        return floor;
    }
    floor + simplest_between(&b.recip(), &a.recip()).recip()
}

/// `edge` as a polynomial in `symbol` (constant term first), when it is one
/// of degree at most [`MAX_DEGREE`] with rational coefficients at `base`.
fn polynomial_of_edge(
    store: &Store,
    edge: &Edge,
    symbol: Symbol,
    base: &Env,
) -> Option<Vec<BigRational>> {
    let mut p = polynomial(store, edge.lhs, symbol, base, 0)?;
    if let Some(rhs) = edge.rhs {
        let q = polynomial(store, rhs, symbol, base, 0)?;
        p = poly_add(&p, &q.iter().map(|c| -c).collect::<Vec<_>>());
    }
    p = poly_add(&p, &[-edge.shift.clone()]);
    Some(p)
}

fn polynomial(
    store: &Store,
    id: ExprId,
    symbol: Symbol,
    base: &Env,
    depth: usize,
) -> Option<Vec<BigRational>> {
    if depth > 64 {
        return None;
    }
    let recurse = |e: ExprId| polynomial(store, e, symbol, base, depth + 1);
    match store.node(id) {
        Node::Num(r) => Some(vec![r.clone()]),
        Node::Sym(s) if *s == symbol => Some(vec![BigRational::zero(), BigRational::one()]),
        Node::Sym(s) => match base.get(*s) {
            Some(Binding::Scalar(r)) => Some(vec![r.clone()]),
            _ => None,
        },
        Node::Add(terms) => terms.iter().try_fold(vec![BigRational::zero()], |acc, &t| {
            Some(poly_add(&acc, &recurse(t)?))
        }),
        Node::Mul(factors) => factors
            .iter()
            .try_fold(vec![BigRational::one()], |acc, &f| {
                let product = poly_mul(&acc, &recurse(f)?);
                (product.len() <= MAX_DEGREE + 1).then_some(product)
            }),
        Node::Pow(b, e) => {
            let n = store.as_num(*e)?;
            if n.is_integer() && !n.is_negative() && *n <= BigRational::from_integer(4.into()) {
                let n: usize = n.to_integer().try_into().ok()?;
                let b = recurse(*b)?;
                let mut out = vec![BigRational::one()];
                for _ in 0..n {
                    out = poly_mul(&out, &b);
                    if out.len() > MAX_DEGREE + 1 {
                        return None;
                    }
                }
                Some(out)
            } else {
                constant(store, id, symbol, base)
            }
        }
        _ => constant(store, id, symbol, base),
    }
}

/// The exact value of a subexpression that does not mention `symbol`.
fn constant(store: &Store, id: ExprId, symbol: Symbol, base: &Env) -> Option<Vec<BigRational>> {
    if store.contains_symbol(id, symbol) {
        return None;
    }
    match eval::eval(store, id, base).ok()? {
        Value::Exact(r) => Some(vec![r]),
        Value::Approx(_) | Value::Precise(_) => None,
    }
}

fn poly_add(a: &[BigRational], b: &[BigRational]) -> Vec<BigRational> {
    let n = a.len().max(b.len());
    (0..n)
        .map(|k| {
            let x = a.get(k).cloned().unwrap_or_else(BigRational::zero);
            x + b.get(k).cloned().unwrap_or_else(BigRational::zero)
        })
        .collect()
}

fn poly_mul(a: &[BigRational], b: &[BigRational]) -> Vec<BigRational> {
    if a.is_empty() || b.is_empty() {
        return vec![BigRational::zero()];
    }
    let mut out = vec![BigRational::zero(); a.len() + b.len() - 1];
    for (i, x) in a.iter().enumerate() {
        if x.is_zero() {
            continue;
        }
        for (j, y) in b.iter().enumerate() {
            out[i + j] += x * y;
        }
    }
    out
}

/// The degree, `None` for the zero polynomial.
fn degree(p: &[BigRational]) -> Option<usize> {
    p.iter().rposition(|c| !c.is_zero())
}

/// The real roots of `c + b t + a t²` (a ≠ 0) when they are rational (or
/// none exist); `None` when they are irrational (bisection finds those).
fn quadratic_roots(p: &[BigRational]) -> Option<Vec<Root>> {
    let (c, b, a) = (&p[0], &p[1], &p[2]);
    let four = BigRational::from_integer(BigInt::from(4));
    let two = BigRational::from_integer(BigInt::from(2));
    let discriminant = b * b - &four * a * c;
    if discriminant.is_negative() {
        return Some(Vec::new());
    }
    let root = rational_sqrt(&discriminant)?;
    let first = (-b - &root) / (&two * a);
    let second = (-b + &root) / (&two * a);
    let mut out = vec![Root::Exact(first.clone())];
    if second != first {
        out.push(Root::Exact(second));
    }
    Some(out)
}

/// The exact square root of a non-negative rational, if it is rational.
fn rational_sqrt(r: &BigRational) -> Option<BigRational> {
    let (n, d) = (r.numer(), r.denom());
    let (sn, sd) = (n.sqrt(), d.sqrt());
    (&sn * &sn == *n && &sd * &sd == *d).then(|| BigRational::new(sn, sd))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lower::{self, LowerConfig};
    use crate::syntax;

    /// `text` lowered on its own (unknown names are reals), and the symbol `x`.
    fn lowered(text: &str) -> (Store, ExprId, Symbol) {
        let parsed = syntax::parse_expr(text).expect("parses");
        let config = LowerConfig {
            declare_unknown_as_real: true,
            ..LowerConfig::default()
        };
        let (program, id) = lower::lower_standalone(&syntax::ast::File::default(), &parsed, config);
        let id = id.expect("lowers");
        let x = program.store.find_symbol("x").expect("mentions x");
        (program.store, id, x)
    }

    fn q(text: &str) -> BigRational {
        let (n, d) = text.split_once('/').unwrap_or((text, "1"));
        BigRational::new(n.trim().parse().unwrap(), d.trim().parse().unwrap())
    }

    #[test]
    fn simplest_rationals() {
        let cases = [
            ("1/3", "1/2", "1/2"),
            ("-1/3", "1/4", "0"),
            ("3/10", "4/10", "1/3"),
            ("2/7", "2/7", "2/7"),
            ("-5/2", "-7/3", "-5/2"),
            ("314159/100000", "314160/100000", "355/113"),
            ("7/2", "9/2", "4"),
        ];
        for (lo, hi, want) in cases {
            assert_eq!(simplest_between(&q(lo), &q(hi)), q(want), "[{lo}, {hi}]");
        }
    }

    /// Expression → the roots of its edges in `x` (as simple rationals, sorted).
    #[test]
    fn boundaries_found() {
        let cases: [(&str, &[&str]); 14] = [
            ("ind(x*x + x/3 < 0)", &["-1/3", "0"]),
            ("abs(x - 3/2)", &["3/2"]),
            ("relu(2*x + 1)", &["-1/2"]),
            ("H(x^2 - 4)", &["-2", "2"]),
            ("sign((x - 1)*(x - 1))", &["1"]),
            ("ind(x > 1000)", &["1000"]),
            ("1/(x - 7)", &["7"]),
            ("sqrt(x + 5)", &["-5"]),
            ("ln(x)", &["0"]),
            ("floor(x/3)", &["-3", "0", "3", "6"]),
            ("ind(x^3 > 10^5)", &["46.415888"]),
            ("ind(exp(x) > 10)", &["2.302585"]),
            ("abs(x^2 + 1)", &[]),
            ("ind(x*x < 2)", &["-1.414214", "1.414214"]),
        ];
        for (text, want) in cases {
            let (store, id, x) = lowered(text);
            let base = Env::new();
            let mut unlimited = usize::MAX;
            let mut found: Vec<BigRational> = Vec::new();
            for edge in edges(&store, &[id]) {
                for root in roots(&store, &edge, x, &base, &mut unlimited) {
                    let v = root.value();
                    if !found.contains(&v) {
                        found.push(v);
                    }
                }
            }
            found.sort();
            let shown: Vec<String> = found
                .iter()
                .map(|r| {
                    let f = Value::Exact(r.clone()).to_f64();
                    let approximate = want.iter().any(|w| w.contains('.'));
                    if approximate && !r.is_integer() {
                        format!("{f:.6}")
                    } else {
                        r.to_string()
                    }
                })
                .collect();
            assert_eq!(shown, want.to_vec(), "{text}");
        }
    }
}
