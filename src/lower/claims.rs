//! Lowering claims and derive chains to obligations (conditions, tolerances, labels).

use crate::diagnostic::Diagnostic;
use crate::expr::ExprId;
use crate::span::Span;
use crate::syntax::ast::{self, BinOp, Expected, ExprKind, RelOp};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed};

use super::tensor::Frame;
use super::{err, tensor, DerivativeSite, Lowerer, Obligation, Origin};

impl Lowerer {
    pub(super) fn lower_item(&mut self, item: &ast::Item) {
        // the expansion limit is per claim or chain, so one huge claim does not sink the rest
        self.inlined = 0;
        match &item.kind {
            ast::ItemKind::Claim(claim) => self.lower_claim(claim, item.span),
            ast::ItemKind::Derive(derive) => self.lower_derive(derive),
            _ => {}
        }
    }

    pub(super) fn conditions(&mut self, conds: &[ast::Expr]) -> Result<Vec<ExprId>, Diagnostic> {
        conds
            .iter()
            .map(|c| self.expr(c, &mut Vec::new()))
            .collect()
    }

    pub(super) fn lower_claim(&mut self, claim: &ast::Claim, span: Span) {
        self.sites.clear();
        self.size_conditions.clear();
        if let Some(label) = self.label_sizes(&claim.lhs, &claim.rhs) {
            let text_span = claim.lhs.span.join(claim.rhs.span);
            let expect = claim.expect.map(|e| e.verdict);
            self.push_label(
                label,
                Origin::Claim,
                claim.name.clone(),
                span,
                text_span,
                expect,
            );
            return;
        }
        let laid_out = self.laid_out(&[&claim.lhs, &claim.rhs]);
        let (claim_lhs, claim_rhs) = (&laid_out[0], &laid_out[1]);
        let lowered = (|| {
            let frame = self.claim_frame(&[claim_lhs, claim_rhs])?;
            let lhs = self.side(claim_lhs, frame)?;
            let left_derivatives = self.sites.len();
            let rhs = self.side(claim_rhs, frame)?;
            let side_derivatives = self.sites.len();
            // after the sides, so a condition may name a free index they use
            let mut conditions = self.conditions(&claim.conditions)?;
            // only where every product and sum of the sides is defined
            conditions.append(&mut self.size_conditions);
            let sizes = self.side_sizes(claim_lhs, claim_rhs, frame)?;
            let tolerance = self.tolerance(claim)?;
            let split = (left_derivatives, side_derivatives);
            let entry_indices = [
                self.entry_indices(&claim.lhs, frame),
                self.entry_indices(&claim.rhs, frame),
            ];
            Ok((conditions, lhs, rhs, tolerance, sizes, split, entry_indices))
        })();
        match lowered {
            Ok((conditions, lhs, rhs, tolerance, sizes, split, entry_indices)) => {
                let derivatives = std::mem::take(&mut self.sites);
                self.obligations.push(Obligation {
                    origin: Origin::Claim,
                    name: claim.name.clone(),
                    span,
                    text_span: claim
                        .conditions
                        .iter()
                        .fold(claim.lhs.span.join(claim.rhs.span), |s, c| s.join(c.span)),
                    lhs,
                    rhs,
                    op: claim.op,
                    tolerance,
                    conditions,
                    expect: claim.expect.map(|e| e.verdict),
                    derivatives,
                    left_derivatives: split.0,
                    side_derivatives: split.1,
                    sizes,
                    entry_indices,
                    other_sizes: Vec::new(),
                    label: false,
                });
            }
            Err(d) => self.diagnostics.push(d),
        }
    }

    /// The sides as they are read: with `either_layout`, a side that is a
    /// derivative of a number by a vector (a column) is transposed when another
    /// side is a row, as `∂L/∂h = δᵀ W` writes it. Everything else as written.
    pub(super) fn laid_out(&mut self, sides: &[&ast::Expr]) -> Vec<ast::Expr> {
        if !self.config.either_layout {
            return sides.iter().map(|e| (*e).clone()).collect();
        }
        let mut out: Vec<ast::Expr> = sides.iter().map(|e| self.chain_rule_rows(e)).collect();
        let shapes: Vec<Option<tensor::Shape>> = out
            .iter()
            .map(|e| self.shape_of(e, &Vec::new()).ok())
            .collect();
        if !shapes
            .iter()
            .any(|s| matches!(s, Some(tensor::Shape::Row(_))))
        {
            return out;
        }
        for e in out.iter_mut() {
            if self.is_gradient_column(e) {
                let column = std::mem::replace(
                    e,
                    ast::Expr {
                        span: e.span,
                        kind: ExprKind::Vector(Vec::new()),
                    },
                );
                *e = ast::Expr {
                    span: column.span,
                    kind: ExprKind::Transpose(Box::new(column)),
                };
            }
        }
        out
    }

    /// Whether `e` is a derivative of a number by a vector (a column as nabla
    /// lays it out).
    pub(super) fn is_gradient_column(&mut self, e: &ast::Expr) -> bool {
        let (ExprKind::Derivative { body, .. } | ExprKind::Grad { body, .. }) = &e.kind else {
            return false;
        };
        matches!(self.shape_of(body, &Vec::new()), Ok(tensor::Shape::Scalar))
            && matches!(self.shape_of(e, &Vec::new()), Ok(tensor::Shape::Col(_)))
    }

    /// The chain rule as documents write it, `∂L/∂h · ∂h/∂a`: a gradient
    /// multiplied by a matrix on its right is a row.
    pub(super) fn chain_rule_rows(&mut self, e: &ast::Expr) -> ast::Expr {
        let ExprKind::Binary {
            op: BinOp::Mul,
            lhs,
            rhs,
        } = &e.kind
        else {
            return e.clone();
        };
        let lhs = self.chain_rule_rows(lhs);
        let matrix_right = matches!(
            self.shape_of(rhs, &Vec::new()),
            Ok(tensor::Shape::Matrix(..))
        );
        let lhs = if matrix_right && self.is_gradient_column(&lhs) {
            ast::Expr {
                span: lhs.span,
                kind: ExprKind::Transpose(Box::new(lhs)),
            }
        } else {
            lhs
        };
        ast::Expr {
            span: e.span,
            kind: ExprKind::Binary {
                op: BinOp::Mul,
                lhs: Box::new(lhs),
                rhs: rhs.clone(),
            },
        }
    }

    /// Free indices when the sides are vectors or matrices (the first tensor
    /// side decides the shape); `None` for scalar claims.
    pub(super) fn claim_frame(
        &mut self,
        sides: &[&ast::Expr],
    ) -> Result<Option<Frame>, Diagnostic> {
        for e in sides {
            let shape = self.shape_of(e, &Vec::new())?;
            if shape.is_tensor() {
                return Ok(Some(self.frame_for(shape, sides)));
            }
        }
        Ok(None)
    }

    pub(super) fn tolerance(
        &mut self,
        claim: &ast::Claim,
    ) -> Result<Option<BigRational>, Diagnostic> {
        if claim.op != RelOp::Approx {
            return match &claim.tolerance {
                // `=` is exact: a tolerance would be silently ignored
                Some(t) => Err(err(t.span, "`within` needs `≈`: an `=` claim is exact")),
                None => Ok(None),
            };
        }
        if let Some(t) = &claim.tolerance {
            let id = self.expr(t, &mut Vec::new())?;
            return match self.store.as_num(id) {
                Some(r) if !r.is_negative() => Ok(Some(r.clone())),
                _ => Err(err(t.span, "a tolerance must be a non-negative number")),
            };
        }
        Ok(Some(default_tolerance(&claim.rhs)))
    }

    /// A dimension label as an obligation: both sides are 0 and only the shapes
    /// are compared (at every sample point, as for any tensor claim).
    #[allow(clippy::type_complexity)]
    pub(super) fn push_label(
        &mut self,
        label: Result<(Vec<ExprId>, Vec<Vec<ExprId>>, Vec<ExprId>), Diagnostic>,
        origin: Origin,
        name: Option<String>,
        span: Span,
        text_span: Span,
        expect: Option<Expected>,
    ) {
        match label {
            Ok((shape, other_sizes, label)) => {
                let zero = self.store.zero();
                self.obligations.push(Obligation {
                    origin,
                    name,
                    span,
                    text_span,
                    lhs: zero,
                    rhs: zero,
                    op: RelOp::Eq,
                    tolerance: None,
                    conditions: Vec::new(),
                    expect,
                    derivatives: Vec::new(),
                    left_derivatives: 0,
                    side_derivatives: 0,
                    sizes: Some((shape, label)),
                    entry_indices: Default::default(),
                    other_sizes,
                    label: true,
                });
            }
            Err(d) => self.diagnostics.push(d),
        }
    }

    pub(super) fn lower_derive(&mut self, derive: &ast::Derive) {
        if let [step] = derive.steps.as_slice() {
            if let Some(label) = self.label_sizes(&derive.start, &step.rhs) {
                let origin = Origin::Step {
                    chain: derive.name.clone(),
                    step: 1,
                };
                let expect = step.expect.or(derive.expect).map(|e| e.verdict);
                let name = derive.name.clone();
                self.push_label(label, origin, name, step.rhs.span, step.rhs.span, expect);
                return;
            }
        }
        self.sites.clear();
        self.size_conditions.clear();
        let mut written: Vec<&ast::Expr> = vec![&derive.start];
        written.extend(derive.steps.iter().map(|s| &s.rhs));
        let laid_out = self.laid_out(&written);
        let exprs: Vec<&ast::Expr> = laid_out.iter().collect();
        let frame = match self.claim_frame(&exprs) {
            Ok(f) => f,
            Err(d) => {
                self.diagnostics.push(d);
                return;
            }
        };
        // the sides first, so a condition may name a free index they use (`where i != j`)
        let mut sides: Vec<Option<(ExprId, Vec<DerivativeSite>)>> = Vec::new();
        let mut failed: Vec<(usize, Diagnostic)> = Vec::new();
        for (k, e) in exprs.iter().enumerate() {
            self.sites.clear();
            match self.side(e, frame) {
                Ok(id) => sides.push(Some((id, std::mem::take(&mut self.sites)))),
                Err(d) => {
                    failed.push((k, d));
                    sides.push(None);
                }
            }
        }
        // a side may name a free index before any entry introduces it
        // (`\sum_{j \neq i} x_j = ... - x_i`): with the chain's free indices
        // introduced, it is tried once more
        if !failed.is_empty() {
            for e in &exprs {
                self.introduce_free_indices(e, &mut Vec::new());
            }
        }
        for (k, d) in failed {
            self.sites.clear();
            match self.side(exprs[k], frame) {
                Ok(id) => sides[k] = Some((id, std::mem::take(&mut self.sites))),
                Err(_) => self.diagnostics.push(d),
            }
        }
        // the sizes the chain's products and sums need to agree: the chain's
        // names mean one thing throughout, so every step holds only where they do
        let defined = std::mem::take(&mut self.size_conditions);
        let conditions = match self.conditions(&derive.conditions) {
            Ok(mut c) => {
                c.extend(defined);
                c
            }
            Err(d) => {
                self.diagnostics.push(d);
                return;
            }
        };
        for (k, step) in derive.steps.iter().enumerate() {
            let sizes = match self.side_sizes(exprs[k], exprs[k + 1], frame) {
                Ok(sizes) => sizes,
                Err(d) => {
                    self.diagnostics.push(d);
                    None
                }
            };
            if let (Some((lhs, lhs_sites)), Some((rhs, rhs_sites))) = (&sides[k], &sides[k + 1]) {
                let mut derivatives = lhs_sites.clone();
                derivatives.extend(rhs_sites.iter().cloned());
                let (left_derivatives, side_derivatives) = (lhs_sites.len(), derivatives.len());
                let tolerance = (step.op == RelOp::Approx).then(|| default_tolerance(&step.rhs));
                let entry_indices = [
                    self.entry_indices(exprs[k], frame),
                    self.entry_indices(&step.rhs, frame),
                ];
                self.obligations.push(Obligation {
                    origin: Origin::Step {
                        chain: derive.name.clone(),
                        step: k + 1,
                    },
                    name: derive.name.clone(),
                    // located at the expression, not at an `expect` line above it
                    span: step.rhs.span,
                    text_span: step.rhs.span,
                    lhs: *lhs,
                    rhs: *rhs,
                    op: step.op,
                    tolerance,
                    conditions: conditions.clone(),
                    expect: step.expect.or(derive.expect).map(|e| e.verdict),
                    derivatives,
                    left_derivatives,
                    side_derivatives,
                    sizes,
                    entry_indices,
                    other_sizes: Vec::new(),
                    label: false,
                });
            }
        }
    }
}

/// Half a unit in the last digit written on the right of `≈`, as written:
/// `≈ 2.70` allows 0.005, `≈ 3` allows 1/2, `≈ 2e3` allows 500. When the
/// right side is an expression, its finest decimal literal decides (`≈ 0.25 * x`
/// allows 0.005); with none, 10^-9.
fn default_tolerance(rhs: &ast::Expr) -> BigRational {
    let half = BigRational::new(BigInt::one(), BigInt::from(2));
    let Some(decimals) = written_decimals(rhs) else {
        return BigRational::new(BigInt::one(), BigInt::from(10).pow(9));
    };
    let unit = BigRational::from_integer(BigInt::from(10).pow(decimals.unsigned_abs() as u32));
    if decimals >= 0 {
        half / unit
    } else {
        half * unit
    }
}

/// The decimals that set the tolerance: those of the number on the right
/// (integers included), or the most of any decimal literal in an expression.
fn written_decimals(rhs: &ast::Expr) -> Option<i64> {
    let mut plain = rhs;
    while let ExprKind::Neg(inner) = &plain.kind {
        plain = inner;
    }
    if let ExprKind::Number(n) = &plain.kind {
        return Some(n.decimals);
    }
    let mut best: Option<i64> = None;
    let mut stack = vec![rhs];
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Number(n) if n.decimals > 0 => {
                best = Some(best.map_or(n.decimals, |b| b.max(n.decimals)))
            }
            ExprKind::Neg(inner) => stack.push(inner),
            ExprKind::Binary { lhs, rhs, .. } => {
                stack.push(lhs);
                stack.push(rhs);
            }
            _ => {}
        }
    }
    best
}
