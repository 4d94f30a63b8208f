//! Tensor shapes and parameter counts of a `net` block, layer by layer, by PyTorch's formulas.
//!
//! A net starts from a per-sample input shape (`input = [3, 128, 128]`: channels
//! then spatial sizes, no batch dimension) and applies named layers in order.
//! Every output size is computed exactly: numbers fold with rational integer
//! arithmetic, symbolic sizes (`dim d, d_h, m`) stay expressions, simplified
//! as far as [`Size`] can (numeric parts folded, `⌊·/1⌋` dropped, products of
//! sizes collected). The formulas are the ones in PyTorch's documentation
//! (`torch.nn.Conv2d`, `MaxPool2d`, `AvgPool2d`, ...); `layers.rs` quotes each.
//!
//! Expressions inside the net (sizes, `out = d_h`) are lowered by the caller's
//! callback, so this module needs no name resolution of its own; keyword values
//! (`padding = same`, `ceil_mode = true`, `bias = false`) are read from the
//! syntax tree directly.

mod layers;
mod size;
mod table;

#[cfg(test)]
mod tests;

pub use layers::known_kinds;
pub use size::Size;
pub use table::summary_table;

use crate::diagnostic::Diagnostic;
use crate::expr::{CmpOp, ExprId, Store};
use crate::span::Span;
use crate::syntax::ast;
use std::collections::{HashMap, HashSet};

/// Lowers one syntax-tree expression (a size or a hyperparameter) into the store.
pub type Lower<'a> = dyn FnMut(&mut Store, &ast::Expr) -> Result<ExprId, Diagnostic> + 'a;

/// How one output size was computed, with the numbers filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct SizeFormula {
    /// Which size: `H`, `W`, `L`, `D`, or `features` for a flatten.
    pub axis: String,
    /// `⌊(128 + 2·3 − 1·(8 − 1) − 1)/2⌋ + 1 = 64`
    pub text: String,
}

/// One layer's result.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerShape {
    pub name: String,
    /// The layer kind as written (`conv2d`, `maxpool2d`, `relu`).
    pub kind: String,
    pub span: Span,
    /// The per-sample output shape.
    pub output: Vec<ExprId>,
    /// Parameters as declared (with the bias unless `bias = false`).
    pub params: ExprId,
    /// Parameters counting the bias vector (if the layer kind has one).
    pub params_with_bias: ExprId,
    /// Parameters without the bias vector.
    pub params_without_bias: ExprId,
    /// Sum of `params` over this layer and every layer before it.
    pub running_total: ExprId,
    /// Whether the parameters are trained (`trainable = false` freezes them,
    /// `requires_grad = False` in PyTorch).
    pub trainable: bool,
    /// Buffers: state that is saved but not trained (batch norm's running
    /// mean, variance and batch counter). Not parameters, as in torchinfo.
    pub buffers: ExprId,
    /// Mult-adds per sample, by torchinfo's rule (see `layers.rs`).
    pub mult_adds: ExprId,
    /// One entry per output size computed by a formula (none for layers that
    /// keep the shape).
    pub formulas: Vec<SizeFormula>,
}

/// A condition a symbolic output size needs (`d − 2 ≥ 1`): it cannot be
/// decided here, so it is handed to the caller.
#[derive(Clone, Debug, PartialEq)]
pub struct Requirement {
    pub layer: String,
    pub span: Span,
    /// A `Cmp` node: `size ≥ 1`.
    pub condition: ExprId,
    /// The condition as text, with the formula it comes from.
    pub text: String,
}

/// The shapes and parameter counts of every layer of one net.
#[derive(Clone, Debug, PartialEq)]
pub struct NetShapes {
    pub name: String,
    pub span: Span,
    pub input: Vec<ExprId>,
    pub layers: Vec<LayerShape>,
    /// Total parameters as declared, with every bias, and with no bias.
    pub total: ExprId,
    pub total_with_bias: ExprId,
    pub total_without_bias: ExprId,
    /// Parameters of layers with `trainable = false` (torchinfo's non-trainable
    /// params), and the rest.
    pub non_trainable: ExprId,
    pub trainable: ExprId,
    pub buffers: ExprId,
    pub mult_adds: ExprId,
    /// Legal but suspicious layers (a `linear` on a rank-3 input).
    pub warnings: Vec<Diagnostic>,
    pub requirements: Vec<Requirement>,
}

impl NetShapes {
    pub fn layer(&self, name: &str) -> Option<&LayerShape> {
        self.layers.iter().find(|l| l.name == name)
    }

    /// A layer's output shape; `input` names the input unless a layer has that name.
    pub fn shape_of(&self, layer: &str) -> Option<&[ExprId]> {
        match self.layer(layer) {
            Some(l) => Some(&l.output),
            None if layer == "input" => Some(&self.input),
            None => None,
        }
    }

    /// A layer's parameter count: as declared (`None`), or with (`Some(true)`)
    /// or without (`Some(false)`) its bias vector.
    pub fn params_of(&self, layer: &str, bias: Option<bool>) -> Option<ExprId> {
        let l = self.layer(layer)?;
        Some(match bias {
            None => l.params,
            Some(true) => l.params_with_bias,
            Some(false) => l.params_without_bias,
        })
    }

    /// The whole net's parameter count, as [`NetShapes::params_of`] per layer.
    pub fn total_params(&self, bias: Option<bool>) -> ExprId {
        match bias {
            None => self.total,
            Some(true) => self.total_with_bias,
            Some(false) => self.total_without_bias,
        }
    }
}

/// What a layer rule computes, before it is put into the store.
pub(crate) struct LayerOutcome {
    pub output: Vec<Size>,
    /// Parameters other than the bias vector.
    pub weights: Size,
    /// Size of the bias vector (0 for kinds without one).
    pub bias: Size,
    /// Whether the declared layer has its bias.
    pub bias_enabled: bool,
    /// Saved state that is not trained (batch norm's running statistics).
    pub buffers: Size,
    /// Mult-adds per sample, torchinfo's rule.
    pub mult_adds: Size,
    pub formulas: Vec<SizeFormula>,
    /// Output sizes that must be at least 1, with the formula text.
    pub positive: Vec<(Size, String)>,
    pub warnings: Vec<Diagnostic>,
}

/// Computes the shapes and parameter counts of `net`, layer by layer.
///
/// Errors (all of them, not only the first): a missing or malformed `input`,
/// duplicate layer names, unknown layer kinds or arguments (the message lists
/// the known ones), arguments of the wrong kind, and any layer whose output
/// size comes out zero, negative or fractional, or whose input does not fit
/// (mismatched `linear` inputs, channel groups, ranks); each names the layer,
/// the formula and the numbers. After a layer fails, later layers are still
/// checked for unknown kinds and arguments, but not for sizes.
pub fn analyze_net(
    net: &ast::Net,
    store: &mut Store,
    lower: &mut Lower<'_>,
) -> Result<NetShapes, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let input = match read_input(net, store, lower) {
        Ok(input) => Some(input),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    let mut current = input.clone();
    // every output so far, for `from = layer` and `add(skip = layer)`
    let mut outputs: HashMap<String, Vec<Size>> = HashMap::new();
    if let Some(input) = &input {
        outputs.insert("input".to_string(), input.clone());
    }
    let mut seen = HashSet::new();
    let mut layers = Vec::new();
    let mut warnings = Vec::new();
    let mut requirements = Vec::new();
    let mut total = Size::zero();
    let mut total_with_bias = Size::zero();
    let mut total_without_bias = Size::zero();
    let mut non_trainable = Size::zero();
    let mut buffers = Size::zero();
    let mut mult_adds = Size::zero();
    for layer in &net.layers {
        if !seen.insert(layer.name.name.as_str()) {
            errors.push(
                Diagnostic::error(
                    layer.name.span,
                    format!(
                        "net `{}` has two layers named `{}`",
                        net.name.name, layer.name.name
                    ),
                )
                .with_note("layer names must be unique so that `shape(net.layer)` is unambiguous"),
            );
        }
        let common = match common_args(layer) {
            Ok(common) => common,
            Err(e) => {
                errors.push(e);
                current = None;
                continue;
            }
        };
        if let (Some((source, span)), Some(_)) = (&common.from, &current) {
            match outputs.get(source) {
                Some(shape) => current = Some(shape.clone()),
                None => {
                    errors.push(
                        Diagnostic::error(
                            layer.span,
                            format!(
                                "layer `{}` ({}): `from = {source}` names no earlier layer",
                                layer.name.name, layer.kind.name
                            ),
                        )
                        .with_label(*span, "this argument")
                        .with_note("`from` takes `input` or the name of a layer above this one"),
                    );
                    current = None;
                }
            }
        }
        let outcome = match &current {
            Some(shape) => layers::apply(&common.rest, shape, &outputs, store, lower),
            None => layers::validate(&common.rest, store, lower).map(|()| None),
        };
        let outcome = match outcome {
            Ok(Some(outcome)) => outcome,
            Ok(None) => continue,
            Err(e) => {
                errors.extend(e);
                current = None;
                continue;
            }
        };
        let with_bias = outcome.weights.add(&outcome.bias);
        let declared = if outcome.bias_enabled {
            with_bias.clone()
        } else {
            outcome.weights.clone()
        };
        total = total.add(&declared);
        total_with_bias = total_with_bias.add(&with_bias);
        total_without_bias = total_without_bias.add(&outcome.weights);
        if !common.trainable {
            non_trainable = non_trainable.add(&declared);
        }
        buffers = buffers.add(&outcome.buffers);
        mult_adds = mult_adds.add(&outcome.mult_adds);
        for (size, text) in &outcome.positive {
            let value = size.to_expr(store);
            let one = store.one();
            requirements.push(Requirement {
                layer: layer.name.name.clone(),
                span: layer.span,
                condition: store.cmp(CmpOp::Ge, value, one),
                text: text.clone(),
            });
        }
        warnings.extend(outcome.warnings);
        layers.push(LayerShape {
            name: layer.name.name.clone(),
            kind: layer.kind.name.clone(),
            span: layer.span,
            output: outcome.output.iter().map(|s| s.to_expr(store)).collect(),
            params: declared.to_expr(store),
            params_with_bias: with_bias.to_expr(store),
            params_without_bias: outcome.weights.to_expr(store),
            running_total: total.to_expr(store),
            trainable: common.trainable,
            buffers: outcome.buffers.to_expr(store),
            mult_adds: outcome.mult_adds.to_expr(store),
            formulas: outcome.formulas,
        });
        outputs.insert(layer.name.name.clone(), outcome.output.clone());
        current = Some(outcome.output);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let Some(input) = input else {
        return Err(errors);
    };
    Ok(NetShapes {
        name: net.name.name.clone(),
        span: net.name.span,
        input: input.iter().map(|s| s.to_expr(store)).collect(),
        layers,
        total: total.to_expr(store),
        total_with_bias: total_with_bias.to_expr(store),
        total_without_bias: total_without_bias.to_expr(store),
        non_trainable: non_trainable.to_expr(store),
        trainable: total.sub(&non_trainable).to_expr(store),
        buffers: buffers.to_expr(store),
        mult_adds: mult_adds.to_expr(store),
        warnings,
        requirements,
    })
}

/// The arguments every layer kind takes, split from the kind's own.
struct CommonArgs {
    /// `from = name`: the layer reads that layer's output (or the net's
    /// `input`) instead of the previous one's, as a branch does.
    from: Option<(String, Span)>,
    /// `trainable = false`: the parameters are frozen.
    trainable: bool,
    /// The layer without the common arguments.
    rest: ast::Layer,
}

fn common_args(layer: &ast::Layer) -> Result<CommonArgs, Diagnostic> {
    let mut common = CommonArgs {
        from: None,
        trainable: true,
        rest: ast::Layer {
            args: Vec::new(),
            ..layer.clone()
        },
    };
    let who = || format!("layer `{}` ({})", layer.name.name, layer.kind.name);
    for arg in &layer.args {
        let name = arg.name.as_ref().map(|n| n.name.as_str());
        let word = match &arg.value.kind {
            ast::ExprKind::Ident(word) => Some(word.as_str()),
            _ => None,
        };
        match (name, word) {
            (Some("from"), _) if common.from.is_some() => {
                return Err(Diagnostic::error(
                    arg.value.span,
                    format!("{}: argument `from` is given twice", who()),
                ))
            }
            (Some("from"), Some(source)) => {
                common.from = Some((source.to_string(), arg.value.span));
            }
            (Some("from"), None) => {
                return Err(Diagnostic::error(
                    arg.value.span,
                    format!("{}: `from` must be the name of a layer or `input`", who()),
                ))
            }
            (Some("trainable"), Some(flag @ ("true" | "false"))) => {
                common.trainable = flag == "true";
            }
            (Some("trainable"), _) => {
                return Err(Diagnostic::error(
                    arg.value.span,
                    format!("{}: `trainable` must be `true` or `false`", who()),
                ))
            }
            _ => common.rest.args.push(arg.clone()),
        }
    }
    Ok(common)
}

/// The header's `input = [c, h, w]` (or a single size), each entry a positive
/// whole number or a symbolic size.
fn read_input(
    net: &ast::Net,
    store: &mut Store,
    lower: &mut Lower<'_>,
) -> Result<Vec<Size>, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut input = None;
    for arg in &net.args {
        let name = arg.name.as_ref().map(|n| n.name.as_str());
        match name {
            Some("input") | None if input.is_none() => input = Some(&arg.value),
            Some("input") | None => errors.push(Diagnostic::error(
                arg.value.span,
                format!("net `{}` has more than one input shape", net.name.name),
            )),
            Some(other) => errors.push(
                Diagnostic::error(
                    arg.name.as_ref().map_or(arg.value.span, |n| n.span),
                    format!("net `{}` has no argument `{other}`", net.name.name),
                )
                .with_note("a net header takes one argument: `input = [channels, height, width]`"),
            ),
        }
    }
    let Some(value) = input else {
        errors.push(
            Diagnostic::error(
                net.name.span,
                format!("net `{}` has no input shape", net.name.name),
            )
            .with_note("write `net name(input = [3, 128, 128]):`"),
        );
        return Err(errors);
    };
    let entries: Vec<&ast::Expr> = match &value.kind {
        ast::ExprKind::Vector(items) => items.iter().collect(),
        _ => vec![value],
    };
    if entries.is_empty() {
        errors.push(Diagnostic::error(
            value.span,
            format!("net `{}` has an empty input shape", net.name.name),
        ));
    }
    let mut sizes = Vec::new();
    for entry in entries {
        let size = match lower(store, entry) {
            Ok(id) => Size::from_expr(store, id),
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        if let Some(value) = size.as_constant() {
            if !value.is_integer() || value < num_rational::BigRational::from_integer(1.into()) {
                errors.push(Diagnostic::error(
                    entry.span,
                    format!(
                        "input size {} of net `{}` is not a positive whole number",
                        crate::conv::format_rational(&value),
                        net.name.name
                    ),
                ));
            }
        }
        sizes.push(size);
    }
    if errors.is_empty() {
        Ok(sizes)
    } else {
        Err(errors)
    }
}
