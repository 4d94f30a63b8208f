//! Layers of sequence models and their parts: norms, embeddings, attention,
//! transformer encoder layers, recurrent layers, residual sums and `select`.
//!
//! Parameter counts are PyTorch's (see `docs/language.md`, "Networks"):
//!
//! * `LayerNorm(d)`: weight and bias of `d` each; `RMSNorm(d)`: weight only.
//! * `Embedding(n, d)`: weight `n·d`.
//! * `MultiheadAttention(d, h)`: the packed `in_proj_weight` `3d·d` (or
//!   `d·(d + kdim + vdim)` with other key and value sizes), `in_proj_bias` `3d`,
//!   `out_proj` `d·d + d`; `add_bias_kv` adds `bias_k` and `bias_v`, `d` each.
//! * `TransformerEncoderLayer(d, h, ff)`: attention, `linear1` `d·ff + ff`,
//!   `linear2` `ff·d + d`, `norm1` and `norm2` `2d` each.
//! * `LSTM`/`GRU`/`RNN` with `g` = 4/3/1 gates, per layer and direction:
//!   `weight_ih` `g·H·in`, `weight_hh` `g·H·R`, `bias_ih` and `bias_hh` `g·H`
//!   each (two bias vectors), LSTM's `weight_hr` `P·H` with `proj_size = P`;
//!   `R` is `P` if set, else `H`; `in` is the input size for the first layer and
//!   `dirs·R` above it.
//!
//! Mult-adds follow torchinfo's rule by parameter name: a parameter named
//! `weight` or `bias` counts once per sample; any other weight or bias
//! (`in_proj_weight`, `weight_ih_l0`) counts once per position of the sequence.

use super::{who, Args, Cell, LayerContext, Value};
use crate::shape::size::{divides, Size};
use crate::shape::SizeFormula;
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{Signed, ToPrimitive};

impl LayerContext<'_> {
    /// The input as `[length, features]`, the per-sample shape of a sequence.
    fn sequence_input(&mut self) -> Option<(Size, Size)> {
        if let [length, features] = self.input {
            return Some((length.clone(), features.clone()));
        }
        let shape = self.shape_text(self.input);
        self.error(format!(
            "expects a per-sample input [length, features], got {shape} of rank {}",
            self.input.len()
        ));
        None
    }

    /// The last size of the input, checked against a declared `name = ...`.
    fn features(&mut self, args: &Args, name: &str) -> Option<Size> {
        let Some(features) = self.input.last().cloned() else {
            self.error("has an empty input shape".to_string());
            return None;
        };
        if let Some((declared, span)) = args.size(name) {
            if *declared != features {
                let shape = self.shape_text(self.input);
                let (d, f) = (declared.display(self.store), features.display(self.store));
                self.error_at(
                    Some(span),
                    format!(
                        "`{name} = {d}` does not match the input {shape}, whose last size is {f}"
                    ),
                );
                return None;
            }
        }
        Some(features)
    }

    /// An optional size argument, whole and at least `min`, or its default.
    fn optional_size(&mut self, args: &Args, name: &str, default: Size, min: i64) -> Option<Size> {
        match args.size(name) {
            Some((size, span)) => {
                let size = size.clone();
                self.check_whole(&size, name, min, Some(span))
                    .then_some(size)
            }
            None => Some(default),
        }
    }

    fn params_formula(&mut self, text: String) {
        self.outcome.formulas.push(SizeFormula {
            axis: "params".to_string(),
            text,
        });
    }

    // ----- norms and embeddings -----

    /// `normalized_shape`: one size (the last) or a list of the trailing sizes,
    /// whose product is the size of the weight (and bias).
    fn normalized_size(&mut self, args: &Args) -> Option<Size> {
        let Some((Value::Sizes(list), span)) = args.values.get("features") else {
            return self.features(args, "features");
        };
        let (list, span) = (list.clone(), *span);
        let rank = self.input.len();
        if list.is_empty() || list.len() > rank || list[..] != self.input[rank - list.len()..] {
            let (given, shape) = (self.shape_text(&list), self.shape_text(self.input));
            self.error_at(
                Some(span),
                format!("`features = {given}` is not the trailing sizes of the input {shape}"),
            );
            return None;
        }
        Some(list.iter().fold(Size::int(1), |acc, s| acc.mul(s)))
    }

    pub(super) fn layernorm(&mut self, args: &Args, rms: bool) {
        let Some(features) = self.normalized_size(args) else {
            return;
        };
        if args.flag("affine", true) {
            self.outcome.weights = features.clone();
            if !rms {
                self.outcome.bias = features;
                self.outcome.bias_enabled = args.flag("bias", true);
            }
        }
        self.outcome.mult_adds = self.declared();
        self.outcome.output = self.input.to_vec();
    }

    pub(super) fn embedding(&mut self, args: &Args) {
        let num = self.required_size(args, "num");
        let dim = self.required_size(args, "dim");
        let (Some(num), Some(dim)) = (num, dim) else {
            return;
        };
        if let (Some((index, span)), Some(n)) = (args.number("padding_idx"), num.as_integer()) {
            let index = index.to_integer();
            if index >= n || index < -n.clone() {
                self.error_at(
                    Some(span),
                    format!("padding_idx {index} is outside the {n} embeddings (PyTorch: it must be within num_embeddings)"),
                );
                return;
            }
        }
        self.outcome.weights = num.mul(&dim);
        self.outcome.mult_adds = self.outcome.weights.clone();
        let mut output = self.input.to_vec();
        output.push(dim);
        self.outcome.output = output;
    }

    // ----- attention -----

    /// The parameters of `nn.MultiheadAttention(d, heads)` on a `[length, d]`
    /// input: `(in-projection, out-projection, weights, biases)` with the
    /// declared bias.
    fn attention_counts(
        &mut self,
        args: &Args,
        d: &Size,
        heads: &Size,
        bias: bool,
    ) -> Option<AttentionCounts> {
        if divides(heads, d) == Some(false) {
            let (h, e) = (heads.display(self.store), d.display(self.store));
            self.error(format!(
                "embed_dim {e} is not divisible by num_heads {h} (PyTorch: embed_dim must be divisible by num_heads)"
            ));
            return None;
        }
        let kdim = self.optional_size(args, "kdim", d.clone(), 1)?;
        let vdim = self.optional_size(args, "vdim", d.clone(), 1)?;
        let in_weight = d.mul(&d.add(&kdim).add(&vdim));
        let in_bias = d.scale(&int(3));
        let out_weight = d.mul(d);
        let out_bias = d.clone();
        let bias_kv = if args.flag("add_bias_kv", false) {
            d.scale(&int(2))
        } else {
            Size::zero()
        };
        let in_proj =
            in_weight
                .add(&bias_kv)
                .add(&if bias { in_bias.clone() } else { Size::zero() });
        let out_proj = out_weight.add(&if bias { out_bias.clone() } else { Size::zero() });
        let (td, tk, tv) = (self.term(d), self.term(&kdim), self.term(&vdim));
        let in_text = if kdim == *d && vdim == *d {
            format!("in_proj_weight 3·{td}·{td}")
        } else {
            format!("q, k, v_proj_weight {td}·({td} + {tk} + {tv})")
        };
        let mut text = in_text;
        if bias {
            text.push_str(&format!(" + in_proj_bias 3·{td}"));
        }
        if bias_kv != Size::zero() {
            text.push_str(&format!(" + bias_k, bias_v 2·{td}"));
        }
        text.push_str(&format!(" + out_proj {td}·{td}"));
        if bias {
            text.push_str(&format!(" + {td}"));
        }
        Some(AttentionCounts {
            weights: in_weight.add(&out_weight).add(&bias_kv),
            bias: in_bias.add(&out_bias),
            in_proj,
            out_proj,
            text,
        })
    }

    pub(super) fn attention(&mut self, args: &Args) {
        let Some((length, _)) = self.sequence_input() else {
            return;
        };
        let Some(d) = self.features(args, "dim") else {
            return;
        };
        let Some(heads) = self.required_size(args, "heads") else {
            return;
        };
        let bias = args.flag("bias", true);
        let Some(counts) = self.attention_counts(args, &d, &heads, bias) else {
            return;
        };
        self.outcome.weights = counts.weights;
        self.outcome.bias = counts.bias;
        self.outcome.bias_enabled = bias;
        self.outcome.mult_adds = length.mul(&counts.in_proj).add(&counts.out_proj);
        let total = self.declared().display(self.store);
        self.params_formula(format!("{} = {total}", counts.text));
        self.outcome.output = self.input.to_vec();
    }

    /// `nn.TransformerEncoderLayer`, or `layers` of them (`nn.TransformerEncoder`
    /// without a final norm).
    pub(super) fn encoder_layer(&mut self, args: &Args, stack: bool) {
        let Some((length, _)) = self.sequence_input() else {
            return;
        };
        let Some(d) = self.features(args, "dim") else {
            return;
        };
        let Some(heads) = self.required_size(args, "heads") else {
            return;
        };
        let Some(ff) = self.optional_size(args, "feedforward", Size::int(2048), 1) else {
            return;
        };
        let count = if stack {
            match self.required_size(args, "layers") {
                Some(n) => n,
                None => return,
            }
        } else {
            Size::int(1)
        };
        // PyTorch's `bias` switches off the biases of attention, both linear
        // layers and both norms
        let bias = args.flag("bias", true);
        let Some(attention) = self.attention_counts(args, &d, &heads, bias) else {
            return;
        };
        let linear_weights = d.mul(&ff).scale(&int(2));
        let linear_bias = ff.add(&d);
        let norm_weights = d.scale(&int(2));
        let norm_bias = d.scale(&int(2));
        let one_weights = attention.weights.add(&linear_weights).add(&norm_weights);
        let one_bias = attention.bias.add(&linear_bias).add(&norm_bias);
        self.outcome.weights = one_weights.mul(&count);
        self.outcome.bias = one_bias.mul(&count);
        self.outcome.bias_enabled = bias;
        let once = |weights: &Size, b: &Size| {
            if bias {
                weights.add(b)
            } else {
                weights.clone()
            }
        };
        let per_sample = attention
            .out_proj
            .add(&once(&linear_weights, &linear_bias))
            .add(&once(&norm_weights, &norm_bias));
        self.outcome.mult_adds = length.mul(&attention.in_proj).add(&per_sample).mul(&count);
        // one line per part, then the sum
        let (td, tf) = (self.term(&d), self.term(&ff));
        let attention_total = once(&attention.weights, &attention.bias);
        let linear_total = once(&linear_weights, &linear_bias);
        let norm_total = once(&norm_weights, &norm_bias);
        let mut parts = Vec::new();
        for (axis, text, value) in [
            ("self_attn", attention.text.clone(), &attention_total),
            (
                "linear1, linear2",
                if bias {
                    format!("{td}·{tf} + {tf} + {tf}·{td} + {td}")
                } else {
                    format!("{td}·{tf} + {tf}·{td}")
                },
                &linear_total,
            ),
            (
                "norm1, norm2",
                if bias {
                    format!("2·{td} + 2·{td}")
                } else {
                    format!("2·{td}")
                },
                &norm_total,
            ),
        ] {
            let value = self.term(value);
            parts.push(value.clone());
            self.outcome.formulas.push(SizeFormula {
                axis: axis.to_string(),
                text: format!("{text} = {value}"),
            });
        }
        let one = once(&one_weights, &one_bias).display(self.store);
        let order = if args.flag("norm_first", false) {
            "pre-norm"
        } else {
            "post-norm"
        };
        let sum = parts.join(" + ");
        if stack {
            let total = self.declared().display(self.store);
            let n = self.term(&count);
            self.params_formula(format!("{n}·({sum}) = {n}·{one} = {total} ({order})"));
        } else {
            self.params_formula(format!("{sum} = {one} ({order})"));
        }
        self.outcome.output = self.input.to_vec();
    }

    // ----- recurrent layers -----

    pub(super) fn recurrent(&mut self, args: &Args, cell: Cell) {
        let Some((length, _)) = self.sequence_input() else {
            return;
        };
        let Some(input_size) = self.features(args, "in") else {
            return;
        };
        let Some(hidden) = self.required_size(args, "hidden") else {
            return;
        };
        let Some(layers) = self.optional_size(args, "layers", Size::int(1), 1) else {
            return;
        };
        let Some(proj) = self.optional_size(args, "proj", Size::zero(), 0) else {
            return;
        };
        if let (Some(p), Some(h)) = (proj.as_integer(), hidden.as_integer()) {
            if p >= h {
                self.error_at(
                    args.span("proj"),
                    format!(
                        "proj_size {p} must be smaller than hidden_size {h}, as PyTorch requires"
                    ),
                );
                return;
            }
        }
        let projected = !proj.is_constant() || proj.as_integer().is_some_and(|p| p.is_positive());
        let out = if projected {
            proj.clone()
        } else {
            hidden.clone()
        };
        let directions = if args.flag("bidirectional", false) {
            2
        } else {
            1
        };
        let g = cell.gates();
        let gates_hidden = hidden.scale(&int(g));
        // every layer reads `out` per direction from the one below, except the first
        let above = layers.sub(&Size::int(1));
        let inputs = input_size.add(&above.mul(&out).scale(&int(directions)));
        let weight_ih = gates_hidden.mul(&inputs);
        let weight_hh = gates_hidden.mul(&out).mul(&layers);
        let weight_hr = if projected {
            proj.mul(&hidden).mul(&layers)
        } else {
            Size::zero()
        };
        let weights = weight_ih
            .add(&weight_hh)
            .add(&weight_hr)
            .scale(&int(directions));
        let biases = gates_hidden
            .scale(&int(2))
            .mul(&layers)
            .scale(&int(directions));
        self.outcome.weights = weights;
        self.outcome.bias = biases;
        self.outcome.bias_enabled = args.flag("bias", true);
        // torchinfo: `weight_ih_l0` and the like count once per position
        self.outcome.mult_adds = length.mul(&self.declared());
        // per direction: weight_ih of the first layer, of the layers above, then
        // weight_hh, weight_hr and the two bias vectors of every layer
        let (th, tin, to) = (self.term(&hidden), self.term(&input_size), self.term(&out));
        let per_layer = |n: &str, rest: String| {
            if n == "1" {
                rest
            } else {
                format!("{n}·{rest}")
            }
        };
        let tl = self.term(&layers);
        let mut text = format!("weight_ih {g}·{th}·{tin}");
        if above != Size::zero() {
            let ta = self.term(&above);
            let width = if directions == 2 {
                format!("2·{to}")
            } else {
                to.clone()
            };
            text.push_str(&format!(
                " + {}",
                per_layer(&ta, format!("{g}·{th}·{width}"))
            ));
        }
        text.push_str(&format!(
            " + weight_hh {}",
            per_layer(&tl, format!("{g}·{th}·{to}"))
        ));
        if projected {
            let tp = self.term(&proj);
            text.push_str(&format!(
                " + weight_hr {}",
                per_layer(&tl, format!("{tp}·{th}"))
            ));
        }
        if self.outcome.bias_enabled {
            text.push_str(&format!(
                " + bias_ih, bias_hh {}",
                per_layer(&tl, format!("2·{g}·{th}"))
            ));
        }
        if directions == 2 {
            text = format!("2 directions × ({text})");
        }
        let total = self.declared().display(self.store);
        self.params_formula(format!("{text} = {total}"));
        self.outcome.output = vec![length, out.scale(&int(directions))];
    }

    // ----- residual sums and select -----

    /// `add(skip = name)`: the previous output plus the output of `name`.
    pub(super) fn add(&mut self, args: &Args) {
        let Some((Value::Layer(name), span)) = args.values.get("skip") else {
            return;
        };
        let (name, span) = (name.clone(), *span);
        let Some(other) = self.outputs.get(&name).cloned() else {
            self.error_at(
                Some(span),
                format!("`skip = {name}` names no earlier layer"),
            );
            return;
        };
        if other.as_slice() != self.input {
            let (here, there) = (self.shape_text(self.input), self.shape_text(&other));
            let mut d = crate::diagnostic::Diagnostic::error(
                self.layer.span,
                format!(
                    "{}: cannot add the output of `{name}`, {there}, to the input {here}: the shapes differ",
                    who(self.layer)
                ),
            )
            .with_label(span, format!("`{name}` is {there}"));
            if other.len() == self.input.len()
                && other
                    .iter()
                    .zip(self.input)
                    .any(|(a, b)| !a.is_constant() || !b.is_constant())
            {
                d = d.with_note(
                    "symbolic sizes must be the same expression; use one `dim` for both",
                );
            }
            self.errors.push(d);
            return;
        }
        self.outcome.output = self.input.to_vec();
    }

    /// `select(dim = k, index = i)`: `x[..., i, ...]` along per-sample axis `k`,
    /// which drops that axis (BERT's pooler reads the first token this way).
    pub(super) fn select(&mut self, args: &Args) {
        let rank = self.input.len() as i64;
        let read = |name: &str| -> Option<(i64, Option<crate::span::Span>)> {
            match args.number(name) {
                Some((value, span)) => value.to_integer().to_i64().map(|v| (v, Some(span))),
                None => Some((0, None)),
            }
        };
        let (Some((dim, dim_span)), Some((index, index_span))) = (read("dim"), read("index"))
        else {
            self.error("`dim` or `index` is too large".to_string());
            return;
        };
        let axis = if dim < 0 { dim + rank } else { dim };
        if axis < 0 || axis >= rank {
            self.error_at(
                dim_span,
                format!(
                    "`dim = {dim}` is outside the {rank} per-sample dimensions (0 to {})",
                    rank - 1
                ),
            );
            return;
        }
        let axis = axis as usize;
        if let Some(size) = self.input[axis].as_integer() {
            let index = BigInt::from(index);
            if index >= size || index < -size.clone() {
                self.error_at(
                    index_span,
                    format!("`index = {index}` is outside the {size} entries of dimension {axis}"),
                );
                return;
            }
        }
        let mut output = self.input.to_vec();
        output.remove(axis);
        self.outcome.output = output;
    }
}

struct AttentionCounts {
    /// Every weight, and `bias_k`, `bias_v` when added.
    weights: Size,
    /// `in_proj_bias` and `out_proj.bias`.
    bias: Size,
    /// The packed in-projection as declared (torchinfo counts it per position).
    in_proj: Size,
    /// `out_proj` as declared (a `Linear`, counted once per sample).
    out_proj: Size,
    /// The count as a formula, without its value.
    text: String,
}

fn int(n: i64) -> BigRational {
    BigRational::from_integer(BigInt::from(n))
}
