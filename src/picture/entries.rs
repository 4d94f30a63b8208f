//! The entry table behind a refuted vector or matrix claim: both sides at the
//! counterexample, entry by entry, the entries that certainly differ marked.

use crate::check::Counterexample;
use crate::domain::{Domains, VarDomain};
use crate::eval::{self, Agreement, Binding, Value};
use crate::expr::{ExprId, Store, Symbol};
use crate::numbers::shorten_numbers;

/// Most rows and columns of a refuted vector or matrix claim shown.
const MAX_ENTRIES_SHOWN: usize = 8;

/// Both sides of a refuted vector or matrix claim at the counterexample, entry
/// by entry (at most [`MAX_ENTRIES_SHOWN`] rows and columns).
#[derive(Clone, Debug, PartialEq)]
pub struct EntryTable {
    /// `(left, right, certainly different)` per entry, row by row.
    pub rows: Vec<Vec<(String, String, bool)>>,
    /// Whether rows or columns were left out.
    pub cut: bool,
}

/// The entries of both sides of a claim between vectors or matrices of sizes
/// `sizes` at the counterexample, its free indices (the first `sizes.len()`
/// index symbols of the point) run over every entry.
pub fn entry_table(
    store: &Store,
    domains: &Domains,
    (lhs, rhs): (ExprId, ExprId),
    sizes: &[ExprId],
    cx: &Counterexample,
) -> Option<EntryTable> {
    let base = cx.env();
    let dims: Vec<usize> = sizes
        .iter()
        .map(|&s| {
            let v = eval::eval(store, s, &base).ok()?;
            let n = v.as_exact()?;
            n.is_integer()
                .then(|| n.numer().to_string().parse::<usize>().ok())
                .flatten()
        })
        .collect::<Option<_>>()?;
    let mut free = store.free_symbols(lhs);
    free.extend(store.free_symbols(rhs));
    let indices: Vec<Symbol> = cx
        .point
        .iter()
        .filter(|(s, b)| {
            matches!(b, Binding::Scalar(_))
                && free.contains(s)
                && matches!(domains.get(*s), Some(VarDomain::Index { .. }))
        })
        .map(|(s, _)| *s)
        .take(2)
        .collect();
    // which index runs along the rows and which along the columns; a vector
    // (n × 1 or 1 × n) is shown as one row
    let dim = |k: usize| dims.get(k).copied().unwrap_or(1);
    let (rows, cols, row_index, col_index) = match indices.as_slice() {
        [i, j] => (dim(0), dim(1), Some(*i), Some(*j)),
        [i] if dim(1) == 1 => (1, dim(0), None, Some(*i)),
        [j] if dim(0) == 1 => (1, dim(1), None, Some(*j)),
        _ => return None,
    };
    let cut = rows > MAX_ENTRIES_SHOWN || cols > MAX_ENTRIES_SHOWN;
    let show = |v: &Value| shorten_numbers(&v.to_string());
    let mut table = Vec::new();
    for r in 0..rows.min(MAX_ENTRIES_SHOWN) {
        let mut row = Vec::new();
        for c in 0..cols.min(MAX_ENTRIES_SHOWN) {
            let mut env = base.clone();
            if let Some(i) = row_index {
                env.bind_integer(i, r as i64 + 1);
            }
            if let Some(j) = col_index {
                env.bind_integer(j, c as i64 + 1);
            }
            let l = eval::eval(store, lhs, &env);
            let rv = eval::eval(store, rhs, &env);
            let entry = match (&l, &rv) {
                (Ok(a), Ok(b)) => (
                    show(a),
                    show(b),
                    Value::compare(a, b) == Agreement::Different,
                ),
                _ => (
                    l.map(|v| show(&v)).unwrap_or_else(|_| "undefined".into()),
                    rv.map(|v| show(&v)).unwrap_or_else(|_| "undefined".into()),
                    false,
                ),
            };
            row.push(entry);
        }
        table.push(row);
    }
    Some(EntryTable { rows: table, cut })
}
