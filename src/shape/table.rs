//! The per-net summary table of `nabla shape`, laid out like torchinfo's.

use super::NetShapes;
use crate::expr::{ExprId, Store};
use num_traits::Zero;

/// Cells wider than this do not set their column's width.
const MAX_ALIGNED_WIDTH: usize = 40;

/// One row: layer (type), output shape, parameters, mult-adds, formulas.
struct Row {
    cells: [String; 4],
    formulas: Vec<String>,
}

/// A table of every layer in torchinfo's layout (layer and type, output shape,
/// parameters, mult-adds per sample), with the size formulas and their
/// numbers beside each row, then torchinfo's totals: all parameters,
/// trainable and non-trainable, mult-adds; then the buffers and the counts
/// with and without bias.
///
/// ```text
/// net cnn
/// Layer (type)    Output shape  Param #  Mult-adds  Output sizes
/// ...
/// ```
pub fn summary_table(store: &Store, shapes: &NetShapes) -> String {
    let shape_text = |ids: &[ExprId]| {
        let parts: Vec<String> = ids.iter().map(|&id| store.display(id)).collect();
        format!("[{}]", parts.join(", "))
    };
    let mut rows = vec![Row {
        cells: [
            "input".to_string(),
            shape_text(&shapes.input),
            "--".to_string(),
            "--".to_string(),
        ],
        formulas: Vec::new(),
    }];
    for layer in &shapes.layers {
        let params = count_text(store, layer.params);
        // torchinfo puts frozen parameters in parentheses
        let params = if layer.trainable || params == "--" {
            params
        } else {
            format!("({params})")
        };
        rows.push(Row {
            cells: [
                format!("{} ({})", layer.name, layer.kind),
                shape_text(&layer.output),
                params,
                count_text(store, layer.mult_adds),
            ],
            formulas: merge_formulas(&layer.formulas),
        });
    }
    let headers = ["Layer (type)", "Output shape", "Param #", "Mult-adds"];
    let mut widths: Vec<usize> = headers.iter().map(|h| width(h)).collect();
    // a long symbolic cell overflows its column rather than widening it for every row
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(&row.cells) {
            if width(cell) <= MAX_ALIGNED_WIDTH {
                *w = (*w).max(width(cell));
            }
        }
    }
    // numbers are right-aligned, text left-aligned
    let right_aligned = [false, false, true, true];
    let line = |cells: &[String], formula: &str| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let padding = " ".repeat(widths[i].saturating_sub(width(cell)));
            if right_aligned[i] {
                out.push_str(&padding);
                out.push_str(cell);
            } else {
                out.push_str(cell);
                out.push_str(&padding);
            }
            out.push_str("  ");
        }
        out.push_str(formula);
        out.trim_end().to_string()
    };
    let header_cells: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    let header = line(&header_cells, "Output sizes and counts");
    let rule_width = rows
        .iter()
        .map(|r| {
            line(&r.cells, r.formulas.first().map_or("", String::as_str))
                .chars()
                .count()
        })
        .chain([width(&header)])
        .max()
        .unwrap_or(0);
    let rule = "─".repeat(rule_width);
    let mut out = format!("net {}\n{header}\n{rule}\n", shapes.name);
    let blank: Vec<String> = widths.iter().map(|_| String::new()).collect();
    for row in &rows {
        let first = row.formulas.first().map_or("", String::as_str);
        out.push_str(&line(&row.cells, first));
        out.push('\n');
        for more in row.formulas.iter().skip(1) {
            out.push_str(&line(&blank, more));
            out.push('\n');
        }
    }
    out.push_str(&rule);
    out.push('\n');
    let total = number_text(store, shapes.total);
    out.push_str(&format!("Total params: {total}\n"));
    out.push_str(&format!(
        "Trainable params: {}\n",
        number_text(store, shapes.trainable)
    ));
    out.push_str(&format!(
        "Non-trainable params: {}\n",
        number_text(store, shapes.non_trainable)
    ));
    out.push_str(&format!(
        "Total mult-adds: {}\n",
        number_text(store, shapes.mult_adds)
    ));
    if store.as_num(shapes.buffers).is_none_or(|b| !b.is_zero()) {
        out.push_str(&format!(
            "Buffers (not params): {}\n",
            number_text(store, shapes.buffers)
        ));
    }
    if shapes.total_with_bias != shapes.total {
        out.push_str(&format!(
            "Total params with every bias: {}\n",
            number_text(store, shapes.total_with_bias)
        ));
    }
    out.push_str(&format!(
        "Total params without bias: {}\n",
        number_text(store, shapes.total_without_bias)
    ));
    out
}

/// Formula lines of one layer; axes with the same formula share a line
/// (`H, W: ⌊(...)⌋ + 1 = 64`).
fn merge_formulas(formulas: &[super::SizeFormula]) -> Vec<String> {
    let mut merged: Vec<(Vec<&str>, &str)> = Vec::new();
    for f in formulas {
        match merged.iter_mut().find(|(_, text)| *text == f.text) {
            Some((axes, _)) => axes.push(&f.axis),
            None => merged.push((vec![&f.axis], &f.text)),
        }
    }
    merged
        .into_iter()
        .map(|(axes, text)| format!("{}: {text}", axes.join(", ")))
        .collect()
}

/// A count in a cell: `--` for none, as torchinfo writes it.
fn count_text(store: &Store, id: ExprId) -> String {
    match store.as_num(id) {
        Some(r) if r.is_zero() => "--".to_string(),
        _ => number_text(store, id),
    }
}

/// A count: whole numbers with thousands separators, else the expression.
/// Sizes inside shapes never get separators (`[4096]`).
fn number_text(store: &Store, id: ExprId) -> String {
    match store.as_num(id) {
        Some(r) if r.is_integer() => group_thousands(&r.numer().to_string()),
        _ => store.display(id),
    }
}

fn group_thousands(digits: &str) -> String {
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", digits),
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

fn width(text: &str) -> usize {
    text.chars().count()
}
