//! What is known about each symbol: its declared domain and the assumptions on it.
//!
//! The simplifier asks this for sign facts (a rewrite such as `ln(u·v) = ln u + ln v`
//! fires only when both factors are shown positive); the sampler asks it which
//! values a variable may take.

use crate::expr::{ExprId, Store, Symbol};
use num_rational::BigRational;
use std::collections::HashMap;

/// The declared domain of one symbol.
#[derive(Clone, Debug, PartialEq)]
pub enum VarDomain {
    Real,
    /// Strictly positive reals.
    Positive,
    Integer,
    /// 0, 1, 2, ...
    Natural,
    /// A finite set of exact values, such as `{0, 1}`.
    Set(Vec<BigRational>),
    /// A symbolic size from `dim`: a positive integer.
    Dim,
    /// An index ranging over `1..=size` (a summation index or a free index of a claim).
    Index {
        size: ExprId,
    },
    /// A vector of `size` reals.
    Vector {
        size: ExprId,
    },
    /// A `rows × cols` matrix of reals.
    Matrix {
        rows: ExprId,
        cols: ExprId,
    },
    /// A one-hot vector of `size` entries (one entry 1, the rest 0).
    OneHot {
        size: ExprId,
    },
    /// An uninterpreted function: `inputs` sizes (1 for a scalar) to `outputs`.
    Function {
        input: Option<ExprId>,
        output: Option<ExprId>,
    },
}

impl VarDomain {
    /// Whether a scalar domain holds `value`; `None` for domains of vectors,
    /// matrices, functions and indices (whose range depends on a size).
    pub fn admits(&self, value: &BigRational) -> Option<bool> {
        use num_traits::Signed;
        match self {
            VarDomain::Real => Some(true),
            VarDomain::Positive => Some(value.is_positive()),
            VarDomain::Integer => Some(value.is_integer()),
            VarDomain::Natural => Some(value.is_integer() && !value.is_negative()),
            VarDomain::Dim => Some(value.is_integer() && value.is_positive()),
            VarDomain::Set(values) => Some(values.contains(value)),
            _ => None,
        }
    }

    /// The domain's name as declared (`natural`, `integer`, ...).
    pub fn word(&self) -> &'static str {
        match self {
            VarDomain::Real => "real",
            VarDomain::Positive => "positive",
            VarDomain::Integer => "integer",
            VarDomain::Natural => "natural",
            VarDomain::Set(_) => "a finite set",
            VarDomain::Dim => "a size",
            VarDomain::Index { .. } => "an index",
            VarDomain::Vector { .. } => "a vector",
            VarDomain::Matrix { .. } => "a matrix",
            VarDomain::OneHot { .. } => "a one-hot vector",
            VarDomain::Function { .. } => "a function",
        }
    }
}

/// Domains of all declared symbols, plus assumptions (conditions such as `a > 0`).
#[derive(Clone, Debug, Default)]
pub struct Domains {
    domains: HashMap<Symbol, VarDomain>,
    assumptions: Vec<ExprId>,
}

impl Domains {
    pub fn new() -> Domains {
        Domains::default()
    }

    pub fn declare(&mut self, s: Symbol, d: VarDomain) {
        self.domains.insert(s, d);
    }

    pub fn assume(&mut self, condition: ExprId) {
        self.assumptions.push(condition);
    }

    pub fn get(&self, s: Symbol) -> Option<&VarDomain> {
        self.domains.get(&s)
    }

    /// Drops every assumption that mentions `s` (a name declared twice: which
    /// declaration was meant is unknown, so neither's assumptions hold).
    pub fn forget_assumptions_about(&mut self, store: &Store, s: Symbol) {
        self.assumptions.retain(|&a| !store.contains_symbol(a, s));
    }

    /// The conditions every point must satisfy (`Cmp`/`And` nodes).
    pub fn assumptions(&self) -> &[ExprId] {
        &self.assumptions
    }

    /// Whether `s` is known to be strictly positive from its domain alone
    /// (assumptions are the simplifier's business: it reads `assumptions()`).
    pub fn is_positive(&self, s: Symbol) -> bool {
        match self.domains.get(&s) {
            Some(VarDomain::Positive | VarDomain::Dim | VarDomain::Index { .. }) => true,
            Some(VarDomain::Set(values)) => values
                .iter()
                .all(|v| *v > BigRational::from_integer(0.into())),
            _ => false,
        }
    }

    /// Whether `s` is known to be real and non-negative.
    pub fn is_nonnegative(&self, s: Symbol) -> bool {
        match self.domains.get(&s) {
            Some(VarDomain::Natural) => true,
            Some(VarDomain::Set(values)) => values
                .iter()
                .all(|v| *v >= BigRational::from_integer(0.into())),
            _ => self.is_positive(s),
        }
    }

    /// Whether `s` takes only integer values.
    pub fn is_integer(&self, s: Symbol) -> bool {
        match self.domains.get(&s) {
            Some(
                VarDomain::Integer | VarDomain::Natural | VarDomain::Dim | VarDomain::Index { .. },
            ) => true,
            Some(VarDomain::Set(values)) => values.iter().all(|v| v.is_integer()),
            _ => false,
        }
    }

    /// All declared symbols with their domains, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (Symbol, &VarDomain)> {
        self.domains.iter().map(|(&s, d)| (s, d))
    }

    /// A readable list, for debugging and `--explain`.
    pub fn describe(&self, store: &Store) -> Vec<String> {
        let mut out: Vec<String> = self
            .domains
            .iter()
            .map(|(&s, d)| format!("{}: {:?}", store.name(s), d))
            .collect();
        out.sort();
        out
    }
}
