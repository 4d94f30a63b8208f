//! SymPy printing: a string `sympy.sympify` reads as the same expression.
//!
//! Every operand that is not an atom is parenthesized, numbers are
//! `Rational(p, q)` (so nothing becomes a float), and the built-ins SymPy lacks
//! are written out: `σ(x)` is `1/(1 + exp(-x))`, `softplus(x)` is
//! `log(1 + exp(x))`, `relu(x)` is `Max(0, x)`, `H(x)` is `Heaviside(x, 1/2)`.
//! A name SymPy would read as one of its own (`E`, `I`, `S`, `beta`, ...) or
//! that is no Python identifier is written `Symbol('name')`.

use super::func::SympyForm;
use super::{CmpOp, ExprId, Func, LimitTo, Node, Store};
use num_rational::BigRational;

/// The expression as a string for `sympy.sympify`.
pub fn to_sympy(store: &Store, id: ExprId) -> String {
    SymPy { store }.expr(id)
}

/// Names `sympify` would not read as a plain symbol: its constants, its
/// single-letter objects, and functions a variable could be named after.
const RESERVED: &[&str] = &[
    "E",
    "I",
    "N",
    "O",
    "Q",
    "S",
    "oo",
    "pi",
    "nan",
    "zoo",
    "beta",
    "gamma",
    "zeta",
    "lambda",
    "Lambda",
    "exp",
    "log",
    "ln",
    "sqrt",
    "sin",
    "cos",
    "tan",
    "sign",
    "floor",
    "ceiling",
    "Abs",
    "Max",
    "Min",
    "Sum",
    "Limit",
    "Piecewise",
    "Heaviside",
    "KroneckerDelta",
    "Rational",
    "Symbol",
    "Function",
    "Matrix",
    "Indexed",
    "Derivative",
    "Subs",
    "Eq",
    "Ne",
    "And",
    "Or",
    "True",
    "False",
    "None",
    "and",
    "or",
    "not",
    "in",
    "is",
    "if",
    "else",
    "for",
    "def",
    "class",
    "return",
    "import",
    "from",
    "as",
    "with",
    "while",
    "pass",
    "del",
    "global",
    "try",
    "except",
    "raise",
    "yield",
    "assert",
    "break",
    "continue",
    "finally",
    "nonlocal",
    "elif",
    "await",
    "async",
    "tanh",
    "li",
    "Li",
    "Si",
    "Ci",
    "Ei",
    "Chi",
    "Shi",
    "re",
    "im",
    "arg",
    "det",
    "diff",
    "factorial",
    "binomial",
    "harmonic",
    "test",
];

struct SymPy<'s> {
    store: &'s Store,
}

fn number(r: &BigRational) -> String {
    if r.is_integer() {
        return r.numer().to_string();
    }
    format!("Rational({}, {})", r.numer(), r.denom())
}

/// A Python identifier that `sympify` keeps as a plain symbol.
fn plain(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_alphabetic() || first == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
        && !RESERVED.contains(&name)
}

fn quoted(name: &str) -> String {
    let escaped = name.replace('\\', "\\\\").replace('\'', "\\'");
    format!("'{escaped}'")
}

impl SymPy<'_> {
    fn name(&self, raw: &str) -> String {
        if plain(raw) {
            raw.to_string()
        } else {
            format!("Symbol({})", quoted(raw))
        }
    }

    /// A function name for an applied uninterpreted function.
    fn function(&self, raw: &str) -> String {
        if plain(raw) {
            raw.to_string()
        } else {
            format!("Function({})", quoted(raw))
        }
    }

    fn list(&self, ids: &[ExprId]) -> String {
        ids.iter()
            .map(|&a| self.expr(a))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// An operand: atoms as they are, anything else in parentheses.
    fn operand(&self, id: ExprId) -> String {
        let atom = match self.store.node(id) {
            Node::Num(r) => *r >= BigRational::from_integer(0.into()),
            Node::Sym(_) | Node::Call(..) | Node::Apply(..) | Node::Index(..) => true,
            _ => false,
        };
        let s = self.expr(id);
        if atom {
            s
        } else {
            format!("({s})")
        }
    }

    fn expr(&self, id: ExprId) -> String {
        let s = self.store;
        match s.node(id) {
            Node::Num(r) => number(r),
            Node::Sym(sym) => self.name(s.display_name(*sym)),
            Node::Add(terms) => terms
                .iter()
                .map(|&t| self.operand(t))
                .collect::<Vec<_>>()
                .join(" + "),
            Node::Mul(factors) => factors
                .iter()
                .map(|&f| self.operand(f))
                .collect::<Vec<_>>()
                .join("*"),
            Node::Pow(base, exp) => format!("{}**{}", self.operand(*base), self.operand(*exp)),
            Node::Call(func, args) => self.call(*func, args),
            Node::Apply(f, args) => {
                format!("{}({})", self.function(s.display_name(*f)), self.list(args))
            }
            Node::FnDeriv { func, orders, args } => {
                // d^k f / dt_1^k1 ... at the arguments, through fresh dummies
                let dummies: Vec<String> = (0..args.len()).map(|k| format!("_t{k}")).collect();
                let call = format!("{}({})", self.function(s.display_name(*func)), {
                    dummies
                        .iter()
                        .map(|d| format!("Symbol('{d}')"))
                        .collect::<Vec<_>>()
                        .join(", ")
                });
                let wrt: Vec<String> = dummies
                    .iter()
                    .zip(orders.iter())
                    .filter(|(_, &n)| n > 0)
                    .map(|(d, n)| format!("(Symbol('{d}'), {n})"))
                    .collect();
                let subs: Vec<String> = dummies
                    .iter()
                    .zip(args.iter())
                    .map(|(d, &a)| format!("(Symbol('{d}'), {})", self.expr(a)))
                    .collect();
                format!(
                    "Derivative({call}, {}).subs([{}])",
                    wrt.join(", "),
                    subs.join(", ")
                )
            }
            Node::Index(base, indices) => {
                let base = match s.node(*base) {
                    Node::Sym(sym) => quoted(s.display_name(*sym)),
                    _ => self.expr(*base),
                };
                format!("Indexed({base}, {})", self.list(indices))
            }
            Node::Sum {
                index,
                lower,
                upper,
                body,
            } => format!(
                "Sum({}, ({}, {}, {}))",
                self.expr(*body),
                self.name(s.display_name(*index)),
                self.expr(*lower),
                self.expr(*upper)
            ),
            Node::Piecewise {
                branches,
                otherwise,
            } => {
                let mut parts: Vec<String> = branches
                    .iter()
                    .map(|&(cond, value)| format!("({}, {})", self.expr(value), self.expr(cond)))
                    .collect();
                if let Some(o) = otherwise {
                    parts.push(format!("({}, True)", self.expr(*o)));
                }
                format!("Piecewise({})", parts.join(", "))
            }
            Node::Cmp(op, a, b) => {
                let (a, b) = (self.operand(*a), self.operand(*b));
                match op {
                    CmpOp::Lt => format!("{a} < {b}"),
                    CmpOp::Le => format!("{a} <= {b}"),
                    CmpOp::Gt => format!("{a} > {b}"),
                    CmpOp::Ge => format!("{a} >= {b}"),
                    CmpOp::Eq => format!("Eq({a}, {b})"),
                    CmpOp::Ne => format!("Ne({a}, {b})"),
                }
            }
            Node::And(conds) => format!("And({})", self.list(conds)),
            Node::Vector(entries) => format!("Matrix([{}])", self.list(entries)),
            Node::Limit { var, to, body } => {
                let to = match to {
                    LimitTo::PosInf => "oo".to_string(),
                    LimitTo::NegInf => "-oo".to_string(),
                    LimitTo::Point(p) => self.expr(*p),
                };
                format!(
                    "Limit({}, {}, {to})",
                    self.expr(*body),
                    self.name(s.display_name(*var))
                )
            }
        }
    }

    fn call(&self, func: Func, args: &[ExprId]) -> String {
        if func == Func::Pi {
            return "pi".into();
        }
        if args.is_empty() || args.len() != func.arity() {
            return format!("{}({})", func.name(), self.list(args));
        }
        let texts: Vec<String> = args.iter().map(|&a| self.expr(a)).collect();
        call_text(func, &texts)
    }
}

/// A built-in at arguments already written for SymPy, as its row says: SymPy's
/// own function where it has one, else the row's definition written out.
fn call_text(func: Func, args: &[String]) -> String {
    match func.row().sympy {
        SympyForm::Named(name) => format!("{name}({})", args.join(", ")),
        SympyForm::Template(text) => fill(text, args),
        SympyForm::ByDefinition => by_definition(func, args),
    }
}

/// `text` with each `{k}` replaced by argument `k`, in one pass (an argument's
/// own text is never read as a placeholder).
fn fill(text: &str, args: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let slot = after
            .find('}')
            .and_then(|close| Some((after[..close].parse::<usize>().ok()?, close)));
        match slot {
            Some((k, close)) => {
                out.push_str(args.get(k).map(String::as_str).unwrap_or_default());
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The row's definition written for SymPy.
fn by_definition(func: Func, args: &[String]) -> String {
    match func.row().definition {
        Some(def) => def
            .build(&mut SympyText, args, None)
            .unwrap_or_else(|never| match never {}),
        None => format!("{}({})", func.ascii_name(), args.join(", ")),
    }
}

/// SymPy source as the algebra a definition is built in.
struct SympyText;

impl crate::expr::func::Algebra for SympyText {
    type T = String;
    type Error = std::convert::Infallible;
    fn number(&mut self, r: BigRational) -> Result<String, Self::Error> {
        Ok(format!("Rational({}, {})", r.numer(), r.denom()))
    }
    fn add(&mut self, terms: Vec<String>) -> Result<String, Self::Error> {
        Ok(format!("({})", terms.join(" + ")))
    }
    fn mul(&mut self, factors: Vec<String>) -> Result<String, Self::Error> {
        Ok(format!("({})", factors.join("*")))
    }
    fn powi(&mut self, base: String, n: i64) -> Result<String, Self::Error> {
        Ok(format!("({base})**({n})"))
    }
    fn call(&mut self, f: Func, args: Vec<String>) -> Result<String, Self::Error> {
        Ok(call_text(f, &args))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lower::{self, LowerConfig};
    use crate::syntax::{self, ast};

    fn sympy_of(text: &str) -> String {
        let expr = syntax::parse_expr(text).expect("parses");
        let config = LowerConfig {
            declare_unknown_as_real: true,
            ..LowerConfig::default()
        };
        let (program, lowered) =
            lower::lower_standalone(&ast::File { items: vec![] }, &expr, config);
        to_sympy(&program.store, lowered.expect("lowers"))
    }

    #[test]
    fn sympy_strings() {
        let cases = [
            ("x + 1", "x + 1"),
            ("x/3", "x*(3**(-1))"),
            ("σ(x)", "(1/(1 + exp(-(x))))"),
            ("softplus(2*x)", "log(1 + exp(2*x))"),
            ("relu(x) + H(x)", "Max(0, x) + Heaviside(x, Rational(1, 2))"),
            ("ln(x) + log2(x)", "log(x) + log(x, 2)"),
            ("abs(x) * sign(x)", "Abs(x)*sign(x)"),
            ("floor(x) - ceil(x)", "floor(x) + ((-1)*ceiling(x))"),
            ("E + beta", "Symbol('E') + Symbol('beta')"),
            ("0.25 * x", "Rational(1, 4)*x"),
            ("x - 1/2", "x + ((-1)*(2**(-1)))"),
            ("x - 0.5", "x + (Rational(-1, 2))"),
            ("x^2", "x**2"),
            ("delta(i, j)", "KroneckerDelta(i, j)"),
            ("log10(x) * pi", "log(x, 10)*pi"),
            ("log1p(x)", "log((Rational(1, 1) + x))"),
        ];
        for (input, expected) in cases {
            assert_eq!(sympy_of(input), expected, "{input}");
        }
    }
}
