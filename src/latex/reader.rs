//! The document front end: a document's text becomes the statements a `.nabla`
//! file produces (one `ast::File` per chain, spans into the document) and an
//! account of the math it did not read, and why. It never lowers or checks.

use super::chain::{Skip, SkipReason};
use super::chains::{read_chains, undefined_derivative};
use super::context::Assumption;
use super::conventions::{with_log_base, LogBase};
use super::declare::{chain_file, with_prelude, SideFile};
use super::find::{document_math, DocKind};
use super::tensors::{
    abstract_losses, jacobians, matrix_gradients, numerator_layout, shape_assumption,
    tensor_flavoured, unread_definitions, unread_left_sides, unread_names, NUMERATOR_LAYOUT,
};
use crate::diagnostic::Diagnostic;
use crate::span::{SourceFile, Span};
use crate::syntax::ast;

/// Everything read from one document, ready for lowering and checking.
#[derive(Clone, Debug, Default)]
pub struct Document {
    /// One file per chain, in document order.
    pub units: Vec<Unit>,
    /// Located warnings (formulas not read, derivatives of undefined names).
    pub warnings: Vec<Diagnostic>,
    /// Formulas holding equalities that no unit checks, with why.
    pub skipped: Vec<Skip>,
    /// `=` and `≈` relations at the top level of the document's math.
    pub equalities: usize,
    /// Statements with no relation at all (named in prose, not judged).
    pub without_equality: usize,
    /// Statements with another relation and no `=` (conditions, sets, sizes).
    pub other_relations: usize,
}

/// One chain of equalities as a file of its own: the side file's declarations, the
/// declarations inferred from the chain, the text's definitions it uses, and one
/// `derive` item whose steps are the chain's.
#[derive(Clone, Debug)]
pub struct Unit {
    pub name: String,
    pub file: ast::File,
    /// The chain's steps (every one becomes an obligation unless lowering refuses it).
    pub steps: usize,
    /// From the chain's first formula to its last.
    pub span: Span,
    /// What the text around the chain said and the reader used (conditions, values).
    pub context: Vec<String>,
    /// What the reader assumed where the text said nothing: a refutation that rests
    /// on one is not a refutation of what the text says.
    pub assumptions: Vec<Assumption>,
    /// Other readings the text allows (`\log` to base 10 when it does not say which
    /// base): a refutation stands only when every one of them refutes the step too.
    pub alternatives: Vec<Alternative>,
    /// What a refutation between sides of different shapes rests on ("the shapes
    /// are as the reader inferred them"); `None` when the text states the shape of
    /// every vector and matrix the chain uses and no layout is in question.
    pub shape_assumption: Option<String>,
}

/// The same chain read another way the text allows.
#[derive(Clone, Debug)]
pub struct Alternative {
    pub file: ast::File,
    /// What the main reading assumed: "`\log` is the natural log".
    pub assumption: String,
    /// This reading: "`\log` read as the log to base 10".
    pub reading: String,
}

/// The file of one chain with only its step `k` (1-based): the chain's
/// declarations, its part `k - 1` as the start and part `k` as the one step. Used
/// when lowering refuses the chain as a whole (a matrix among scalars), so the
/// other steps are still checked.
pub fn single_step(file: &ast::File, k: usize) -> Option<ast::File> {
    let mut file = file.clone();
    let item = file.items.last_mut()?;
    let ast::ItemKind::Derive(derive) = &mut item.kind else {
        return None;
    };
    if k == 0 || k > derive.steps.len() {
        return None;
    }
    if k > 1 {
        derive.start = derive.steps[k - 2].rhs.clone();
    }
    derive.steps = vec![derive.steps[k - 1].clone()];
    Some(file)
}

/// Reads a Markdown or LaTeX document; `side` holds the `--defs` items (their
/// declarations tell the reader how to read names).
pub fn read_document(source: &SourceFile, kind: DocKind, side: &[ast::Item]) -> Document {
    let side_items = with_prelude(side);
    let user = SideFile::new(side);
    let mut side = SideFile::new(&side_items);
    side.prelude = side
        .others
        .iter()
        .filter(|n| !user.declares(n))
        .cloned()
        .collect();
    let blocks = document_math(source, kind);
    let mut reading = read_chains(source, &blocks, &side, &side_items);
    let unread = unread_left_sides(&reading.skipped, &source.text);
    abstract_losses(&mut reading.chains, &side, &unread);
    let unread_at: Vec<(String, usize)> = unread_definitions(&reading.skipped, &source.text, true)
        .into_iter()
        .chain(reading.unread_definitions.iter().cloned())
        .map(|(name, span)| (name, source.line_col(span.start as usize).line))
        .collect();
    unread_names(&mut reading.chains, &unread_at, &side);
    let mut document = Document {
        units: Vec::new(),
        warnings: reading.warnings,
        skipped: reading.skipped,
        equalities: reading.equalities,
        without_equality: reading.without_equality,
        other_relations: reading.other_relations,
    };
    for chain in &reading.chains {
        let span = chain.parts[0]
            .span
            .join(chain.parts[chain.parts.len() - 1].span);
        if let Some((at, name)) = undefined_derivative(chain, &side) {
            document.warnings.push(
                Diagnostic::warning(
                    at,
                    format!("`{name}` has no definition here, so its derivative is not checked"),
                )
                .with_note("define it in the text (`L = ...`) or in the --defs file"),
            );
            document.skipped.push(Skip {
                span,
                reason: SkipReason::UndefinedDerivative(name),
                equalities: chain.ops.len(),
            });
            continue;
        }
        let about_tensors = tensor_flavoured(chain, &[], &side, false);
        let mut alternatives = Vec::new();
        if chain.log_unsettled {
            for base in LogBase::OTHERS {
                let mut other = chain.clone();
                for p in other.parts.iter_mut() {
                    *p = with_log_base(p, base);
                }
                for d in other.definitions.iter_mut() {
                    d.body = with_log_base(&d.body, base);
                }
                alternatives.push(Alternative {
                    file: chain_file(&other, &side_items, &side, about_tensors),
                    assumption: "`\\log` is the natural log (the text does not say which base)"
                        .into(),
                    reading: format!("`\\log` read as {}", base.describe()),
                });
            }
        }
        let matrices = matrix_gradients(chain, &side);
        if !matrices.is_empty() {
            // a gradient by a matrix has its shape, or its transpose's in the
            // numerator layout; with each base of `\log` too
            let shown: Vec<String> = matrices.iter().map(|w| format!("`{w}`")).collect();
            let shown = shown.join(", ");
            let mut layouts = vec![Alternative {
                file: chain_file(
                    &numerator_layout(chain, &matrices),
                    &side_items,
                    &side,
                    about_tensors,
                ),
                assumption: format!(
                    "a gradient by {shown} has the matrix's shape (the text does not state the layout)"
                ),
                reading: format!("gradients by {shown} read in the {NUMERATOR_LAYOUT}"),
            }];
            if chain.log_unsettled {
                for base in LogBase::OTHERS {
                    let mut other = numerator_layout(chain, &matrices);
                    for p in other.parts.iter_mut() {
                        *p = with_log_base(p, base);
                    }
                    for d in other.definitions.iter_mut() {
                        d.body = with_log_base(&d.body, base);
                    }
                    layouts.push(Alternative {
                        file: chain_file(&other, &side_items, &side, about_tensors),
                        assumption: layouts[0].assumption.clone(),
                        reading: format!(
                            "`\\log` read as {} and gradients by {shown} in the {NUMERATOR_LAYOUT}",
                            base.describe()
                        ),
                    });
                }
            }
            alternatives.extend(layouts);
        }
        let vectors = jacobians(chain, &side);
        if !vectors.is_empty() {
            // a Jacobian `\frac{\partial z}{\partial x}` as read is `m × n`; the
            // denominator layout transposes it (a convention no step settles: texts mix them)
            let shown: Vec<String> = vectors.iter().map(|w| format!("`{w}`")).collect();
            let shown = shown.join(", ");
            alternatives.push(Alternative {
                file: chain_file(
                    &numerator_layout(chain, &vectors),
                    &side_items,
                    &side,
                    about_tensors,
                ),
                assumption: format!(
                    "a Jacobian by {shown} has a row per entry of what is differentiated (the text does not state the layout)"
                ),
                reading: format!("Jacobians by {shown} read in the denominator layout"),
            });
        }
        let file = chain_file(chain, &side_items, &side, about_tensors);
        document.units.push(Unit {
            name: chain.name.clone(),
            shape_assumption: shape_assumption(chain, &file, &side),
            file,
            alternatives,
            steps: chain.ops.len(),
            span,
            context: chain.context.clone(),
            assumptions: chain.assumptions.clone(),
        });
    }
    document
}
