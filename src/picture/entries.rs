//! The entry table behind a refuted vector or matrix claim: both sides at the
//! counterexample, entry by entry, each side in its own shape, the entries
//! that certainly differ marked when the shapes agree.

use crate::check::Counterexample;
use crate::eval::{self, Agreement, Env, Value};
use crate::expr::{ExprId, Node, Store};
use crate::lower::{EntryIndices, Obligation};
use crate::numbers::shorten_numbers;

/// Most rows and columns of a refuted vector or matrix claim shown.
pub const MAX_ENTRIES_SHOWN: usize = 8;

/// Both sides of a refuted vector or matrix claim at the counterexample.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryTable {
    pub left: Grid,
    pub right: Grid,
    /// Whether both sides have the same rows and columns; only then are
    /// entries compared (and marked).
    pub same_shape: bool,
}

/// One side, entry by entry (at most [`MAX_ENTRIES_SHOWN`] rows and columns).
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// `2×3`, `3 entries`, or `a number`.
    pub shape: String,
    /// `(value, certainly differs from the other side's entry)`, row by row.
    pub cells: Vec<Vec<(String, bool)>>,
    /// Whether rows or columns were left out.
    pub cut: bool,
}

/// The entry table of obligation `ob` at the counterexample `cx`: a claim
/// between vectors or matrices (each side read at its free indices), or
/// between vectors written out entry by entry (`[6, 32, 32]`, `correlate(…)`).
/// `None` for a scalar claim and for a dimension label (it has no entries).
pub fn entry_table(store: &Store, ob: &Obligation, cx: &Counterexample) -> Option<EntryTable> {
    if ob.label {
        return None;
    }
    let base = cx.env();
    let (left, right) = match &ob.sizes {
        Some((left, right)) => {
            let [li, ri] = ob.entry_indices;
            (
                indexed(store, ob.lhs, left, li, &base)?,
                indexed(store, ob.rhs, right, ri, &base)?,
            )
        }
        None => {
            let written = |e: ExprId| matches!(store.node(e), Node::Vector(_));
            if !written(ob.lhs) && !written(ob.rhs) {
                return None;
            }
            (literal(store, ob.lhs, &base), literal(store, ob.rhs, &base))
        }
    };
    Some(compared(left, right))
}

/// One side's values before they are compared: the shape and every entry shown.
struct Side {
    shape: String,
    size: (usize, usize),
    cells: Vec<Vec<Result<Value, ()>>>,
    cut: bool,
}

/// A side read at free indices: entry `(r, c)` is `e` with the row index
/// bound to `r` and the column index to `c`.
fn indexed(
    store: &Store,
    e: ExprId,
    sizes: &[ExprId],
    indices: EntryIndices,
    base: &Env,
) -> Option<Side> {
    let count = |n: ExprId| -> Option<usize> {
        let v = eval::eval(store, n, base).ok()?;
        let n = v.as_exact()?;
        n.is_integer()
            .then(|| n.numer().to_string().parse::<usize>().ok())
            .flatten()
    };
    let (rows, cols, shape) = match sizes {
        [] => (1, 1, "a number".to_string()),
        [r, c] => {
            let (r, c) = (count(*r)?, count(*c)?);
            (r, c, format!("{r}×{c}"))
        }
        _ => return None,
    };
    // an index the side is not read at cannot run: only its first row or
    // column is what the claim compares
    let shown = |n: usize, index: Option<_>| match index {
        Some(_) => n.min(MAX_ENTRIES_SHOWN),
        None => n.min(1),
    };
    let (shown_rows, shown_cols) = (shown(rows, indices.row), shown(cols, indices.col));
    let mut cells = Vec::new();
    for r in 0..shown_rows {
        let mut row = Vec::new();
        for c in 0..shown_cols {
            let mut env = base.clone();
            if let Some(i) = indices.row {
                env.bind_integer(i, r as i64 + 1);
            }
            if let Some(j) = indices.col {
                env.bind_integer(j, c as i64 + 1);
            }
            row.push(eval::eval(store, e, &env).map_err(|_| ()));
        }
        cells.push(row);
    }
    Some(Side {
        shape,
        size: (rows, cols),
        cells,
        cut: shown_rows < rows || shown_cols < cols,
    })
}

/// A side written out entry by entry (a vector literal, `correlate(…)`,
/// `shape(…)`), shown as one row; any other side is a number.
fn literal(store: &Store, e: ExprId, base: &Env) -> Side {
    let value = |x: ExprId| eval::eval(store, x, base).map_err(|_| ());
    match store.node(e) {
        Node::Vector(items) => Side {
            shape: format!(
                "{} entr{}",
                items.len(),
                if items.len() == 1 { "y" } else { "ies" }
            ),
            size: (1, items.len()),
            cells: vec![items
                .iter()
                .take(MAX_ENTRIES_SHOWN)
                .map(|&x| value(x))
                .collect()],
            cut: items.len() > MAX_ENTRIES_SHOWN,
        },
        _ => Side {
            shape: "a number".to_string(),
            size: (1, 1),
            cells: vec![vec![value(e)]],
            cut: false,
        },
    }
}

/// Both sides as grids, each entry marked where the sides certainly differ
/// (only when their shapes agree).
fn compared(left: Side, right: Side) -> EntryTable {
    let same_shape = left.size == right.size;
    let differ = |r: usize, c: usize| -> bool {
        if !same_shape {
            return false;
        }
        let at = |s: &Side| s.cells.get(r).and_then(|row| row.get(c)).cloned();
        match (at(&left), at(&right)) {
            (Some(Ok(a)), Some(Ok(b))) => Value::compare(&a, &b) == Agreement::Different,
            _ => false,
        }
    };
    let show = |v: &Result<Value, ()>| match v {
        Ok(v) => shorten_numbers(&v.to_string()),
        Err(()) => "undefined".to_string(),
    };
    let grid = |s: &Side| Grid {
        shape: s.shape.clone(),
        cells: s
            .cells
            .iter()
            .enumerate()
            .map(|(r, row)| {
                row.iter()
                    .enumerate()
                    .map(|(c, v)| (show(v), differ(r, c)))
                    .collect()
            })
            .collect(),
        cut: s.cut,
    };
    EntryTable {
        left: grid(&left),
        right: grid(&right),
        same_shape,
    }
}
