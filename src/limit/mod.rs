//! Limits found symbolically: asymptotic expansions as the limit variable runs to its point.
//!
//! Every limit is rewritten as one in `k → +∞` (`x → −∞` is `x = −k`; `x → a`
//! from the right is `x = a + 1/k`, from the left `x = a − 1/k`), and every
//! subexpression of the body gets an expansion in `t = 1/k` and `L = ln k`:
//!
//! `exp(G) · (Σ c · t^e · L^j + O~(t^N))`
//!
//! where `G` (the *scale*) is an exact sum of growing terms (`e < 0`), the
//! coefficients `c` are expressions free of `k`, and `O~(t^N)` is an error of
//! order `t^N` times a power of `L`. Sums compare scales (the larger
//! exponential wins outright, the smaller is beyond every power of `t`),
//! products add them, and `exp`, `ln` and powers of an expansion whose leading
//! term is known are series in the remainder (`exp`, `ln(1 + R)`, `(1 + R)^p`)
//! with exact rational coefficients. σ, tanh and softplus are written with
//! `exp` and `ln`; `abs`, `relu`, `H`, `sign`, `floor`, `ceil` and piecewise
//! conditions take the eventual sign of their argument.
//!
//! Invariant: a value is returned only when every step is exact: each leading
//! coefficient is shown zero or non-zero (exactly, by sign analysis, by a
//! rigorous enclosure of a closed-form constant, or by the prover), and each
//! truncation is accounted for in the error order. Anything else is [`Stuck`]:
//! a sign to split cases on, a parity to split the integers on, or a reason.

#[cfg(test)]
mod tests;

use crate::domain::Domains;
use crate::eval::{self, Env, Value};
use crate::expr::{CmpOp, ExprId, Func, Node, Store, Symbol};
use crate::simplify;
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// The value of a limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitValue {
    /// A real number, as an expression free of the limit variable.
    Finite(ExprId),
    PosInf,
    NegInf,
}

/// A sign, as shown for an expression free of the limit variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sign {
    Negative,
    Zero,
    Positive,
}

impl Sign {
    fn negate(self) -> Sign {
        match self {
            Sign::Negative => Sign::Positive,
            Sign::Zero => Sign::Zero,
            Sign::Positive => Sign::Negative,
        }
    }

    fn of(r: &BigRational) -> Sign {
        if r.is_positive() {
            Sign::Positive
        } else if r.is_negative() {
            Sign::Negative
        } else {
            Sign::Zero
        }
    }

    /// The condition `e ⋈ 0` this sign stands for.
    pub fn condition(self, store: &mut Store, e: ExprId) -> ExprId {
        let zero = store.zero();
        let op = match self {
            Sign::Negative => CmpOp::Lt,
            Sign::Zero => CmpOp::Eq,
            Sign::Positive => CmpOp::Gt,
        };
        store.cmp(op, e, zero)
    }
}

/// Why no value was found.
#[derive(Clone, Debug, PartialEq)]
pub enum Stuck {
    /// The limit depends on the sign of this expression (free of the limit
    /// variable), which cannot be shown: the caller splits into cases.
    Sign(ExprId),
    /// A negative number raised to a power of `k` (`(−1)^k`): the body is
    /// defined at integers only, and the caller follows even and odd `k` apart.
    Parity,
    /// The body is undefined for every large k (`ln` of a negative
    /// quantity): this part of the approach is outside its domain.
    Undefined(String),
    /// Not found; the reason, for the user.
    Unknown(String),
}

/// How the limit variable approaches its point, as a function of `k → +∞`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approach {
    /// `x = k`.
    PosInf,
    /// `x = −k`.
    NegInf,
    /// `x = a + 1/k`.
    Right(ExprId),
    /// `x = a − 1/k`.
    Left(ExprId),
}

/// What a case of the caller knows beyond the domains: signs of expressions
/// free of the limit variable, and the parity of `k` (along integers only).
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub signs: Vec<(ExprId, Sign)>,
    /// `Some(true)`: `k` runs through the odd integers; `Some(false)`: the even ones.
    pub odd: Option<bool>,
}

/// Truncation orders tried in turn: an expansion to `t^N` is often enough at
/// 3; cancellations deeper than that need more terms.
const ORDERS: [i64; 3] = [3, 6, 12];

/// Most Taylor terms of one series (a slow remainder would ask for more).
const MAX_SERIES_TERMS: i64 = 24;

/// Largest integer power expanded by repeated multiplication.
const MAX_INTEGER_POWER: i64 = 64;

/// The limit of `body` as `var` approaches its point.
pub fn find_limit(
    store: &mut Store,
    domains: &Domains,
    var: Symbol,
    approach: Approach,
    body: ExprId,
    facts: &Facts,
    deadline: Instant,
) -> Result<LimitValue, Stuck> {
    for n in ORDERS {
        let mut engine = Engine {
            store: &mut *store,
            domains,
            var,
            approach,
            facts,
            n: BigRational::from_integer(BigInt::from(n)),
            deadline,
            memo: HashMap::new(),
            signs: HashMap::new(),
        };
        let result = engine.expand(body).and_then(|a| engine.value_of(&a));
        match result {
            Ok(v) => return Ok(v),
            Err(Halt::Order) => continue,
            Err(Halt::Stuck(s)) => return Err(s),
        }
    }
    Err(Stuck::Unknown(format!(
        "the expansion needs more than {} terms",
        ORDERS[ORDERS.len() - 1]
    )))
}

/// Why an expansion stopped: stuck for good, or short of terms (retry deeper).
#[derive(Debug)]
enum Halt {
    Stuck(Stuck),
    Order,
}

impl From<Stuck> for Halt {
    fn from(s: Stuck) -> Halt {
        Halt::Stuck(s)
    }
}

fn unknown(reason: impl Into<String>) -> Halt {
    Halt::Stuck(Stuck::Unknown(reason.into()))
}

fn undefined(reason: impl Into<String>) -> Halt {
    Halt::Stuck(Stuck::Undefined(reason.into()))
}

type Step<T> = Result<T, Halt>;

/// The monomial `t^e · L^j`, ordered from largest (as `k → ∞`) to smallest:
/// smaller `e` first, then larger `j`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    e: BigRational,
    neg_j: i64,
}

impl Key {
    fn new(e: BigRational, j: i64) -> Key {
        Key { e, neg_j: -j }
    }

    fn j(&self) -> i64 {
        -self.neg_j
    }

    fn constant() -> Key {
        Key::new(BigRational::zero(), 0)
    }

    /// Grows without bound: `t^e·L^j` with `e < 0`, or `e = 0` and `j > 0`.
    fn grows(&self) -> bool {
        self.e.is_negative() || (self.e.is_zero() && self.j() > 0)
    }
}

/// `Σ c · t^e · L^j + O~(t^order)`; no error term when `order` is `None`.
/// Every key is below `order`.
#[derive(Clone, Debug)]
struct Series {
    terms: BTreeMap<Key, ExprId>,
    order: Option<BigRational>,
}

impl Series {
    fn zero() -> Series {
        Series {
            terms: BTreeMap::new(),
            order: None,
        }
    }

    fn is_exact_zero(&self) -> bool {
        self.terms.is_empty() && self.order.is_none()
    }

    /// A lower bound of the valuation: the series is `O~(t^lb)`; `None` when
    /// it is exactly zero.
    fn lb(&self) -> Option<BigRational> {
        let first = self.terms.keys().next().map(|k| k.e.clone());
        match (first, &self.order) {
            (Some(e), Some(o)) => Some(e.min(o.clone())),
            (Some(e), None) => Some(e),
            (None, o) => o.clone(),
        }
    }
}

/// `exp(scale) · series`, the scale an exact sum of growing terms (`e < 0`).
#[derive(Clone, Debug)]
struct Asym {
    scale: BTreeMap<Key, ExprId>,
    series: Series,
}

fn min_order(a: &Option<BigRational>, b: &Option<BigRational>) -> Option<BigRational> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.clone().min(y.clone())),
        (Some(x), None) | (None, Some(x)) => Some(x.clone()),
        (None, None) => None,
    }
}

fn rational(n: i64) -> BigRational {
    BigRational::from_integer(BigInt::from(n))
}

struct Engine<'a> {
    store: &'a mut Store,
    domains: &'a Domains,
    var: Symbol,
    approach: Approach,
    facts: &'a Facts,
    /// Every series is truncated at `t^n` (relative to its scale).
    n: BigRational,
    deadline: Instant,
    memo: HashMap<ExprId, Asym>,
    signs: HashMap<ExprId, Sign>,
}

impl Engine<'_> {
    // ----- coefficients: expressions free of k, kept in canonical form -----

    fn canon(&mut self, e: ExprId) -> ExprId {
        simplify::canonical(self.store, self.domains, e).value
    }

    fn c_add(&mut self, a: ExprId, b: ExprId) -> ExprId {
        let s = self.store.sum(vec![a, b]);
        self.canon(s)
    }

    fn c_mul(&mut self, a: ExprId, b: ExprId) -> ExprId {
        let p = self.store.product(vec![a, b]);
        self.canon(p)
    }

    fn is_zero_number(&self, c: ExprId) -> bool {
        self.store.as_num(c).is_some_and(|r| r.is_zero())
    }

    /// The sign of a coefficient, shown or stuck: exact numbers, the case's
    /// facts, sign analysis, a rigorous enclosure of a closed-form constant,
    /// then the prover for zero.
    fn sign(&mut self, c: ExprId) -> Step<Sign> {
        let c = self.canon(c);
        if let Some(r) = self.store.as_num(c) {
            return Ok(Sign::of(r));
        }
        if let Some(&s) = self.signs.get(&c) {
            return Ok(s);
        }
        let s = self.find_sign(c)?;
        self.signs.insert(c, s);
        Ok(s)
    }

    fn find_sign(&mut self, c: ExprId) -> Step<Sign> {
        for &(f, s) in &self.facts.signs {
            let f = self.canon(f);
            if f == c {
                return Ok(s);
            }
            let minus = self.store.neg(f);
            if self.canon(minus) == c {
                return Ok(s.negate());
            }
        }
        let set = simplify::sign::sign_of(self.store, self.domains, c);
        match (set.negative, set.zero, set.positive) {
            (false, false, true) => return Ok(Sign::Positive),
            (true, false, false) => return Ok(Sign::Negative),
            (false, true, false) => return Ok(Sign::Zero),
            _ => {}
        }
        if self.store.free_symbols(c).is_empty() {
            // a closed-form constant: its rigorous enclosure decides when it excludes 0
            match eval::eval(self.store, c, &Env::new()) {
                Ok(Value::Exact(r)) => return Ok(Sign::of(&r)),
                Ok(Value::Approx(iv)) if iv.lo() > 0.0 => return Ok(Sign::Positive),
                Ok(Value::Approx(iv)) if iv.hi() < 0.0 => return Ok(Sign::Negative),
                _ => {}
            }
        }
        if set.zero && self.proved_zero(c) {
            return Ok(Sign::Zero);
        }
        Err(Halt::Stuck(Stuck::Sign(c)))
    }

    fn proved_zero(&mut self, c: ExprId) -> bool {
        let zero = self.store.zero();
        let deadline = self.deadline.min(Instant::now() + Duration::from_secs(2));
        let budget = simplify::Budget {
            deadline: Some(deadline),
            ..simplify::Budget::default()
        };
        simplify::prove_equal(self.store, self.domains, c, zero, &budget).is_proved()
    }

    // ----- series -----

    fn put(&mut self, map: &mut BTreeMap<Key, ExprId>, key: Key, c: ExprId) {
        let merged = match map.remove(&key) {
            Some(old) => self.c_add(old, c),
            None => c,
        };
        if !self.is_zero_number(merged) {
            map.insert(key, merged);
        }
    }

    /// Drops terms from `t^cutoff` on, the cutoff `n` past the leading
    /// exponent (or `t^n` for a growing series, so cancellations keep the
    /// constant term).
    fn truncate(&self, mut s: Series) -> Series {
        let cutoff = match s.terms.keys().next() {
            Some(first) => (&first.e + &self.n).max(self.n.clone()),
            None => self.n.clone(),
        };
        let order = match s.order.take() {
            Some(o) => o.min(cutoff),
            None if s.terms.keys().any(|k| k.e >= cutoff) => cutoff,
            None => return s,
        };
        s.terms.retain(|k, _| k.e < order);
        s.order = Some(order);
        s
    }

    fn constant_series(&mut self, c: ExprId) -> Series {
        let c = self.canon(c);
        let mut terms = BTreeMap::new();
        if !self.is_zero_number(c) {
            terms.insert(Key::constant(), c);
        }
        Series { terms, order: None }
    }

    fn s_add(&mut self, a: &Series, b: &Series) -> Series {
        let mut terms = a.terms.clone();
        for (k, &c) in &b.terms {
            self.put(&mut terms, k.clone(), c);
        }
        let order = min_order(&a.order, &b.order);
        self.truncate(Series { terms, order })
    }

    fn s_mul(&mut self, a: &Series, b: &Series) -> Series {
        let (Some(la), Some(lb)) = (a.lb(), b.lb()) else {
            return Series::zero();
        };
        let order = min_order(
            &a.order.as_ref().map(|o| o + &lb),
            &b.order.as_ref().map(|o| o + &la),
        );
        let mut terms = BTreeMap::new();
        for (ka, &ca) in &a.terms {
            for (kb, &cb) in &b.terms {
                let e = &ka.e + &kb.e;
                if order.as_ref().is_some_and(|o| e >= *o) {
                    continue;
                }
                let c = self.c_mul(ca, cb);
                self.put(&mut terms, Key::new(e, ka.j() + kb.j()), c);
            }
        }
        self.truncate(Series { terms, order })
    }

    fn s_scale(&mut self, a: &Series, c: ExprId) -> Series {
        if self.is_zero_number(c) {
            return Series::zero();
        }
        let mut terms = BTreeMap::new();
        for (k, &x) in &a.terms {
            let y = self.c_mul(x, c);
            self.put(&mut terms, k.clone(), y);
        }
        Series {
            terms,
            order: a.order.clone(),
        }
    }

    /// `a · t^e · L^j`.
    fn s_shift(&self, a: &Series, e: &BigRational, j: i64) -> Series {
        let terms = a
            .terms
            .iter()
            .map(|(k, &c)| (Key::new(&k.e + e, k.j() + j), c))
            .collect();
        let shifted = Series {
            terms,
            order: a.order.as_ref().map(|o| o + e),
        };
        self.truncate(shifted)
    }

    /// `Σ_n coefficient(n) · R^n` for `R → 0` (every exponent of `R` positive):
    /// as many terms as the truncation needs, the tail in the error order.
    fn power_series(
        &mut self,
        r: &Series,
        coefficient: &dyn Fn(i64) -> BigRational,
    ) -> Step<Series> {
        let first = self.store.num(coefficient(0));
        let mut acc = self.constant_series(first);
        let Some(valuation) = r.lb() else {
            return Ok(acc);
        };
        if !valuation.is_positive() {
            return Err(unknown(
                "a remainder that tends to 0 slower than any power of 1/k",
            ));
        }
        let mut power = r.clone();
        let mut n = 1i64;
        loop {
            let reach = &valuation * rational(n);
            if reach >= self.n {
                acc.order = min_order(&acc.order, &Some(reach));
                return Ok(self.truncate(acc));
            }
            if n > MAX_SERIES_TERMS {
                return Err(unknown("a remainder that tends to 0 too slowly"));
            }
            let c = coefficient(n);
            if !c.is_zero() {
                let c = self.store.num(c);
                let term = self.s_scale(&power, c);
                acc = self.s_add(&acc, &term);
            }
            power = self.s_mul(&power, r);
            n += 1;
        }
    }

    /// The first term whose coefficient is not zero, with its sign; `None`
    /// when the series is exactly zero; `Order` when every known term is zero.
    fn leading(&mut self, s: &Series) -> Step<Option<(Key, ExprId, Sign)>> {
        for (k, &c) in &s.terms {
            match self.sign(c)? {
                Sign::Zero => continue,
                sign => return Ok(Some((k.clone(), c, sign))),
            }
        }
        match s.order {
            None => Ok(None),
            Some(_) => Err(Halt::Order),
        }
    }

    /// `s / (c·t^v·L^j) − 1` for the leading term `(v, j, c)`: a remainder
    /// that tends to 0.
    fn remainder(&mut self, s: &Series, lead: &Key, c: ExprId) -> Step<Series> {
        let inverse = self.store.recip(c);
        let inverse = self.canon(inverse);
        let mut terms = BTreeMap::new();
        for (k, &x) in &s.terms {
            // larger terms were shown to be zero
            if k <= lead {
                continue;
            }
            if k.e == lead.e {
                return Err(unknown(
                    "terms that differ only in powers of ln k (not supported)",
                ));
            }
            let y = self.c_mul(x, inverse);
            terms.insert(Key::new(&k.e - &lead.e, k.j() - lead.j()), y);
        }
        Ok(Series {
            terms,
            order: s.order.as_ref().map(|o| o - &lead.e),
        })
    }

    // ----- expansions -----

    fn constant(&mut self, c: ExprId) -> Asym {
        Asym {
            scale: BTreeMap::new(),
            series: self.constant_series(c),
        }
    }

    fn number(&mut self, r: BigRational) -> Asym {
        let c = self.store.num(r);
        self.constant(c)
    }

    /// The sign of the scale's leading term; `None` when it is all zero.
    fn scale_sign(&mut self, scale: &BTreeMap<Key, ExprId>) -> Step<Option<Sign>> {
        for &c in scale.values() {
            match self.sign(c)? {
                Sign::Zero => continue,
                s => return Ok(Some(s)),
            }
        }
        Ok(None)
    }

    fn add(&mut self, a: &Asym, b: &Asym) -> Step<Asym> {
        if a.series.is_exact_zero() {
            return Ok(b.clone());
        }
        if b.series.is_exact_zero() {
            return Ok(a.clone());
        }
        let mut difference = a.scale.clone();
        for (k, &c) in &b.scale {
            let minus = self.store.neg(c);
            let minus = self.canon(minus);
            self.put(&mut difference, k.clone(), minus);
        }
        let dominant = match self.scale_sign(&difference)? {
            None => {
                let series = self.s_add(&a.series, &b.series);
                return Ok(Asym {
                    scale: a.scale.clone(),
                    series,
                });
            }
            Some(Sign::Positive) => a,
            Some(_) => b,
        };
        // the other side is exp(−growth) times a power: beyond every order of t
        let mut series = dominant.series.clone();
        series.order = min_order(&series.order, &Some(self.n.clone()));
        Ok(Asym {
            scale: dominant.scale.clone(),
            series: self.truncate(series),
        })
    }

    fn mul(&mut self, a: &Asym, b: &Asym) -> Step<Asym> {
        let mut scale = a.scale.clone();
        for (k, &c) in &b.scale {
            self.put(&mut scale, k.clone(), c);
        }
        let series = self.s_mul(&a.series, &b.series);
        if series.is_exact_zero() {
            return Ok(Asym {
                scale: BTreeMap::new(),
                series,
            });
        }
        Ok(Asym { scale, series })
    }

    fn scale_by(&mut self, a: &Asym, r: &BigRational) -> Asym {
        let c = self.store.num(r.clone());
        let mut scale = BTreeMap::new();
        for (k, &x) in &a.scale {
            let y = self.c_mul(x, c);
            self.put(&mut scale, k.clone(), y);
        }
        Asym {
            scale,
            series: a.series.clone(),
        }
    }

    fn negate(&mut self, a: &Asym) -> Asym {
        let minus = self.store.int(-1);
        Asym {
            scale: a.scale.clone(),
            series: self.s_scale(&a.series, minus),
        }
    }

    /// `a^p` for an exact rational `p`.
    fn power(&mut self, a: &Asym, p: &BigRational) -> Step<Asym> {
        if p.is_integer() && !p.is_negative() && *p <= rational(MAX_INTEGER_POWER) && !p.is_zero() {
            let mut n = p.to_integer().to_i64().unwrap_or(1);
            let mut base = a.clone();
            let mut acc: Option<Asym> = None;
            while n > 0 {
                if n % 2 == 1 {
                    acc = Some(match acc {
                        None => base.clone(),
                        Some(x) => self.mul(&x, &base)?,
                    });
                }
                n /= 2;
                if n > 0 {
                    base = self.mul(&base, &base)?;
                }
            }
            return Ok(acc.unwrap_or_else(|| a.clone()));
        }
        let Some((lead, c, sign)) = self.leading(&a.series)? else {
            if p.is_positive() {
                return Ok(self.number(BigRational::zero()));
            }
            return Err(undefined(
                "a power of an expression that is 0 for every large k",
            ));
        };
        if p.is_zero() {
            return Ok(self.number(BigRational::one()));
        }
        if !p.is_integer() && sign == Sign::Negative {
            return Err(undefined(
                "a negative quantity raised to a non-integer power (undefined for large k)",
            ));
        }
        let jp = rational(lead.j()) * p;
        if !jp.is_integer() {
            return Err(unknown("a fractional power of ln k (not supported)"));
        }
        let r = match self.remainder(&a.series, &lead, c) {
            Ok(r) => r,
            Err(_) if (&lead.e * p).is_positive() => {
                // mixed powers of ln k, but the power tends to 0 like t^(e·p)
                // times a power of ln k: only that bound is kept
                let scaled = self.scale_by(a, p);
                return Ok(Asym {
                    scale: scaled.scale,
                    series: Series {
                        terms: BTreeMap::new(),
                        order: Some(&lead.e * p),
                    },
                });
            }
            Err(e) => return Err(e),
        };
        let binomial = {
            let p = p.clone();
            move |n: i64| {
                let mut acc = BigRational::one();
                for i in 0..n {
                    acc = acc * (&p - rational(i)) / rational(i + 1);
                }
                acc
            }
        };
        let series = self.power_series(&r, &binomial)?;
        let exponent = self.store.num(p.clone());
        let cp = self.store.pow(c, exponent);
        let cp = self.canon(cp);
        let series = self.s_scale(&series, cp);
        let j = jp.to_integer().to_i64().unwrap_or(0);
        let series = self.s_shift(&series, &(&lead.e * p), j);
        let scaled = self.scale_by(a, p);
        Ok(Asym {
            scale: scaled.scale,
            series,
        })
    }

    fn exp(&mut self, a: &Asym) -> Step<Asym> {
        match self.scale_sign(&a.scale)? {
            None => {}
            Some(Sign::Negative) => {
                // the argument tends to 0 faster than any power of t
                let one = self.store.one();
                let mut series = self.constant_series(one);
                series.order = Some(self.n.clone());
                return Ok(Asym {
                    scale: BTreeMap::new(),
                    series,
                });
            }
            Some(_) => return Err(unknown("an exponential of an exponential growth")),
        }
        let s = &a.series;
        if s.order.as_ref().is_some_and(|o| !o.is_positive()) {
            return Err(Halt::Order);
        }
        let mut scale = BTreeMap::new();
        let mut c0 = self.store.zero();
        let mut shift = BigRational::zero();
        let mut rest = BTreeMap::new();
        for (k, &c) in &s.terms {
            if k.e.is_negative() {
                scale.insert(k.clone(), c);
            } else if k.e.is_positive() {
                rest.insert(k.clone(), c);
            } else if k.j() == 0 {
                c0 = c;
            } else if k.j() == 1 {
                // exp(c·ln k) = k^c, a power when c is a number
                match self.store.as_num(c) {
                    Some(r) => shift = -r.clone(),
                    None => return Err(unknown("a power k^c with a symbolic exponent")),
                }
            } else {
                return Err(unknown("an exponential of a power of ln k"));
            }
        }
        let r = Series {
            terms: rest,
            order: s.order.clone(),
        };
        let factorial = |n: i64| {
            let mut f = BigRational::one();
            for i in 1..=n {
                f /= rational(i);
            }
            f
        };
        let series = self.power_series(&r, &factorial)?;
        let e0 = self.store.call1(Func::Exp, c0);
        let e0 = self.canon(e0);
        let series = self.s_scale(&series, e0);
        let series = self.s_shift(&series, &shift, 0);
        Ok(Asym { scale, series })
    }

    fn ln(&mut self, a: &Asym) -> Step<Asym> {
        let mut out = Series::zero();
        if self.scale_sign(&a.scale)?.is_some() {
            out.terms = a.scale.clone();
        }
        let Some((lead, c, sign)) = self.leading(&a.series)? else {
            return Err(undefined("the logarithm of 0"));
        };
        if sign == Sign::Negative {
            return Err(undefined(
                "the logarithm of a negative quantity (undefined for large k)",
            ));
        }
        if lead.j() != 0 {
            return Err(unknown("a logarithm of ln k (not supported)"));
        }
        let r = self.remainder(&a.series, &lead, c)?;
        let log_series = |n: i64| {
            if n == 0 {
                BigRational::zero()
            } else {
                let sign = if n % 2 == 1 { 1 } else { -1 };
                BigRational::new(BigInt::from(sign), BigInt::from(n))
            }
        };
        let series = self.power_series(&r, &log_series)?;
        out = self.s_add(&out, &series);
        let lc = self.store.call1(Func::Ln, c);
        let lc = self.constant_series(lc);
        out = self.s_add(&out, &lc);
        if !lead.e.is_zero() {
            // ln(t^v) = −v·ln k
            let mut log_term = Series::zero();
            let v = self.store.num(-lead.e.clone());
            log_term.terms.insert(Key::new(BigRational::zero(), 1), v);
            out = self.s_add(&out, &log_term);
        }
        Ok(Asym {
            scale: BTreeMap::new(),
            series: out,
        })
    }

    /// The sign the expansion has for every large k; `Zero` only when it is
    /// exactly zero.
    fn eventual_sign(&mut self, a: &Asym) -> Step<Sign> {
        Ok(self
            .leading(&a.series)?
            .map_or(Sign::Zero, |(_, _, sign)| sign))
    }

    fn expand(&mut self, e: ExprId) -> Step<Asym> {
        if let Some(a) = self.memo.get(&e) {
            return Ok(a.clone());
        }
        if Instant::now() > self.deadline {
            return Err(unknown("budget exceeded"));
        }
        let a = self.expand_uncached(e)?;
        self.memo.insert(e, a.clone());
        Ok(a)
    }

    fn expand_uncached(&mut self, e: ExprId) -> Step<Asym> {
        if !self.store.contains_symbol(e, self.var) {
            return Ok(self.constant(e));
        }
        match self.store.node(e).clone() {
            Node::Sym(_) => Ok(self.variable()),
            Node::Add(terms) => {
                let mut acc = Asym {
                    scale: BTreeMap::new(),
                    series: Series::zero(),
                };
                for t in terms.iter() {
                    let x = self.expand(*t)?;
                    acc = self.add(&acc, &x)?;
                }
                Ok(acc)
            }
            Node::Mul(factors) => {
                let mut acc = self.number(BigRational::one());
                for f in factors.iter() {
                    let x = self.expand(*f)?;
                    acc = self.mul(&acc, &x)?;
                }
                Ok(acc)
            }
            Node::Pow(base, exponent) => self.expand_power(base, exponent),
            Node::Call(f, args) if f.row().definition.is_some() => {
                // a built-in defined over others (cosh, gelu, max, …) is its definition
                match self.store.definition(f, &args) {
                    Some(definition) => self.expand(definition),
                    None => Err(unknown("a built-in without a definition")),
                }
            }
            Node::Call(f, args) if args.len() == 1 => self.expand_call(f, args[0]),
            Node::Piecewise {
                branches,
                otherwise,
            } => {
                for &(condition, value) in branches.iter() {
                    if self.eventually(condition)? {
                        return self.expand(value);
                    }
                }
                match otherwise {
                    Some(o) => self.expand(o),
                    None => Err(undefined("a piecewise expression undefined for large k")),
                }
            }
            Node::Limit { .. } => Err(unknown("nested limits are not supported")),
            _ => Err(unknown(format!(
                "{} is not supported in a limit",
                self.store.display(e)
            ))),
        }
    }

    fn variable(&mut self) -> Asym {
        let one = BigRational::one();
        let mut terms = BTreeMap::new();
        match self.approach {
            Approach::PosInf => {
                terms.insert(Key::new(-one, 0), self.store.int(1));
            }
            Approach::NegInf => {
                terms.insert(Key::new(-one, 0), self.store.int(-1));
            }
            Approach::Right(a) | Approach::Left(a) => {
                let a = self.canon(a);
                if !self.is_zero_number(a) {
                    terms.insert(Key::constant(), a);
                }
                let dir = if matches!(self.approach, Approach::Right(_)) {
                    1
                } else {
                    -1
                };
                terms.insert(Key::new(one, 0), self.store.int(dir));
            }
        }
        Asym {
            scale: BTreeMap::new(),
            series: Series { terms, order: None },
        }
    }

    fn expand_power(&mut self, base: ExprId, exponent: ExprId) -> Step<Asym> {
        let base_varies = self.store.contains_symbol(base, self.var);
        let exponent_varies = self.store.contains_symbol(exponent, self.var);
        if !exponent_varies {
            let b = self.expand(base)?;
            if let Some(p) = self.store.as_num(exponent).cloned() {
                return self.power(&b, &p);
            }
            // a symbolic constant exponent: exp(p·ln b)
            let l = self.ln(&b)?;
            let p = self.constant(exponent);
            let product = self.mul(&p, &l)?;
            return self.exp(&product);
        }
        let x = self.expand(exponent)?;
        if base_varies {
            let b = self.expand(base)?;
            let l = self.ln(&b)?;
            let product = self.mul(&x, &l)?;
            return self.exp(&product);
        }
        let sign = self.sign(base)?;
        match sign {
            Sign::Positive => {
                let lb = self.store.call1(Func::Ln, base);
                let l = self.constant(lb);
                let product = self.mul(&x, &l)?;
                self.exp(&product)
            }
            Sign::Zero => Err(unknown("0 raised to a varying power")),
            Sign::Negative => self.oscillating_power(base, &x),
        }
    }

    /// `b^(±k + r)` for a negative number `b` and an integer `r`: defined at
    /// integers only, `|b|^(±k + r)` times `(−1)^(k + r)`, which the case's parity fixes.
    fn oscillating_power(&mut self, base: ExprId, x: &Asym) -> Step<Asym> {
        let Some(b) = self.store.as_num(base).cloned() else {
            return Err(unknown("a negative base raised to a varying power"));
        };
        if !matches!(self.approach, Approach::PosInf | Approach::NegInf) {
            return Err(unknown("a negative base raised to a varying power"));
        }
        let linear = x.scale.is_empty()
            && x.series.order.is_none()
            && x.series.terms.iter().all(|(k, c)| {
                let value = self.store.as_num(*c);
                (k.e == -BigRational::one()
                    && k.j() == 0
                    && value.is_some_and(|v| v.abs().is_one()))
                    || (*k == Key::constant() && value.is_some_and(|v| v.is_integer()))
            })
            && x.series.terms.keys().any(|k| k.e == -BigRational::one());
        if !linear {
            return Err(unknown(
                "a negative base raised to a power other than ±k + an integer",
            ));
        }
        let Some(odd) = self.facts.odd else {
            return Err(Halt::Stuck(Stuck::Parity));
        };
        let r = x
            .series
            .terms
            .get(&Key::constant())
            .and_then(|&c| self.store.as_num(c))
            .map_or(BigInt::zero(), |v| v.to_integer());
        let flips = (r + BigInt::from(u8::from(odd))) % BigInt::from(2) != BigInt::zero();
        let magnitude = self.store.num(b.abs());
        let lb = self.store.call1(Func::Ln, magnitude);
        let l = self.constant(lb);
        let product = self.mul(x, &l)?;
        let value = self.exp(&product)?;
        Ok(if flips { self.negate(&value) } else { value })
    }

    fn expand_call(&mut self, f: Func, u: ExprId) -> Step<Asym> {
        let store = &mut *self.store;
        let rewritten = match f {
            Func::Exp => {
                let a = self.expand(u)?;
                return self.exp(&a);
            }
            Func::Ln => {
                let a = self.expand(u)?;
                return self.ln(&a);
            }
            Func::Sqrt => {
                let a = self.expand(u)?;
                return self.power(&a, &BigRational::new(1.into(), 2.into()));
            }
            Func::Log2 | Func::Log10 => {
                let base = store.int(if f == Func::Log2 { 2 } else { 10 });
                let ln_base = store.call1(Func::Ln, base);
                let ln_u = store.call1(Func::Ln, u);
                store.div(ln_u, ln_base)
            }
            Func::Sigmoid => {
                // 1/(1 + exp(−u))
                let one = store.one();
                let minus = store.neg(u);
                let e = store.call1(Func::Exp, minus);
                let s = store.sum(vec![one, e]);
                store.recip(s)
            }
            Func::Tanh => {
                // 1 − 2/(1 + exp(2u))
                let one = store.one();
                let two = store.int(2);
                let twice = store.product(vec![two, u]);
                let e = store.call1(Func::Exp, twice);
                let s = store.sum(vec![one, e]);
                let r = store.recip(s);
                let minus_two = store.int(-2);
                let t = store.product(vec![minus_two, r]);
                store.sum(vec![one, t])
            }
            Func::Softplus => {
                let one = store.one();
                let e = store.call1(Func::Exp, u);
                let s = store.sum(vec![one, e]);
                store.call1(Func::Ln, s)
            }
            Func::Abs | Func::Relu | Func::Heaviside | Func::Sign => {
                let a = self.expand(u)?;
                let sign = self.eventual_sign(&a)?;
                let half = BigRational::new(1.into(), 2.into());
                return Ok(match (f, sign) {
                    (Func::Abs, Sign::Negative) => self.negate(&a),
                    (Func::Abs | Func::Relu, _) if sign != Sign::Negative => a,
                    (Func::Relu, _) => self.number(BigRational::zero()),
                    (Func::Heaviside, Sign::Positive) => self.number(BigRational::one()),
                    (Func::Heaviside, Sign::Zero) => self.number(half),
                    (Func::Heaviside, Sign::Negative) => self.number(BigRational::zero()),
                    (_, Sign::Positive) => self.number(BigRational::one()),
                    (_, Sign::Zero) => self.number(BigRational::zero()),
                    (_, Sign::Negative) => self.number(-BigRational::one()),
                });
            }
            Func::Floor | Func::Ceil => return self.rounding(f, u),
            Func::Delta => return Err(unknown("δ is not supported in a limit")),
            // no expansion at infinity is known for these (and the functions with
            // a definition never reach here)
            other => {
                return Err(unknown(format!(
                    "{} is not supported in a limit",
                    other.name()
                )))
            }
        };
        self.expand(rewritten)
    }

    /// `floor`/`ceil` of an argument with a rational limit: constant for large k.
    fn rounding(&mut self, f: Func, u: ExprId) -> Step<Asym> {
        let a = self.expand(u)?;
        let LimitValue::Finite(c) = self.value_of(&a)? else {
            return Err(unknown("floor or ceil of an unbounded quantity"));
        };
        let Some(c) = self.store.as_num(c).cloned() else {
            return Err(unknown("floor or ceil of a symbolic limit"));
        };
        let value = if !c.is_integer() {
            if f == Func::Floor {
                c.floor()
            } else {
                c.ceil()
            }
        } else {
            let minus = self.number(-c.clone());
            let d = self.add(&a, &minus)?;
            match (f, self.eventual_sign(&d)?) {
                (_, Sign::Zero) => c,
                (Func::Floor, Sign::Positive) | (Func::Ceil, Sign::Negative) => c,
                (Func::Floor, Sign::Negative) => c - BigRational::one(),
                _ => c + BigRational::one(),
            }
        };
        Ok(self.number(value))
    }

    /// Whether a condition holds for every large k (it holds or fails eventually).
    fn eventually(&mut self, condition: ExprId) -> Step<bool> {
        match self.store.node(condition).clone() {
            Node::Cmp(op, a, b) => {
                let x = self.expand(a)?;
                let y = self.expand(b)?;
                let minus_y = self.negate(&y);
                let d = self.add(&x, &minus_y)?;
                let s = self.eventual_sign(&d)?;
                Ok(match op {
                    CmpOp::Lt => s == Sign::Negative,
                    CmpOp::Le => s != Sign::Positive,
                    CmpOp::Gt => s == Sign::Positive,
                    CmpOp::Ge => s != Sign::Negative,
                    CmpOp::Eq => s == Sign::Zero,
                    CmpOp::Ne => s != Sign::Zero,
                })
            }
            Node::And(items) => {
                for c in items.iter() {
                    if !self.eventually(*c)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            _ => Err(unknown("a condition nabla cannot follow to the limit")),
        }
    }

    /// The limit of an expansion: 0 or ±∞ from the scale, else ±∞ from the
    /// largest growing term, else the constant term.
    fn value_of(&mut self, a: &Asym) -> Step<LimitValue> {
        match self.scale_sign(&a.scale)? {
            Some(Sign::Negative) => return Ok(LimitValue::Finite(self.store.zero())),
            Some(_) => {
                return Ok(match self.eventual_sign(a)? {
                    Sign::Zero => LimitValue::Finite(self.store.zero()),
                    Sign::Positive => LimitValue::PosInf,
                    Sign::Negative => LimitValue::NegInf,
                })
            }
            None => {}
        }
        let growing: Vec<ExprId> = a
            .series
            .terms
            .iter()
            .filter(|(k, _)| k.grows())
            .map(|(_, &c)| c)
            .collect();
        for c in growing {
            match self.sign(c)? {
                Sign::Zero => continue,
                Sign::Positive => return Ok(LimitValue::PosInf),
                Sign::Negative => return Ok(LimitValue::NegInf),
            }
        }
        if a.series.order.as_ref().is_some_and(|o| !o.is_positive()) {
            return Err(Halt::Order);
        }
        let c = match a.series.terms.get(&Key::constant()) {
            Some(&c) => c,
            None => self.store.zero(),
        };
        Ok(LimitValue::Finite(self.canon(c)))
    }
}

/// `Sign` of a coefficient as the caller may split on it: the signs sign
/// analysis leaves possible (all three when it shows nothing).
pub fn possible_signs(store: &Store, domains: &Domains, e: ExprId) -> Vec<Sign> {
    let set = simplify::sign::sign_of(store, domains, e);
    let mut out = Vec::new();
    if set.positive {
        out.push(Sign::Positive);
    }
    if set.negative {
        out.push(Sign::Negative);
    }
    if set.zero {
        out.push(Sign::Zero);
    }
    out
}
