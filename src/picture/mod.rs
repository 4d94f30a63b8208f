//! What a report shows of a result besides words: the two sides of a claim or
//! step as nabla read them, and for a refuted step a picture, the plot of a
//! scalar step or the entry table of a vector or matrix claim. Data only,
//! computed from the program and the counterexample; `html` draws it.

mod entries;
mod sample;
#[cfg(test)]
mod tests;

pub use entries::{EntryTable, Grid, MAX_ENTRIES_SHOWN};
pub use sample::{NoPlot, Plot, Sample};

use crate::check::Exactness;
use crate::lower::{Obligation, Origin};
use crate::numbers::shorten_numbers;
use crate::syntax::ast::{self, Expr, ItemKind, RelOp};

/// The two sides of a claim or step as nabla read them (for a step, the
/// expression before it on the left).
#[derive(Clone, Debug, PartialEq)]
pub struct Sides {
    pub lhs: Option<Expr>,
    pub op: RelOp,
    pub rhs: Expr,
}

/// What a refuted step shows besides its counterexample.
#[derive(Clone, Debug, PartialEq)]
pub enum Picture {
    Plot(Plot),
    Entries(EntryTable),
    /// A step with no variable: both sides' values side by side, nothing to plot.
    Values(Values),
    /// Why a refuted step shows neither a plot nor an entry table.
    Unplotted(String),
}

/// Both sides of a step without variables, as the counterexample states them.
#[derive(Clone, Debug, PartialEq)]
pub struct Values {
    /// Each side's value (a long exact value shortened to a decimal).
    pub lhs: String,
    pub rhs: String,
    /// Whether each is an exact rational, an enclosure's midpoint, or no number.
    pub exactness: [Exactness; 2],
}

/// What a refuted obligation `ob` shows besides its counterexample `cx`: the
/// entry table of a vector or matrix claim, the plot of a scalar step, both
/// values of a step without variables, or why there is none of these.
pub fn picture(
    program: &crate::lower::Program,
    ob: &Obligation,
    cx: &crate::check::Counterexample,
) -> Picture {
    let (store, domains) = (&program.store, &program.domains);
    if let Some(table) = entries::entry_table(store, ob, cx) {
        return Picture::Entries(table);
    }
    if ob.label {
        return Picture::Unplotted("no plot: a dimension label states a shape, not a value".into());
    }
    if ob.sizes.is_some() {
        return Picture::Unplotted(
            "no entry table: the sides' entries cannot be listed at the counterexample".into(),
        );
    }
    match sample::sample(store, domains, (ob.lhs, ob.rhs), &ob.conditions, cx) {
        Ok(plot) => Picture::Plot(plot),
        Err(NoPlot::Constant) => Picture::Values(Values {
            lhs: shorten_numbers(&cx.lhs),
            rhs: shorten_numbers(&cx.rhs),
            exactness: cx.exactness,
        }),
        Err(why) => Picture::Unplotted(why.reason()),
    }
}

/// The sides of obligation `ob` in `file`: the claim it came from, or the step
/// and the expression before it in its chain.
pub fn sides_of(file: &ast::File, ob: &Obligation) -> Option<Sides> {
    let within = |e: &Expr| e.span.start >= ob.span.start && e.span.end <= ob.span.end;
    for item in &file.items {
        match (&item.kind, &ob.origin) {
            (ItemKind::Claim(c), Origin::Claim) if within(&c.lhs) && within(&c.rhs) => {
                return Some(Sides {
                    lhs: Some(c.lhs.clone()),
                    op: c.op,
                    rhs: c.rhs.clone(),
                });
            }
            (ItemKind::Derive(d), Origin::Step { step, .. }) => {
                let Some(s) = d.steps.get(step.wrapping_sub(1)) else {
                    continue;
                };
                if s.span != ob.span && !within(&s.rhs) {
                    continue;
                }
                let before = match step {
                    1 => &d.start,
                    k => &d.steps[k - 2].rhs,
                };
                return Some(Sides {
                    lhs: Some(before.clone()),
                    op: s.op,
                    rhs: s.rhs.clone(),
                });
            }
            _ => {}
        }
    }
    None
}
