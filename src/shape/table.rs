//! The per-net summary table of `nabla shape`, laid out like torchinfo's.

use super::NetShapes;
use crate::expr::{ExprId, Store};

/// Cells wider than this do not set their column's width.
const MAX_ALIGNED_WIDTH: usize = 32;

/// One row: layer, kind, output shape, parameters, running total, formulas.
struct Row {
    cells: [String; 5],
    formulas: Vec<String>,
}

/// A table of every layer with its output shape, parameter count, running
/// total and the size formulas with their numbers, then the totals.
///
/// ```text
/// net cnn
/// Layer  Kind       Output shape    Params  Total  Output sizes
/// ...
/// ```
pub fn summary_table(store: &Store, shapes: &NetShapes) -> String {
    let shape_text = |ids: &[ExprId]| {
        let parts: Vec<String> = ids.iter().map(|&id| number_text(store, id)).collect();
        format!("[{}]", parts.join(", "))
    };
    let mut rows = vec![Row {
        cells: [
            "input".to_string(),
            "input".to_string(),
            shape_text(&shapes.input),
            "0".to_string(),
            "0".to_string(),
        ],
        formulas: Vec::new(),
    }];
    for layer in &shapes.layers {
        rows.push(Row {
            cells: [
                layer.name.clone(),
                layer.kind.clone(),
                shape_text(&layer.output),
                number_text(store, layer.params),
                number_text(store, layer.running_total),
            ],
            formulas: merge_formulas(&layer.formulas),
        });
    }
    let headers = ["Layer", "Kind", "Output shape", "Params", "Total"];
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
    let right_aligned = [false, false, false, true, true];
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
    let header = line(&header_cells, "Output sizes");
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
    out.push_str(&format!(
        "Total params: {}\n",
        number_text(store, shapes.total)
    ));
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

/// A size or count: whole numbers with thousands separators, else the expression.
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
