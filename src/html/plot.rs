//! The plot behind a refuted scalar step drawn as an inline SVG by hand (no
//! script, no library), so the page stays self-contained and deterministic:
//! both sides, where they certainly differ shaded, the counterexample marked.

use crate::html::mathml::escape;
use crate::picture::Plot;

/// A round step for about `count` ticks over `span`.
fn tick_step(span: f64, count: f64) -> f64 {
    let raw = span / count;
    let magnitude = 10f64.powf(raw.log10().floor());
    let unit = raw / magnitude;
    let nice = if unit < 1.5 {
        1.0
    } else if unit < 3.5 {
        2.0
    } else if unit < 7.5 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

fn number_label(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if v.abs() >= 1e5 || v.abs() < 1e-3 {
        return format!("{v:.1e}");
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.replace('-', "−")
}

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 62.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 44.0;

/// The plot as an inline `<svg>`: both sides, the shaded region where they
/// differ, the counterexample marked (class `counterexample`), axes and a legend.
pub fn svg(plot: &Plot, id: &str) -> String {
    // the x range where either side is defined (a domain such as `t > 0` trims it)
    let xs: Vec<f64> = plot
        .samples
        .iter()
        .filter(|s| s.lhs.is_some() || s.rhs.is_some())
        .map(|s| s.x)
        .chain([plot.at])
        .collect();
    let xs = {
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        [lo, hi]
    };
    let (Some(&x_lo), Some(&x_hi)) = (xs.first(), xs.last()) else {
        return String::new();
    };
    let mut ys: Vec<f64> = plot
        .samples
        .iter()
        .flat_map(|s| [s.lhs, s.rhs])
        .flatten()
        .collect();
    ys.sort_by(|a, b| a.total_cmp(b));
    // the 2%..98% band, so one pole does not flatten the rest; the marked values always show
    let pick = |q: f64| {
        ys.get(((ys.len() as f64 - 1.0) * q).round() as usize)
            .copied()
    };
    let mut y_lo = pick(0.02).unwrap_or(-1.0);
    let mut y_hi = pick(0.98).unwrap_or(1.0);
    for v in [plot.at_lhs, plot.at_rhs] {
        if v.is_finite() {
            y_lo = y_lo.min(v);
            y_hi = y_hi.max(v);
        }
    }
    if y_hi - y_lo < 1e-9 * (1.0 + y_hi.abs()) {
        y_lo -= 1.0;
        y_hi += 1.0;
    }
    let pad = (y_hi - y_lo) * 0.08;
    let (y_lo, y_hi) = (y_lo - pad, y_hi + pad);
    let (x_lo, x_hi) = if x_hi > x_lo {
        (x_lo, x_hi)
    } else {
        (x_lo - 1.0, x_hi + 1.0)
    };
    // whole numbers: room for the dots at both ends
    let margin = if plot.integer {
        (x_hi - x_lo) * 0.03
    } else {
        0.0
    };
    let (x_lo, x_hi) = (x_lo - margin, x_hi + margin);
    let px = |x: f64| LEFT + (x - x_lo) / (x_hi - x_lo) * (WIDTH - LEFT - RIGHT);
    let py = |y: f64| TOP + (y_hi - y) / (y_hi - y_lo) * (HEIGHT - TOP - BOTTOM);
    let inside = |y: f64| y >= y_lo && y <= y_hi;
    let mut out = format!(
        "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" aria-label=\"both sides along {}\">",
        escape(&plot.variable)
    );
    out.push_str(&format!(
        "<defs><clipPath id=\"clip-{id}\"><rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{}\" height=\"{}\"/></clipPath></defs>",
        WIDTH - LEFT - RIGHT,
        HEIGHT - TOP - BOTTOM
    ));
    out.push_str(&format!(
        "<rect class=\"frame\" x=\"{LEFT}\" y=\"{TOP}\" width=\"{}\" height=\"{}\" fill=\"#fff\" stroke=\"#bbb\"/>",
        WIDTH - LEFT - RIGHT,
        HEIGHT - TOP - BOTTOM
    ));
    // grid and ticks
    let mut step = tick_step(x_hi - x_lo, 6.0);
    if plot.integer {
        step = step.max(1.0);
    }
    let mut t = (x_lo / step).ceil() * step;
    while t <= x_hi + step * 1e-9 {
        let x = px(t);
        out.push_str(&format!(
            "<line x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#eee\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
            HEIGHT - BOTTOM,
            HEIGHT - BOTTOM + 14.0,
            number_label(t)
        ));
        t += step;
    }
    let step = tick_step(y_hi - y_lo, 5.0);
    let mut t = (y_lo / step).ceil() * step;
    while t <= y_hi + step * 1e-9 {
        let y = py(t);
        out.push_str(&format!(
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#eee\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#555\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 5.0,
            y + 4.0,
            number_label(t)
        ));
        t += step;
    }
    out.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\" font-style=\"italic\">{}</text>",
        LEFT + (WIDTH - LEFT - RIGHT) / 2.0,
        HEIGHT - 8.0,
        escape(&plot.variable)
    ));
    out.push_str(&format!("<g clip-path=\"url(#clip-{id})\">"));
    // where the sides certainly differ: the band between them (at whole
    // numbers, a bar between the two dots)
    let clamp = |y: f64| py(y.clamp(y_lo, y_hi));
    for s in plot.samples.iter().filter(|_| plot.integer) {
        let (Some(l), Some(r), true) = (s.lhs, s.rhs, s.differ) else {
            continue;
        };
        let (top, bottom) = (clamp(l.max(r)), clamp(l.min(r)));
        out.push_str(&format!(
            "<rect class=\"differ\" x=\"{:.1}\" y=\"{top:.1}\" width=\"6\" height=\"{:.1}\" fill=\"#f4a7a7\" fill-opacity=\"0.6\"/>",
            px(s.x) - 3.0,
            bottom - top
        ));
    }
    for pair in plot.samples.windows(2).filter(|_| !plot.integer) {
        let (a, b) = (pair[0], pair[1]);
        let (Some(al), Some(ar), Some(bl), Some(br)) = (a.lhs, a.rhs, b.lhs, b.rhs) else {
            continue;
        };
        if !(a.differ && b.differ) {
            continue;
        }
        out.push_str(&format!(
            "<polygon class=\"differ\" points=\"{:.1},{:.1} {:.1},{:.1} {:.1},{:.1} {:.1},{:.1}\" fill=\"#f4a7a7\" fill-opacity=\"0.45\"/>",
            px(a.x), clamp(al), px(b.x), clamp(bl), px(b.x), clamp(br), px(a.x), clamp(ar)
        ));
    }
    // the two sides, broken where undefined or off the chart
    for (class, color, dash, side) in [
        ("lhs", "#1f5fbf", "", 0),
        ("rhs", "#d9480f", " stroke-dasharray=\"6 4\"", 1),
    ] {
        let mut path = String::new();
        let mut pen_down = false;
        for s in &plot.samples {
            let y = if side == 0 { s.lhs } else { s.rhs };
            match y.filter(|&y| inside(y)) {
                Some(y) => {
                    path.push_str(&format!(
                        "{}{:.1},{:.1} ",
                        if pen_down { "L" } else { "M" },
                        px(s.x),
                        py(y)
                    ));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        // whole numbers: a dot at each, joined by a faint line to guide the eye
        let weight = if plot.integer {
            " stroke-width=\"1\" stroke-opacity=\"0.4\""
        } else {
            " stroke-width=\"2\""
        };
        out.push_str(&format!(
            "<path class=\"{class}\" d=\"{}\" fill=\"none\" stroke=\"{color}\"{weight}{dash}/>",
            path.trim_end()
        ));
        for s in plot.samples.iter().filter(|_| plot.integer) {
            let y = if side == 0 { s.lhs } else { s.rhs };
            if let Some(y) = y.filter(|&y| inside(y)) {
                out.push_str(&format!(
                    "<circle class=\"{class}-dot\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{color}\"/>",
                    px(s.x),
                    py(y)
                ));
            }
        }
    }
    out.push_str("</g>");
    // the counterexample
    let cx = px(plot.at);
    out.push_str(&format!(
        "<g class=\"counterexample\"><line x1=\"{cx:.1}\" y1=\"{TOP}\" x2=\"{cx:.1}\" y2=\"{:.1}\" stroke=\"#333\" stroke-dasharray=\"2 3\"/>",
        HEIGHT - BOTTOM
    ));
    for (v, color) in [(plot.at_lhs, "#1f5fbf"), (plot.at_rhs, "#d9480f")] {
        if v.is_finite() {
            out.push_str(&format!(
                "<circle class=\"counterexample\" cx=\"{cx:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"{color}\" stroke=\"#000\"/>",
                py(v)
            ));
        }
    }
    let anchor = if cx > WIDTH * 0.7 { "end" } else { "start" };
    let shift = if anchor == "end" { -6.0 } else { 6.0 };
    out.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"{anchor}\" fill=\"#000\">{}</text></g>",
        cx + shift,
        TOP + 14.0,
        escape(&plot.at_label)
    ));
    // legend
    let lx = LEFT + 10.0;
    out.push_str(&format!(
        "<g class=\"legend\" font-size=\"11\"><rect x=\"{lx}\" y=\"{:.1}\" width=\"176\" height=\"54\" fill=\"#fff\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\
         <line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#1f5fbf\" stroke-width=\"2\"/><text x=\"{:.1}\" y=\"{:.1}\">left side</text>\
         <line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#d9480f\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/><text x=\"{:.1}\" y=\"{:.1}\">right side</text>\
         <rect x=\"{:.1}\" y=\"{:.1}\" width=\"22\" height=\"9\" fill=\"#f4a7a7\" fill-opacity=\"0.6\"/><text x=\"{:.1}\" y=\"{:.1}\">sides differ (certainly)</text></g>",
        TOP + 24.0,
        lx + 6.0, TOP + 36.0, lx + 28.0, TOP + 36.0, lx + 34.0, TOP + 40.0,
        lx + 6.0, TOP + 52.0, lx + 28.0, TOP + 52.0, lx + 34.0, TOP + 56.0,
        lx + 6.0, TOP + 63.0, lx + 34.0, TOP + 71.0,
    ));
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        for (span, count, step) in [
            (10.0, 5.0, 2.0),
            (1.0, 5.0, 0.2),
            (4.0, 6.0, 0.5),
            (700.0, 6.0, 100.0),
        ] {
            assert!(
                (tick_step(span, count) - step).abs() < 1e-12,
                "{span}/{count}"
            );
        }
        assert_eq!(number_label(-0.5), "−0.5");
    }
}
