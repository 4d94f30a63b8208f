//! The layer kinds: their arguments, output-size formulas and parameter counts.
//!
//! Formulas (PyTorch documentation, per spatial axis, sizes per sample):
//!
//! * `ConvNd`: `out = ⌊(in + 2·padding − dilation·(kernel − 1) − 1)/stride⌋ + 1`;
//!   `padding = same` keeps `in` (PyTorch rejects it with a stride above 1),
//!   `padding = valid` is padding 0. Weights `out_channels · in_channels/groups ·
//!   Π kernel`, bias `out_channels`.
//! * `MaxPoolNd`: the conv formula (with dilation); stride defaults to the kernel.
//! * `AvgPoolNd`: `out = ⌊(in + 2·padding − kernel)/stride⌋ + 1`.
//! * `ceil_mode = true`: `⌈·⌉` instead of `⌊·⌋`, and a last window that would
//!   start in the right padding is dropped: if `(out − 1)·stride ≥ in + padding`
//!   then `out − 1` (PyTorch's `pooling_output_shape`). Pool padding must be at
//!   most half the raw kernel, and `avgpool3d` inputs at least the kernel, as
//!   PyTorch checks.
//! * `AdaptiveAvgPoolNd`/`AdaptiveMaxPoolNd`: the spatial sizes are `output`.
//! * `Linear`: acts on the last size; weights `in·out`, bias `out`.
//! * `Flatten`: the product of the sizes from `start_dim` to `end_dim`
//!   (per-sample indices, default all: PyTorch's `nn.Flatten()` on a batch).
//! * `BatchNormNd`: weight and bias of `channels` each (`affine = false`: none);
//!   `running_mean`, `running_var` and `num_batches_tracked` are buffers.
//! * dropout and activations keep the shape and have no parameters.
//!
//! Mult-adds per sample are torchinfo's: a convolution's parameters once per
//! output position, a `Linear`'s or a norm's once. The sequence layers (norms,
//! embeddings, attention, recurrent, residual sums) are in `layers/sequence.rs`.

mod sequence;

use super::{LayerOutcome, Lower, Size, SizeFormula};
use crate::diagnostic::Diagnostic;
use crate::expr::Store;
use crate::span::Span;
use crate::syntax::ast;
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive};
use std::collections::HashMap;

/// What an argument's value must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ArgType {
    /// One size (a whole number or a symbolic size).
    Size,
    /// One size for every spatial axis, or a list with one per axis.
    Sizes,
    /// Like `Sizes`, or the keyword `same` or `valid`.
    Padding,
    /// `true` or `false`.
    Bool,
    /// A whole number, possibly negative (`start_dim = -1`).
    Int,
    /// Any number (a hyperparameter that does not change shapes: `p`, `eps`).
    Number,
    /// The name of an earlier layer, or `input`.
    Layer,
    /// A keyword that does not change shapes (`activation = gelu`).
    Word(&'static [&'static str]),
}

struct ArgSpec {
    name: &'static str,
    aliases: &'static [&'static str],
    ty: ArgType,
    required: bool,
}

const fn arg(name: &'static str, aliases: &'static [&'static str], ty: ArgType) -> ArgSpec {
    ArgSpec {
        name,
        aliases,
        ty,
        required: false,
    }
}

const fn required(name: &'static str, aliases: &'static [&'static str], ty: ArgType) -> ArgSpec {
    ArgSpec {
        name,
        aliases,
        ty,
        required: true,
    }
}

const CONV_ARGS: &[ArgSpec] = &[
    required("out", &["out_channels"], ArgType::Size),
    required("kernel", &["kernel_size"], ArgType::Sizes),
    arg("stride", &[], ArgType::Sizes),
    arg("padding", &[], ArgType::Padding),
    arg("dilation", &[], ArgType::Sizes),
    arg("groups", &[], ArgType::Size),
    arg("bias", &[], ArgType::Bool),
    arg("in", &["in_channels"], ArgType::Size),
];

const MAXPOOL_ARGS: &[ArgSpec] = &[
    required("kernel", &["kernel_size"], ArgType::Sizes),
    arg("stride", &[], ArgType::Sizes),
    arg("padding", &[], ArgType::Sizes),
    arg("dilation", &[], ArgType::Sizes),
    arg("ceil_mode", &[], ArgType::Bool),
];

const AVGPOOL_ARGS: &[ArgSpec] = &[
    required("kernel", &["kernel_size"], ArgType::Sizes),
    arg("stride", &[], ArgType::Sizes),
    arg("padding", &[], ArgType::Sizes),
    arg("ceil_mode", &[], ArgType::Bool),
    arg("count_include_pad", &[], ArgType::Bool),
];

const ADAPTIVE_ARGS: &[ArgSpec] = &[required("output", &["output_size", "out"], ArgType::Sizes)];

const LINEAR_ARGS: &[ArgSpec] = &[
    required("out", &["out_features"], ArgType::Size),
    arg("in", &["in_features"], ArgType::Size),
    arg("bias", &[], ArgType::Bool),
];

const FLATTEN_ARGS: &[ArgSpec] = &[
    arg("start_dim", &[], ArgType::Int),
    arg("end_dim", &[], ArgType::Int),
];

const BATCHNORM_ARGS: &[ArgSpec] = &[
    arg("features", &["num_features"], ArgType::Size),
    arg("affine", &[], ArgType::Bool),
    arg("track_running_stats", &[], ArgType::Bool),
    arg("eps", &[], ArgType::Number),
    arg("momentum", &[], ArgType::Number),
];

const DROPOUT_ARGS: &[ArgSpec] = &[arg("p", &[], ArgType::Number)];

const LAYERNORM_ARGS: &[ArgSpec] = &[
    arg("features", &["normalized_shape"], ArgType::Sizes),
    arg("affine", &["elementwise_affine"], ArgType::Bool),
    arg("bias", &[], ArgType::Bool),
    arg("eps", &[], ArgType::Number),
];

const RMSNORM_ARGS: &[ArgSpec] = &[
    arg("features", &["normalized_shape"], ArgType::Sizes),
    arg("affine", &["elementwise_affine"], ArgType::Bool),
    arg("eps", &[], ArgType::Number),
];

const EMBEDDING_ARGS: &[ArgSpec] = &[
    required("num", &["num_embeddings", "vocab"], ArgType::Size),
    required("dim", &["embedding_dim"], ArgType::Size),
    arg("padding_idx", &[], ArgType::Int),
    arg("max_norm", &[], ArgType::Number),
];

const ATTENTION_ARGS: &[ArgSpec] = &[
    required("heads", &["num_heads"], ArgType::Size),
    arg("dim", &["embed_dim"], ArgType::Size),
    arg("bias", &[], ArgType::Bool),
    arg("add_bias_kv", &[], ArgType::Bool),
    arg("add_zero_attn", &[], ArgType::Bool),
    arg("kdim", &[], ArgType::Size),
    arg("vdim", &[], ArgType::Size),
    arg("dropout", &[], ArgType::Number),
    arg("batch_first", &[], ArgType::Bool),
];

const ACTIVATION_WORDS: &[&str] = &["relu", "gelu"];

const ENCODER_LAYER_ARGS: &[ArgSpec] = &[
    required("heads", &["nhead", "num_heads"], ArgType::Size),
    arg("dim", &["d_model"], ArgType::Size),
    arg("feedforward", &["dim_feedforward"], ArgType::Size),
    arg("dropout", &[], ArgType::Number),
    arg("activation", &[], ArgType::Word(ACTIVATION_WORDS)),
    arg("eps", &["layer_norm_eps"], ArgType::Number),
    arg("batch_first", &[], ArgType::Bool),
    arg("norm_first", &[], ArgType::Bool),
    arg("bias", &[], ArgType::Bool),
];

const ENCODER_ARGS: &[ArgSpec] = &[
    required("layers", &["num_layers"], ArgType::Size),
    required("heads", &["nhead", "num_heads"], ArgType::Size),
    arg("dim", &["d_model"], ArgType::Size),
    arg("feedforward", &["dim_feedforward"], ArgType::Size),
    arg("dropout", &[], ArgType::Number),
    arg("activation", &[], ArgType::Word(ACTIVATION_WORDS)),
    arg("eps", &["layer_norm_eps"], ArgType::Number),
    arg("batch_first", &[], ArgType::Bool),
    arg("norm_first", &[], ArgType::Bool),
    arg("bias", &[], ArgType::Bool),
];

const LSTM_ARGS: &[ArgSpec] = &[
    required("hidden", &["hidden_size"], ArgType::Size),
    arg("in", &["input_size"], ArgType::Size),
    arg("layers", &["num_layers"], ArgType::Size),
    arg("bias", &[], ArgType::Bool),
    arg("bidirectional", &[], ArgType::Bool),
    arg("batch_first", &[], ArgType::Bool),
    arg("dropout", &[], ArgType::Number),
    arg("proj", &["proj_size"], ArgType::Size),
];

const GRU_ARGS: &[ArgSpec] = &[
    required("hidden", &["hidden_size"], ArgType::Size),
    arg("in", &["input_size"], ArgType::Size),
    arg("layers", &["num_layers"], ArgType::Size),
    arg("bias", &[], ArgType::Bool),
    arg("bidirectional", &[], ArgType::Bool),
    arg("batch_first", &[], ArgType::Bool),
    arg("dropout", &[], ArgType::Number),
];

const RNN_ARGS: &[ArgSpec] = &[
    required("hidden", &["hidden_size"], ArgType::Size),
    arg("in", &["input_size"], ArgType::Size),
    arg("layers", &["num_layers"], ArgType::Size),
    arg("bias", &[], ArgType::Bool),
    arg("bidirectional", &[], ArgType::Bool),
    arg("batch_first", &[], ArgType::Bool),
    arg("dropout", &[], ArgType::Number),
    arg("nonlinearity", &[], ArgType::Word(&["tanh", "relu"])),
];

const ADD_ARGS: &[ArgSpec] = &[required("skip", &[], ArgType::Layer)];

const SELECT_ARGS: &[ArgSpec] = &[
    arg("dim", &[], ArgType::Int),
    arg("index", &[], ArgType::Int),
];

const ACTIVATION_ARGS: &[ArgSpec] = &[
    arg("dim", &[], ArgType::Int),
    arg("negative_slope", &[], ArgType::Number),
    arg("alpha", &[], ArgType::Number),
    arg("beta", &[], ArgType::Number),
    arg("threshold", &[], ArgType::Number),
];

/// How a kind computes its output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    Conv(usize),
    MaxPool(usize),
    AvgPool(usize),
    /// `None`: the number of spatial axes comes from the input.
    Adaptive(Option<usize>),
    Linear,
    Flatten,
    BatchNorm(Option<usize>),
    /// `true` for RMSNorm (a scale, no shift).
    LayerNorm {
        rms: bool,
    },
    Embedding,
    Attention,
    /// `true` for a stack (`transformer_encoder(layers = N)`).
    EncoderLayer {
        stack: bool,
    },
    Recurrent(Cell),
    Add,
    Select,
    Dropout,
    Elementwise,
}

/// The recurrent cells and their number of gates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cell {
    Lstm,
    Gru,
    Rnn,
}

impl Cell {
    fn gates(self) -> i64 {
        match self {
            Cell::Lstm => 4,
            Cell::Gru => 3,
            Cell::Rnn => 1,
        }
    }
}

/// Every layer kind: its name, rule and arguments.
const KINDS: &[(&str, Rule, &[ArgSpec])] = &[
    ("conv1d", Rule::Conv(1), CONV_ARGS),
    ("conv2d", Rule::Conv(2), CONV_ARGS),
    ("conv3d", Rule::Conv(3), CONV_ARGS),
    ("maxpool1d", Rule::MaxPool(1), MAXPOOL_ARGS),
    ("maxpool2d", Rule::MaxPool(2), MAXPOOL_ARGS),
    ("maxpool3d", Rule::MaxPool(3), MAXPOOL_ARGS),
    ("avgpool1d", Rule::AvgPool(1), AVGPOOL_ARGS),
    ("avgpool2d", Rule::AvgPool(2), AVGPOOL_ARGS),
    ("avgpool3d", Rule::AvgPool(3), AVGPOOL_ARGS),
    ("adaptive_avgpool", Rule::Adaptive(None), ADAPTIVE_ARGS),
    ("adaptive_avgpool1d", Rule::Adaptive(Some(1)), ADAPTIVE_ARGS),
    ("adaptive_avgpool2d", Rule::Adaptive(Some(2)), ADAPTIVE_ARGS),
    ("adaptive_avgpool3d", Rule::Adaptive(Some(3)), ADAPTIVE_ARGS),
    ("adaptive_maxpool", Rule::Adaptive(None), ADAPTIVE_ARGS),
    ("adaptive_maxpool1d", Rule::Adaptive(Some(1)), ADAPTIVE_ARGS),
    ("adaptive_maxpool2d", Rule::Adaptive(Some(2)), ADAPTIVE_ARGS),
    ("adaptive_maxpool3d", Rule::Adaptive(Some(3)), ADAPTIVE_ARGS),
    ("linear", Rule::Linear, LINEAR_ARGS),
    ("flatten", Rule::Flatten, FLATTEN_ARGS),
    ("batchnorm", Rule::BatchNorm(None), BATCHNORM_ARGS),
    ("batchnorm1d", Rule::BatchNorm(Some(1)), BATCHNORM_ARGS),
    ("batchnorm2d", Rule::BatchNorm(Some(2)), BATCHNORM_ARGS),
    ("batchnorm3d", Rule::BatchNorm(Some(3)), BATCHNORM_ARGS),
    ("layernorm", Rule::LayerNorm { rms: false }, LAYERNORM_ARGS),
    ("rmsnorm", Rule::LayerNorm { rms: true }, RMSNORM_ARGS),
    ("embedding", Rule::Embedding, EMBEDDING_ARGS),
    ("multihead_attention", Rule::Attention, ATTENTION_ARGS),
    (
        "transformer_encoder_layer",
        Rule::EncoderLayer { stack: false },
        ENCODER_LAYER_ARGS,
    ),
    (
        "transformer_encoder",
        Rule::EncoderLayer { stack: true },
        ENCODER_ARGS,
    ),
    ("lstm", Rule::Recurrent(Cell::Lstm), LSTM_ARGS),
    ("gru", Rule::Recurrent(Cell::Gru), GRU_ARGS),
    ("rnn", Rule::Recurrent(Cell::Rnn), RNN_ARGS),
    ("add", Rule::Add, ADD_ARGS),
    ("residual", Rule::Add, ADD_ARGS),
    ("select", Rule::Select, SELECT_ARGS),
    ("dropout", Rule::Dropout, DROPOUT_ARGS),
    ("dropout1d", Rule::Dropout, DROPOUT_ARGS),
    ("dropout2d", Rule::Dropout, DROPOUT_ARGS),
    ("dropout3d", Rule::Dropout, DROPOUT_ARGS),
    ("relu", Rule::Elementwise, ACTIVATION_ARGS),
    ("leaky_relu", Rule::Elementwise, ACTIVATION_ARGS),
    ("elu", Rule::Elementwise, ACTIVATION_ARGS),
    ("selu", Rule::Elementwise, ACTIVATION_ARGS),
    ("gelu", Rule::Elementwise, ACTIVATION_ARGS),
    ("silu", Rule::Elementwise, ACTIVATION_ARGS),
    ("sigmoid", Rule::Elementwise, ACTIVATION_ARGS),
    ("tanh", Rule::Elementwise, ACTIVATION_ARGS),
    ("softplus", Rule::Elementwise, ACTIVATION_ARGS),
    ("softmax", Rule::Elementwise, ACTIVATION_ARGS),
    ("log_softmax", Rule::Elementwise, ACTIVATION_ARGS),
    ("identity", Rule::Elementwise, ACTIVATION_ARGS),
];

/// The names of every known layer kind, for error messages and help.
pub fn known_kinds() -> Vec<&'static str> {
    KINDS.iter().map(|(name, ..)| *name).collect()
}

/// A read argument value.
#[derive(Clone, Debug)]
enum Value {
    Size(Size),
    Sizes(Vec<Size>),
    Same,
    Valid,
    Bool(bool),
    Number(BigRational),
    Layer(String),
    Word,
}

/// The arguments of one layer, by canonical name, with the span of each value.
struct Args {
    values: HashMap<&'static str, (Value, Span)>,
}

impl Args {
    fn size(&self, name: &str) -> Option<(&Size, Span)> {
        match self.values.get(name) {
            Some((Value::Size(s), span)) => Some((s, *span)),
            _ => None,
        }
    }

    fn flag(&self, name: &str, default: bool) -> bool {
        match self.values.get(name) {
            Some((Value::Bool(b), _)) => *b,
            _ => default,
        }
    }

    fn number(&self, name: &str) -> Option<(&BigRational, Span)> {
        match self.values.get(name) {
            Some((Value::Number(r), span)) => Some((r, *span)),
            _ => None,
        }
    }

    fn span(&self, name: &str) -> Option<Span> {
        self.values.get(name).map(|(_, span)| *span)
    }
}

/// A layer's header for messages: "layer `conv1` (conv2d)".
fn who(layer: &ast::Layer) -> String {
    format!("layer `{}` ({})", layer.name.name, layer.kind.name)
}

fn find_kind(layer: &ast::Layer) -> Result<(Rule, &'static [ArgSpec]), Diagnostic> {
    KINDS
        .iter()
        .find(|(name, ..)| *name == layer.kind.name)
        .map(|&(_, rule, specs)| (rule, specs))
        .ok_or_else(|| {
            Diagnostic::error(
                layer.kind.span,
                format!(
                    "layer `{}` has unknown kind `{}`",
                    layer.name.name, layer.kind.name
                ),
            )
            .with_note(format!("known kinds: {}", known_kinds().join(", ")))
        })
}

/// Reads and type-checks every argument of `layer` against `specs`.
fn read_args(
    layer: &ast::Layer,
    specs: &'static [ArgSpec],
    store: &mut Store,
    lower: &mut Lower<'_>,
) -> Result<Args, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut values: HashMap<&'static str, (Value, Span)> = HashMap::new();
    // given arguments, valid or not: a bad value is not also reported as missing
    let mut present = std::collections::HashSet::new();
    let known = || {
        let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
        if names.is_empty() {
            "it takes no arguments".to_string()
        } else {
            format!("known arguments: {}", names.join(", "))
        }
    };
    for a in &layer.args {
        let Some(name) = &a.name else {
            errors.push(
                Diagnostic::error(
                    a.value.span,
                    format!("{}: arguments must be named", who(layer)),
                )
                .with_note(format!("write `name = value`; {}", known())),
            );
            continue;
        };
        let Some(spec) = specs
            .iter()
            .find(|s| s.name == name.name || s.aliases.contains(&name.name.as_str()))
        else {
            errors.push(
                Diagnostic::error(
                    name.span,
                    format!("{} has no argument `{}`", who(layer), name.name),
                )
                .with_note(known()),
            );
            continue;
        };
        if !present.insert(spec.name) {
            errors.push(Diagnostic::error(
                name.span,
                format!("{}: argument `{}` is given twice", who(layer), spec.name),
            ));
            continue;
        }
        match read_value(layer, spec, &a.value, store, lower) {
            Ok(value) => {
                values.insert(spec.name, (value, a.value.span));
            }
            Err(e) => errors.push(e),
        }
    }
    for spec in specs.iter().filter(|s| s.required) {
        if !present.contains(spec.name) {
            errors.push(Diagnostic::error(
                layer.span,
                format!("{} needs the argument `{}`", who(layer), spec.name),
            ));
        }
    }
    if errors.is_empty() {
        Ok(Args { values })
    } else {
        Err(errors)
    }
}

fn read_value(
    layer: &ast::Layer,
    spec: &ArgSpec,
    value: &ast::Expr,
    store: &mut Store,
    lower: &mut Lower<'_>,
) -> Result<Value, Diagnostic> {
    let keyword = match &value.kind {
        ast::ExprKind::Ident(word) => Some(word.as_str()),
        _ => None,
    };
    let wrong = |expected: &str| {
        Diagnostic::error(
            value.span,
            format!("{}: `{}` must be {expected}", who(layer), spec.name),
        )
    };
    match spec.ty {
        ArgType::Layer => match keyword {
            Some(name) => Ok(Value::Layer(name.to_string())),
            None => Err(wrong("the name of an earlier layer or `input`")),
        },
        ArgType::Word(words) => match keyword {
            Some(word) if words.contains(&word) => Ok(Value::Word),
            _ => {
                let list: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
                Err(wrong(&format!("one of {}", list.join(", "))))
            }
        },
        ArgType::Bool => match keyword {
            Some("true") => Ok(Value::Bool(true)),
            Some("false") => Ok(Value::Bool(false)),
            _ => Err(wrong("`true` or `false`")),
        },
        ArgType::Padding if keyword == Some("same") => Ok(Value::Same),
        ArgType::Padding if keyword == Some("valid") => Ok(Value::Valid),
        ArgType::Sizes | ArgType::Padding => match &value.kind {
            ast::ExprKind::Vector(items) => {
                let sizes = items
                    .iter()
                    .map(|item| lower_size(item, store, lower))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::Sizes(sizes))
            }
            _ => Ok(Value::Size(lower_size(value, store, lower)?)),
        },
        ArgType::Size => {
            if matches!(value.kind, ast::ExprKind::Vector(_)) {
                return Err(wrong("one size, not a list"));
            }
            Ok(Value::Size(lower_size(value, store, lower)?))
        }
        ArgType::Int | ArgType::Number => {
            let size = lower_size(value, store, lower)?;
            let Some(number) = size.as_constant() else {
                return Err(wrong("a number"));
            };
            if spec.ty == ArgType::Int && !number.is_integer() {
                return Err(wrong("a whole number"));
            }
            Ok(Value::Number(number))
        }
    }
}

fn lower_size(
    expr: &ast::Expr,
    store: &mut Store,
    lower: &mut Lower<'_>,
) -> Result<Size, Diagnostic> {
    let id = lower(store, expr)?;
    Ok(Size::from_expr(store, id))
}

/// Checks a layer's kind and arguments without an input shape (after an
/// earlier layer failed).
pub(crate) fn validate(
    layer: &ast::Layer,
    store: &mut Store,
    lower: &mut Lower<'_>,
) -> Result<(), Vec<Diagnostic>> {
    let (_, specs) = find_kind(layer).map_err(|e| vec![e])?;
    read_args(layer, specs, store, lower).map(|_| ())
}

/// Applies `layer` to a per-sample input shape.
pub(crate) fn apply(
    layer: &ast::Layer,
    input: &[Size],
    outputs: &HashMap<String, Vec<Size>>,
    store: &mut Store,
    lower: &mut Lower<'_>,
) -> Result<Option<LayerOutcome>, Vec<Diagnostic>> {
    let (rule, specs) = find_kind(layer).map_err(|e| vec![e])?;
    let args = read_args(layer, specs, store, lower)?;
    let mut cx = LayerContext {
        layer,
        store,
        input,
        outputs,
        errors: Vec::new(),
        outcome: LayerOutcome {
            output: Vec::new(),
            weights: Size::zero(),
            bias: Size::zero(),
            bias_enabled: false,
            buffers: Size::zero(),
            mult_adds: Size::zero(),
            formulas: Vec::new(),
            positive: Vec::new(),
            warnings: Vec::new(),
        },
    };
    match rule {
        Rule::Conv(axes) => cx.conv(axes, &args),
        Rule::MaxPool(axes) => cx.pool(axes, &args, PoolKind::Max),
        Rule::AvgPool(axes) => cx.pool(axes, &args, PoolKind::Avg),
        Rule::Adaptive(axes) => cx.adaptive(axes, &args),
        Rule::Linear => cx.linear(&args),
        Rule::Flatten => cx.flatten(&args),
        Rule::BatchNorm(axes) => cx.batchnorm(axes, &args),
        Rule::LayerNorm { rms } => cx.layernorm(&args, rms),
        Rule::Embedding => cx.embedding(&args),
        Rule::Attention => cx.attention(&args),
        Rule::EncoderLayer { stack } => cx.encoder_layer(&args, stack),
        Rule::Recurrent(cell) => cx.recurrent(&args, cell),
        Rule::Add => cx.add(&args),
        Rule::Select => cx.select(&args),
        Rule::Dropout => cx.dropout(&args),
        Rule::Elementwise => cx.outcome.output = input.to_vec(),
    }
    if cx.errors.is_empty() {
        Ok(Some(cx.outcome))
    } else {
        Err(cx.errors)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PoolKind {
    Max,
    Avg,
}

/// The names of the spatial axes of an `N`-d layer.
fn axis_names(axes: usize) -> &'static [&'static str] {
    match axes {
        1 => &["L"],
        2 => &["H", "W"],
        _ => &["D", "H", "W"],
    }
}

struct LayerContext<'a> {
    layer: &'a ast::Layer,
    store: &'a mut Store,
    input: &'a [Size],
    /// The outputs of the layers above (and the net's `input`).
    outputs: &'a HashMap<String, Vec<Size>>,
    errors: Vec<Diagnostic>,
    outcome: LayerOutcome,
}

impl LayerContext<'_> {
    fn error(&mut self, message: String) {
        self.errors.push(Diagnostic::error(
            self.layer.span,
            format!("{}: {message}", who(self.layer)),
        ));
    }

    fn error_at(&mut self, span: Option<Span>, message: String) {
        let mut d = Diagnostic::error(self.layer.span, format!("{}: {message}", who(self.layer)));
        if let Some(span) = span {
            d = d.with_label(span, "this argument");
        }
        self.errors.push(d);
    }

    /// Text of a size inside a formula: parenthesized unless atomic.
    fn term(&mut self, size: &Size) -> String {
        let text = size.display(self.store);
        if text.contains(' ') {
            format!("({text})")
        } else {
            text
        }
    }

    fn shape_text(&mut self, shape: &[Size]) -> String {
        let parts: Vec<String> = shape.iter().map(|s| s.display(self.store)).collect();
        format!("[{}]", parts.join(", "))
    }

    /// Checks that the input is `[channels, *spatial]` with `axes` spatial sizes.
    fn expect_rank(&mut self, axes: usize, what: &str) -> bool {
        if self.input.len() == axes + 1 {
            return true;
        }
        let shape = self.shape_text(self.input);
        let names = axis_names(axes)
            .iter()
            .map(|n| n.to_lowercase())
            .collect::<Vec<_>>()
            .join(", ");
        self.error(format!(
            "{what} expects a per-sample input [channels, {names}] of rank {}, got {shape} of rank {}",
            axes + 1,
            self.input.len()
        ));
        false
    }

    /// A per-axis argument: a single size broadcast to every axis, or a list of
    /// exactly `axes` sizes, each whole and at least `min`.
    fn per_axis(
        &mut self,
        args: &Args,
        name: &str,
        axes: usize,
        default: Option<&[Size]>,
        min: i64,
    ) -> Option<Vec<Size>> {
        let span = args.span(name);
        let sizes = match args.values.get(name) {
            Some((Value::Size(s), _)) => vec![s.clone(); axes],
            Some((Value::Sizes(list), _)) if list.len() == axes => list.clone(),
            Some((Value::Sizes(list), _)) => {
                self.error_at(
                    span,
                    format!(
                        "`{name}` has {} entries but the layer has {axes} spatial axes",
                        list.len()
                    ),
                );
                return None;
            }
            Some(_) => {
                self.error_at(span, format!("`{name}` must be a size or a list of sizes"));
                return None;
            }
            None => default?.to_vec(),
        };
        for size in &sizes {
            if !self.check_whole(size, name, min, span) {
                return None;
            }
        }
        Some(sizes)
    }

    /// A numeric size must be a whole number at least `min`; a symbolic one
    /// must have whole coefficients.
    fn check_whole(&mut self, size: &Size, name: &str, min: i64, span: Option<Span>) -> bool {
        let bound = if min <= 0 { "at least 0" } else { "at least 1" };
        match size.as_constant() {
            Some(value) if !value.is_integer() => {
                let text = crate::conv::format_rational(&value);
                self.error_at(span, format!("`{name}` = {text} is not a whole number"));
                false
            }
            Some(value) if value < BigRational::from_integer(BigInt::from(min)) => {
                let text = crate::conv::format_rational(&value);
                self.error_at(span, format!("`{name}` = {text} must be {bound}"));
                false
            }
            Some(_) => true,
            None if !size.has_integer_coefficients() => {
                let text = size.display(self.store);
                self.error_at(
                    span,
                    format!("`{name}` = {text} is not a whole number for every size"),
                );
                false
            }
            None => true,
        }
    }

    fn required_size(&mut self, args: &Args, name: &str) -> Option<Size> {
        let (size, span) = args.size(name)?;
        let size = size.clone();
        self.check_whole(&size, name, 1, Some(span)).then_some(size)
    }

    /// Records a computed output size: an error when it is a number below 1,
    /// a requirement when it is symbolic.
    fn accept_size(&mut self, axis: &str, size: Size, text: String) -> Size {
        match size.as_constant() {
            Some(value) if value < BigRational::one() => {
                self.error(format!(
                    "output size {axis} is {}, which is not positive: {text}",
                    crate::conv::format_rational(&value)
                ));
            }
            Some(_) => {}
            None if size.is_positive_for_positive_symbols(self.store) => {}
            None => self
                .outcome
                .positive
                .push((size.clone(), format!("{axis}: {text} ≥ 1"))),
        }
        self.outcome.formulas.push(SizeFormula {
            axis: axis.to_string(),
            text,
        });
        size
    }

    // ----- convolution -----

    fn conv(&mut self, axes: usize, args: &Args) {
        if !self.expect_rank(axes, &self.layer.kind.name.clone()) {
            return;
        }
        let channels = self.input[0].clone();
        let ones = vec![Size::int(1); axes];
        let zeros = vec![Size::zero(); axes];
        let out = self.required_size(args, "out");
        let kernel = self.per_axis(args, "kernel", axes, None, 1);
        let stride = self.per_axis(args, "stride", axes, Some(&ones), 1);
        let dilation = self.per_axis(args, "dilation", axes, Some(&ones), 1);
        let groups = match args.size("groups") {
            Some((g, span)) => {
                let g = g.clone();
                self.check_whole(&g, "groups", 1, Some(span)).then_some(g)
            }
            None => Some(Size::int(1)),
        };
        let padding = match args.values.get("padding") {
            Some((Value::Same, _)) => Some(Padding::Same),
            Some((Value::Valid, _)) | None => Some(Padding::Explicit(zeros)),
            Some(_) => self
                .per_axis(args, "padding", axes, None, 0)
                .map(Padding::Explicit),
        };
        let (Some(out), Some(kernel), Some(stride), Some(dilation), Some(groups), Some(padding)) =
            (out, kernel, stride, dilation, groups, padding)
        else {
            return;
        };
        if let Some((declared, span)) = args.size("in") {
            if *declared != channels {
                let (declared, actual) =
                    (declared.display(self.store), channels.display(self.store));
                self.error_at(
                    Some(span),
                    format!("`in = {declared}` but the input has {actual} channels"),
                );
                return;
            }
        }
        for (what, count) in [("input channels", &channels), ("output channels", &out)] {
            if super::size::divides(&groups, count) == Some(false) {
                let (g, c) = (groups.display(self.store), count.display(self.store));
                self.error(format!("groups = {g} does not divide the {c} {what}"));
                return;
            }
        }
        let names = axis_names(axes);
        let mut output = vec![out.clone()];
        for axis in 0..axes {
            let size = &self.input[axis + 1];
            let computed = match &padding {
                Padding::Same => {
                    if stride[axis] != Size::int(1) {
                        let s = stride[axis].display(self.store);
                        self.error_at(
                            args.span("padding"),
                            format!("padding = same needs stride 1 (PyTorch rejects it for strided convolutions), got stride {s}"),
                        );
                        return;
                    }
                    let text = format!("{} (padding = same)", size.display(self.store));
                    self.accept_size(names[axis], size.clone(), text)
                }
                Padding::Explicit(pad) => {
                    let (value, text) = self.window_count(
                        size,
                        &pad[axis],
                        &kernel[axis],
                        &stride[axis],
                        Some(&dilation[axis]),
                        false,
                    );
                    self.accept_size(names[axis], value, text)
                }
            };
            output.push(computed);
        }
        let fan_in = channels.mul(&kernel.iter().fold(Size::int(1), |acc, k| acc.mul(k)));
        let fan_in = match groups.as_constant() {
            Some(g) => fan_in.scale(&g.recip()),
            None => {
                let g = groups.to_expr(self.store);
                let inverse = self.store.recip(g);
                fan_in.mul(&Size::atom(inverse))
            }
        };
        self.outcome.weights = out.mul(&fan_in);
        self.outcome.bias = out;
        self.outcome.bias_enabled = args.flag("bias", true);
        // torchinfo: a convolution's parameters once per output position
        let positions = output[1..].iter().fold(Size::int(1), |acc, s| acc.mul(s));
        self.outcome.mult_adds = self.declared().mul(&positions);
        self.outcome.output = output;
    }

    /// The parameters as declared (with the bias unless it is switched off).
    fn declared(&self) -> Size {
        if self.outcome.bias_enabled {
            self.outcome.weights.add(&self.outcome.bias)
        } else {
            self.outcome.weights.clone()
        }
    }

    /// The number of windows along one axis, PyTorch's formula with the numbers:
    /// `⌊(in + 2·p − d·(k − 1) − 1)/s⌋ + 1` (no dilation term for average pooling),
    /// with ceil mode's rule for a last window starting in the right padding.
    fn window_count(
        &mut self,
        size: &Size,
        pad: &Size,
        kernel: &Size,
        stride: &Size,
        dilation: Option<&Size>,
        ceil_mode: bool,
    ) -> (Size, String) {
        let span_of_kernel = match dilation {
            Some(d) => d.mul(&kernel.sub(&Size::int(1))).add(&Size::int(1)),
            None => kernel.clone(),
        };
        let numerator = size
            .add(&pad.scale(&BigRational::from_integer(2.into())))
            .sub(&span_of_kernel);
        let quotient = if ceil_mode {
            numerator.ceil_div(stride, self.store)
        } else {
            numerator.floor_div(stride, self.store)
        };
        let mut value = quotient.add(&Size::int(1));
        let (open, close) = if ceil_mode {
            ("⌈", "⌉")
        } else {
            ("⌊", "⌋")
        };
        let (t_in, t_pad, t_k, t_s) = (
            self.term(size),
            self.term(pad),
            self.term(kernel),
            self.term(stride),
        );
        let inner = match dilation {
            Some(d) => {
                let t_d = self.term(d);
                format!("{t_in} + 2·{t_pad} − {t_d}·({t_k} − 1) − 1")
            }
            None => format!("{t_in} + 2·{t_pad} − {t_k}"),
        };
        let mut text = format!(
            "{open}({inner})/{t_s}{close} + 1 = {}",
            value.display(self.store)
        );
        if ceil_mode {
            // PyTorch drops a last window that would start in the right padding
            let last_start = value.sub(&Size::int(1)).mul(stride);
            let limit = size.add(pad);
            match last_start.sub(&limit).as_constant() {
                Some(excess) if !excess.is_negative() => {
                    let before = value.display(self.store);
                    value = value.sub(&Size::int(1));
                    let t_limit = self.term(&limit);
                    let t_start = self.term(&last_start);
                    text = format!(
                        "{text}, but the last window would start in the right padding ({t_start} ≥ {t_limit}), so {before} − 1 = {}",
                        value.display(self.store)
                    );
                }
                Some(_) => {}
                None => {
                    let note = format!(
                        "{}: with ceil_mode and symbolic sizes the output assumes the last window starts inside the input or left padding",
                        who(self.layer)
                    );
                    // one warning per layer, not one per axis
                    if !self.outcome.warnings.iter().any(|w| w.message == note) {
                        self.outcome
                            .warnings
                            .push(Diagnostic::warning(self.layer.span, note));
                    }
                }
            }
        }
        (value, text)
    }

    // ----- pooling -----

    fn pool(&mut self, axes: usize, args: &Args, kind: PoolKind) {
        if !self.expect_rank(axes, &self.layer.kind.name.clone()) {
            return;
        }
        let ones = vec![Size::int(1); axes];
        let zeros = vec![Size::zero(); axes];
        let Some(kernel) = self.per_axis(args, "kernel", axes, None, 1) else {
            return;
        };
        // PyTorch: the stride defaults to the kernel size
        let stride = self.per_axis(args, "stride", axes, Some(&kernel), 1);
        let padding = self.per_axis(args, "padding", axes, Some(&zeros), 0);
        let dilation = self.per_axis(args, "dilation", axes, Some(&ones), 1);
        let (Some(stride), Some(padding), Some(dilation)) = (stride, padding, dilation) else {
            return;
        };
        let ceil_mode = args.flag("ceil_mode", false);
        let names = axis_names(axes);
        let mut output = vec![self.input[0].clone()];
        for axis in 0..axes {
            // PyTorch checks the padding against half the raw kernel (`kW/2 >= padW`),
            // which is stricter than half the dilated one
            if let (Some(k), Some(p)) = (kernel[axis].as_integer(), padding[axis].as_integer()) {
                if p.clone() * 2 > k {
                    self.error_at(
                        args.span("padding"),
                        format!(
                            "padding {p} on axis {} is more than half the kernel {k} (PyTorch: pad should be at most half of the kernel size)",
                            names[axis]
                        ),
                    );
                    return;
                }
            }
            // PyTorch's avg_pool3d also needs every input size at least the kernel
            if let (PoolKind::Avg, 3) = (kind, axes) {
                let input = self.input[axis + 1].clone();
                if let (Some(k), Some(n)) = (kernel[axis].as_integer(), input.as_integer()) {
                    if n < k {
                        self.error(format!(
                            "input size {n} on axis {} is smaller than the kernel {k} (PyTorch's avg_pool3d: input image smaller than kernel size)",
                            names[axis]
                        ));
                        return;
                    }
                }
            }
            let dil = match kind {
                PoolKind::Max => Some(&dilation[axis]),
                PoolKind::Avg => None,
            };
            let (value, text) = self.window_count(
                &self.input[axis + 1].clone(),
                &padding[axis],
                &kernel[axis],
                &stride[axis],
                dil,
                ceil_mode,
            );
            output.push(self.accept_size(names[axis], value, text));
        }
        self.outcome.output = output;
    }

    fn adaptive(&mut self, axes: Option<usize>, args: &Args) {
        let spatial = self.input.len().saturating_sub(1);
        let axes = match (axes, args.values.get("output")) {
            (Some(n), _) => n,
            (None, Some((Value::Sizes(list), _))) => list.len(),
            (None, _) => spatial,
        };
        if axes == 0 || !self.expect_rank(axes, &self.layer.kind.name.clone()) {
            if axes == 0 {
                self.error("needs an input with at least one spatial size".to_string());
            }
            return;
        }
        let Some(sizes) = self.per_axis(args, "output", axes, None, 1) else {
            return;
        };
        self.outcome.output = std::iter::once(self.input[0].clone())
            .chain(sizes)
            .collect();
    }

    // ----- dense layers -----

    fn linear(&mut self, args: &Args) {
        let Some(features) = self.input.last().cloned() else {
            self.error("has an empty input shape".to_string());
            return;
        };
        let Some(out) = self.required_size(args, "out") else {
            return;
        };
        if let Some((declared, span)) = args.size("in") {
            if *declared != features {
                let shape = self.shape_text(self.input);
                let (d, f) = (declared.display(self.store), features.display(self.store));
                self.error_at(
                    Some(span),
                    format!("`in = {d}` does not match the input: the previous output is {shape}, whose last size is {f}"),
                );
                return;
            }
        }
        // a sequence [length, features] is the usual input; a feature map is suspicious
        if self.input.len() > 2 {
            let shape = self.shape_text(self.input);
            let f = features.display(self.store);
            let message = format!(
                "{}: linear acts on the last size only ({f} of {shape}), as in PyTorch; is a `flatten` missing before it?",
                who(self.layer)
            );
            self.outcome
                .warnings
                .push(Diagnostic::warning(self.layer.span, message));
        }
        let mut output = self.input.to_vec();
        let last = output.len() - 1;
        output[last] = out.clone();
        self.outcome.weights = features.mul(&out);
        self.outcome.bias = out;
        self.outcome.bias_enabled = args.flag("bias", true);
        self.outcome.mult_adds = self.declared();
        self.outcome.output = output;
    }

    fn flatten(&mut self, args: &Args) {
        let rank = self.input.len() as i64;
        let index = |name: &str, default: i64| -> Result<i64, String> {
            let raw = match args.number(name) {
                Some((value, _)) => value
                    .to_integer()
                    .to_i64()
                    .ok_or(format!("`{name}` is too large"))?,
                None => default,
            };
            let resolved = if raw < 0 { raw + rank } else { raw };
            if resolved < 0 || resolved >= rank {
                return Err(format!(
                    "`{name} = {raw}` is outside the {rank} per-sample dimensions (0 to {})",
                    rank - 1
                ));
            }
            Ok(resolved)
        };
        let (start, end) = match (index("start_dim", 0), index("end_dim", -1)) {
            (Ok(s), Ok(e)) if s <= e => (s as usize, e as usize),
            (Ok(s), Ok(e)) => {
                self.error(format!("start_dim {s} comes after end_dim {e}"));
                return;
            }
            (Err(message), _) | (_, Err(message)) => {
                self.error(message);
                return;
            }
        };
        let merged = self.input[start..=end]
            .iter()
            .fold(Size::int(1), |acc, s| acc.mul(s));
        let factors: Vec<String> = self.input[start..=end]
            .to_vec()
            .iter()
            .map(|s| self.term(s))
            .collect();
        let text = format!("{} = {}", factors.join("·"), merged.display(self.store));
        self.outcome.formulas.push(SizeFormula {
            axis: "features".to_string(),
            text,
        });
        let mut output = self.input[..start].to_vec();
        output.push(merged);
        output.extend_from_slice(&self.input[end + 1..]);
        self.outcome.output = output;
    }

    fn batchnorm(&mut self, axes: Option<usize>, args: &Args) {
        let rank_ok = match axes {
            Some(1) => matches!(self.input.len(), 1 | 2),
            Some(n) => self.input.len() == n + 1,
            None => !self.input.is_empty(),
        };
        if !rank_ok {
            let shape = self.shape_text(self.input);
            let expected = match axes {
                Some(1) => "[features] or [channels, length]".to_string(),
                Some(n) => format!("[channels, {}]", axis_names(n).join(", ").to_lowercase()),
                None => "[channels, ...]".to_string(),
            };
            self.error(format!(
                "expects a per-sample input {expected}, got {shape}"
            ));
            return;
        }
        let channels = self.input[0].clone();
        if let Some((declared, span)) = args.size("features") {
            if *declared != channels {
                let (d, c) = (declared.display(self.store), channels.display(self.store));
                self.error_at(
                    Some(span),
                    format!("`features = {d}` but the input has {c} channels"),
                );
                return;
            }
        }
        if args.flag("track_running_stats", true) {
            // running_mean and running_var per channel, num_batches_tracked
            self.outcome.buffers = channels
                .scale(&BigRational::from_integer(2.into()))
                .add(&Size::int(1));
        }
        if args.flag("affine", true) {
            self.outcome.weights = channels.clone();
            self.outcome.bias = channels;
            self.outcome.bias_enabled = true;
        }
        self.outcome.mult_adds = self.declared();
        self.outcome.output = self.input.to_vec();
    }

    fn dropout(&mut self, args: &Args) {
        if let Some((p, span)) = args.number("p") {
            if p.is_negative() || *p > BigRational::one() {
                let text = crate::conv::format_rational(p);
                self.error_at(
                    Some(span),
                    format!("dropout probability p = {text} is not between 0 and 1"),
                );
                return;
            }
        }
        self.outcome.output = self.input.to_vec();
    }
}

enum Padding {
    Same,
    Explicit(Vec<Size>),
}
