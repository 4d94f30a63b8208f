//! Test-only helpers: a tiny s-expression reader that builds terms in a `Store`,
//! and a plain f64 evaluator used to hold rewrites against numbers.

use crate::diff;
use crate::domain::Domains;
use crate::expr::{CmpOp, ExprId, Func, Node, Store, Symbol};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::ToPrimitive;
use std::collections::HashMap;

#[derive(Debug, Clone)]
enum Sx {
    Atom(String),
    List(Vec<Sx>),
}

fn tokenize(text: &str) -> Vec<String> {
    text.replace('(', " ( ")
        .replace(')', " ) ")
        .split_whitespace()
        .map(|s| s.to_string())
        .collect()
}

fn parse_sx(tokens: &[String], pos: &mut usize) -> Sx {
    let t = tokens[*pos].clone();
    *pos += 1;
    if t == "(" {
        let mut items = Vec::new();
        while tokens[*pos] != ")" {
            items.push(parse_sx(tokens, pos));
        }
        *pos += 1;
        Sx::List(items)
    } else {
        Sx::Atom(t)
    }
}

fn number(s: &str) -> Option<BigRational> {
    let (n, d) = match s.split_once('/') {
        Some((n, d)) => (n, d),
        None => (s, "1"),
    };
    let n: BigInt = n.parse().ok()?;
    let d: BigInt = d.parse().ok()?;
    Some(BigRational::new(n, d))
}

/// Reads `text` into `store`. Forms: numbers (`3`, `-1/2`), symbols,
/// `(+ a b ...)`, `(* a b ...)`, `(- a)`, `(- a b)`, `(/ a b)`, `(^ a b)`,
/// built-ins by name (`(exp a)`, `(sigma a)`, `(H a)`), `(> a b)` and the other
/// comparisons, `(piecewise (c v) ... [otherwise])`, `(d x e)` (the derivative,
/// computed on reading), and any other name as an uninterpreted function.
pub fn read(store: &mut Store, text: &str) -> ExprId {
    let tokens = tokenize(text);
    let mut pos = 0;
    let sx = parse_sx(&tokens, &mut pos);
    build(store, &sx)
}

fn build(store: &mut Store, sx: &Sx) -> ExprId {
    match sx {
        Sx::Atom(a) => match number(a) {
            Some(r) => store.num(r),
            None => store.sym(a),
        },
        Sx::List(items) => {
            let Sx::Atom(head) = &items[0] else {
                panic!("bad head")
            };
            let args: Vec<&Sx> = items[1..].iter().collect();
            if head == "d" {
                let x = build(store, args[0]);
                let e = build(store, args[1]);
                return diff::derivative(store, &Domains::new(), e, x)
                    .expect("differentiable")
                    .value;
            }
            if head == "piecewise" {
                let mut branches = Vec::new();
                let mut otherwise = None;
                for a in args {
                    match a {
                        Sx::List(pair) if pair.len() == 2 && matches!(&pair[0], Sx::List(_)) => {
                            let c = build(store, &pair[0]);
                            let v = build(store, &pair[1]);
                            branches.push((c, v));
                        }
                        other => otherwise = Some(build(store, other)),
                    }
                }
                return store.add(Node::Piecewise {
                    branches: branches.into(),
                    otherwise,
                });
            }
            let xs: Vec<ExprId> = args.iter().map(|a| build(store, a)).collect();
            match head.as_str() {
                "+" => store.sum(xs),
                "*" => store.product(xs),
                "-" if xs.len() == 1 => store.neg(xs[0]),
                "-" => store.sub(xs[0], xs[1]),
                "/" => store.div(xs[0], xs[1]),
                "^" => store.pow(xs[0], xs[1]),
                ">" => store.cmp(CmpOp::Gt, xs[0], xs[1]),
                ">=" => store.cmp(CmpOp::Ge, xs[0], xs[1]),
                "<" => store.cmp(CmpOp::Lt, xs[0], xs[1]),
                "<=" => store.cmp(CmpOp::Le, xs[0], xs[1]),
                "==" => store.cmp(CmpOp::Eq, xs[0], xs[1]),
                "!=" => store.cmp(CmpOp::Ne, xs[0], xs[1]),
                name => match Func::from_name(name) {
                    Some(f) => store.call(f, xs),
                    None => {
                        let s = store.symbol(name);
                        store.add(Node::Apply(s, xs.into()))
                    }
                },
            }
        }
    }
}

/// The value of uninterpreted `f` at `a` in tests, and of its derivatives:
/// `f(a) = sin(a) + a/2`.
fn test_function(order: u32, a: f64) -> f64 {
    let shift = match order {
        0 => return a.sin() + 0.5 * a,
        1 => return a.cos() + 0.5,
        k => k % 4,
    };
    match shift {
        0 => a.sin(),
        1 => a.cos(),
        2 => -a.sin(),
        _ => -a.cos(),
    }
}

fn to_f64(r: &BigRational) -> f64 {
    r.to_f64().unwrap_or(f64::NAN)
}

/// Evaluates `e` in f64 at `env`; `None` where it is undefined.
pub fn eval(store: &Store, e: ExprId, env: &HashMap<Symbol, f64>) -> Option<f64> {
    let mut memo = HashMap::new();
    eval_memo(store, e, env, &mut memo).filter(|v| v.is_finite())
}

/// Whether evaluating `e` at `env` passes through an infinity (f64 overflow),
/// where an undefined result says nothing about the exact value.
pub fn overflows(store: &Store, e: ExprId, env: &HashMap<Symbol, f64>) -> bool {
    let mut memo = HashMap::new();
    let _ = eval_memo(store, e, env, &mut memo);
    memo.values().any(|v| v.is_some_and(|x| x.is_infinite()))
}

/// Whether `e` at `env` is within rounding of a jump: the argument of H, sign,
/// floor or ceil, or a comparison, near its switching point, or a negative base
/// under an exponent near an integer. There f64 cannot tell the exact value.
pub fn near_discontinuity(store: &Store, e: ExprId, env: &HashMap<Symbol, f64>) -> bool {
    let mut memo = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![e];
    let near = |v: f64| v.abs() < 1e-9 * (1.0 + v.abs());
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        stack.extend(store.children(id));
        match store.node(id) {
            Node::Call(Func::Heaviside | Func::Sign | Func::Abs | Func::Relu, args)
                if eval_memo(store, args[0], env, &mut memo).is_some_and(near) =>
            {
                return true;
            }
            Node::Call(Func::Floor | Func::Ceil, args)
                if eval_memo(store, args[0], env, &mut memo)
                    .is_some_and(|v| near(v - v.round())) =>
            {
                return true;
            }
            Node::Cmp(_, a, b) => {
                let va = eval_memo(store, *a, env, &mut memo);
                let vb = eval_memo(store, *b, env, &mut memo);
                if let (Some(va), Some(vb)) = (va, vb) {
                    if near(va - vb) {
                        return true;
                    }
                }
            }
            Node::Pow(b, x) => {
                let vb = eval_memo(store, *b, env, &mut memo);
                let vx = eval_memo(store, *x, env, &mut memo);
                if let (Some(vb), Some(vx)) = (vb, vx) {
                    let inexact_integer = near(vx - vx.round()) && vx != vx.round();
                    if (vb < 0.0 && inexact_integer) || (near(vb) && vx <= 1e-9) {
                        return true;
                    }
                }
            }
            _ => {}
        }
    }
    false
}

fn eval_cond(
    store: &Store,
    c: ExprId,
    env: &HashMap<Symbol, f64>,
    memo: &mut HashMap<ExprId, Option<f64>>,
) -> Option<bool> {
    match store.node(c) {
        Node::Cmp(op, a, b) => {
            let x = eval_memo(store, *a, env, memo)?;
            let y = eval_memo(store, *b, env, memo)?;
            Some(match op {
                CmpOp::Lt => x < y,
                CmpOp::Le => x <= y,
                CmpOp::Gt => x > y,
                CmpOp::Ge => x >= y,
                CmpOp::Eq => x == y,
                CmpOp::Ne => x != y,
            })
        }
        Node::And(parts) => {
            let mut all = true;
            for p in parts.iter() {
                all &= eval_cond(store, *p, env, memo)?;
            }
            Some(all)
        }
        _ => None,
    }
}

fn eval_memo(
    store: &Store,
    e: ExprId,
    env: &HashMap<Symbol, f64>,
    memo: &mut HashMap<ExprId, Option<f64>>,
) -> Option<f64> {
    if let Some(v) = memo.get(&e) {
        return *v;
    }
    // infinities may pass through (1/(1 + exp(1000)) is 0); NaN is undefined
    let v = eval_node(store, e, env, memo).filter(|v| !v.is_nan());
    memo.insert(e, v);
    v
}

fn eval_node(
    store: &Store,
    e: ExprId,
    env: &HashMap<Symbol, f64>,
    memo: &mut HashMap<ExprId, Option<f64>>,
) -> Option<f64> {
    let ev = |x: ExprId, memo: &mut HashMap<ExprId, Option<f64>>| eval_memo(store, x, env, memo);
    match store.node(e) {
        Node::Num(r) => Some(to_f64(r)),
        Node::Sym(s) => env.get(s).copied(),
        Node::Add(ts) => {
            let mut acc = 0.0;
            for &t in ts.iter() {
                acc += ev(t, memo)?;
            }
            Some(acc)
        }
        Node::Mul(fs) => {
            let mut acc = 1.0;
            for &f in fs.iter() {
                acc *= ev(f, memo)?;
            }
            Some(acc)
        }
        Node::Pow(b, x) => {
            let base = ev(*b, memo)?;
            let exponent = ev(*x, memo)?;
            let integer = exponent.fract() == 0.0;
            if base < 0.0 && !integer {
                return None;
            }
            if base == 0.0 && exponent <= 0.0 {
                return None;
            }
            Some(base.powf(exponent))
        }
        Node::Call(f, args) => {
            let values: Option<Vec<f64>> = args.iter().map(|&x| ev(x, memo)).collect();
            call_f64(*f, &values?)
        }
        Node::Apply(_, args) if args.len() == 1 => Some(test_function(0, ev(args[0], memo)?)),
        Node::FnDeriv { orders, args, .. } if args.len() == 1 => {
            Some(test_function(orders[0], ev(args[0], memo)?))
        }
        Node::Piecewise {
            branches,
            otherwise,
        } => {
            for &(c, v) in branches.iter() {
                if eval_cond(store, c, env, memo)? {
                    return ev(v, memo);
                }
            }
            ev((*otherwise)?, memo)
        }
        _ => None,
    }
}

/// A built-in at f64 arguments (a reference for the tests, not an enclosure).
pub fn call_f64(f: Func, args: &[f64]) -> Option<f64> {
    use crate::expr::func::Enclosure as E;
    let a = args.first().copied().unwrap_or(0.0);
    Some(match f.row().enclosure {
        E::ByDefinition => return f.row().definition?.build(&mut F64, args, None).ok(),
        E::Exp => a.exp(),
        E::Ln if a > 0.0 => a.ln(),
        E::Log2 if a > 0.0 => a.log2(),
        E::Log10 if a > 0.0 => a.log10(),
        E::Sqrt if a >= 0.0 => a.sqrt(),
        E::Ln | E::Log2 | E::Log10 | E::Sqrt => return None,
        E::Abs => a.abs(),
        E::Sigmoid => 1.0 / (1.0 + (-a).exp()),
        E::Softplus => {
            if a > 30.0 {
                a + (-a).exp().ln_1p()
            } else {
                a.exp().ln_1p()
            }
        }
        E::Tanh => a.tanh(),
        E::Relu => a.max(0.0),
        E::Heaviside => {
            if a > 0.0 {
                1.0
            } else if a == 0.0 {
                0.5
            } else {
                0.0
            }
        }
        E::Sign => {
            if a > 0.0 {
                1.0
            } else if a == 0.0 {
                0.0
            } else {
                -1.0
            }
        }
        E::Floor => a.floor(),
        E::Ceil => a.ceil(),
        E::Delta => {
            if a == *args.get(1)? {
                1.0
            } else {
                0.0
            }
        }
        E::Pi => std::f64::consts::PI,
        E::Sin => a.sin(),
        E::Cos => a.cos(),
        E::Atan => a.atan(),
        E::Erf => {
            let r = num_rational::BigRational::from_float(a)?;
            let p = crate::eval::Precise::from_rational(&r, 64)
                .ok()?
                .erf()
                .ok()?;
            p.midpoint()
        }
    })
}

/// f64 arithmetic for definitions.
struct F64;

impl crate::expr::func::Algebra for F64 {
    type T = f64;
    type Error = ();
    fn number(&mut self, r: num_rational::BigRational) -> Result<f64, ()> {
        num_traits::ToPrimitive::to_f64(&r).ok_or(())
    }
    fn add(&mut self, terms: Vec<f64>) -> Result<f64, ()> {
        Ok(terms.iter().sum())
    }
    fn mul(&mut self, factors: Vec<f64>) -> Result<f64, ()> {
        Ok(factors.iter().product())
    }
    fn powi(&mut self, base: f64, n: i64) -> Result<f64, ()> {
        if base == 0.0 && n <= 0 {
            return Err(());
        }
        Ok(base.powi(i32::try_from(n).map_err(|_| ())?))
    }
    fn call(&mut self, f: Func, args: Vec<f64>) -> Result<f64, ()> {
        call_f64(f, &args).ok_or(())
    }
}
