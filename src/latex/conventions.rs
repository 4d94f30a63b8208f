//! Conventions a document states in words, and the readings the reader picks
//! where the text is silent: the base of `\log`, one-hot labels, Einstein
//! notation; letters written together read as a product, a bare superscript
//! read as the index a sum runs over.
//!
//! What the text states is applied and shown ("`\log` is base 10 (line 3)");
//! what the reader picks is an assumption or an alternative reading, so a
//! refutation never rests on it alone.

use crate::syntax::ast::{BinOp, Expr, ExprKind, Ident};
use std::collections::BTreeSet;

/// The base the text gives `\log`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogBase {
    Natural,
    Ten,
    Two,
}

impl LogBase {
    /// The built-in `\log` becomes under this base.
    pub fn function(self) -> &'static str {
        match self {
            LogBase::Natural => "ln",
            LogBase::Ten => "log10",
            LogBase::Two => "log2",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            LogBase::Natural => "the natural log",
            LogBase::Ten => "the log to base 10",
            LogBase::Two => "the log to base 2",
        }
    }

    /// The bases a silent text leaves open besides the natural log, which the
    /// reader takes.
    pub const OTHERS: [LogBase; 2] = [LogBase::Ten, LogBase::Two];
}

/// The conventions one stretch of prose states.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Conventions {
    pub log_base: Option<LogBase>,
    /// Names the text calls one-hot ("since c is a one-hot vector").
    pub one_hot: Vec<String>,
    /// "using Einstein notation", "the summation convention".
    pub einstein: bool,
    /// Built-in letters the text introduces as its own names ("where $\phi$ is the
    /// activation", "let $H$ be the hidden size").
    pub own_letters: Vec<String>,
}

/// Words that say a line speaks of logarithms.
const LOG_WORDS: &[&str] = &["log", "对数", "로그"];

/// The conventions stated in `prose`, line by line.
pub fn conventions_in(prose: &str) -> Conventions {
    let mut found = Conventions::default();
    for line in prose.lines() {
        let lower = line.to_lowercase();
        if LOG_WORDS.iter().any(|w| lower.contains(w)) {
            let has = |ws: &[&str]| ws.iter().any(|w| lower.contains(w));
            if has(&[
                "natural log",
                "natural logarithm",
                "base e",
                "base-e",
                "népérien",
                "neperien",
                "logaritmo natural",
                "自然对数",
                "자연로그",
                "log is ln",
                "log means ln",
                "log denotes ln",
                "log = ln",
            ]) {
                found.log_base = Some(LogBase::Natural);
            } else if has(&[
                "base 10",
                "base-10",
                "base ten",
                "common log",
                "decimal log",
                "base dix",
                "以10为底",
                "상용로그",
            ]) {
                found.log_base = Some(LogBase::Ten);
            } else if has(&[
                "base 2",
                "base-2",
                "base two",
                "binary log",
                "in bits",
                "以2为底",
            ]) {
                found.log_base = Some(LogBase::Two);
            }
        }
        if [
            "einstein",
            "summation convention",
            "repeated indices are summed",
            "repeated index is summed",
            "sum over repeated",
            "convention de sommation",
            "求和约定",
            "아인슈타인",
        ]
        .iter()
        .any(|w| lower.contains(w))
        {
            found.einstein = true;
        }
        for name in introduced_letters(line) {
            if !found.own_letters.contains(&name) {
                found.own_letters.push(name);
            }
        }
        if let Some(name) = one_hot_name(line) {
            if !found.one_hot.contains(&name) {
                found.one_hot.push(name);
            }
        }
    }
    found
}

/// The name a line calls one-hot: "c is a one-hot vector", "the one-hot label $y$",
/// "$y$ est un vecteur one-hot"; with no such pattern, the line's only inline name.
fn one_hot_name(line: &str) -> Option<String> {
    let lower = line.to_lowercase();
    let marks = ["one-hot", "one hot", "onehot", "独热", "원-핫", "원핫"];
    if !marks.iter().any(|m| lower.contains(m)) {
        return None;
    }
    let clean: String = lower
        .replace("\\mathbf", " ")
        .replace("\\boldsymbol", " ")
        .replace("\\vec", " ")
        .chars()
        .map(|c| if "${}()".contains(c) { ' ' } else { c })
        .collect();
    let words: Vec<&str> = clean
        .split(|c: char| c.is_whitespace() || ",.;:!?".contains(c))
        .filter(|w| !w.is_empty())
        .collect();
    let is_name = |w: &str| {
        w.chars().count() <= 3
            && w.chars().all(|c| c.is_alphanumeric() || c == '_')
            && w.chars().next().is_some_and(char::is_alphabetic)
            && ![
                "a", "an", "is", "the", "of", "un", "une", "est", "es", "so", "to", "it", "we",
                "and", "or", "in", "on", "at", "by", "as", "if", "its", "for", "all", "any", "one",
                "hot", "not", "but", "are", "be", "has", "was", "our", "le", "la", "el",
            ]
            .contains(&w)
    };
    if let Some(at) = words
        .iter()
        .position(|w| w.contains("one-hot") || w.contains("onehot") || *w == "one")
    {
        if let Some(name) = name_around(&words, at, &is_name) {
            return Some(original_case(line, name));
        }
    }
    // the line's only inline math that is a name
    let inline: Vec<&str> = line
        .split('$')
        .skip(1)
        .step_by(2)
        .map(str::trim)
        .filter(|m| m.chars().count() <= 3 && m.chars().all(char::is_alphanumeric))
        .collect();
    match inline.as_slice() {
        [only] if !only.is_empty() => Some((*only).to_string()),
        _ => None,
    }
}

/// "<name> is (a) one-hot", "one-hot (vector|label|encoded) <name>": the name.
fn name_around<'w>(
    words: &[&'w str],
    at: usize,
    is_name: &dyn Fn(&str) -> bool,
) -> Option<&'w str> {
    let copulas = ["is", "are", "est", "es", "be"];
    let mut k = at;
    while k > 0 && ["a", "an", "un", "une", "vector", "vecteur"].contains(&words[k - 1]) {
        k -= 1;
    }
    if k >= 2 && copulas.contains(&words[k - 1]) && is_name(words[k - 2]) {
        return Some(words[k - 2]);
    }
    let fillers = [
        "hot",
        "vector",
        "vectors",
        "label",
        "labels",
        "encoded",
        "encoding",
        "target",
        "targets",
        "representation",
        "of",
        "the",
    ];
    let mut k = at + 1;
    while k < words.len() && fillers.contains(&words[k]) {
        k += 1;
    }
    (k < words.len() && is_name(words[k])).then(|| words[k])
}

/// `word` (lowercased) as the line writes it (`Y` stays `Y`).
fn original_case(line: &str, word: &str) -> String {
    line.split(|c: char| !c.is_alphanumeric() && c != '_')
        .find(|w| w.to_lowercase() == word)
        .unwrap_or(word)
        .to_string()
}

// ----- the document's own letters -----

/// A built-in named by one letter, which a document may use as a name of its own.
pub struct OwnableLetter {
    /// The name the reader gives the letter (`σ` for `\sigma`).
    pub name: &'static str,
    /// The LaTeX spellings of the letter in prose.
    pub spellings: &'static [&'static str],
    /// The name the text's own letter is read as: a look-alike no built-in takes.
    pub own: &'static str,
    /// The built-in in words.
    pub builtin: &'static str,
    /// Words that say the text means the built-in ("the sigmoid").
    pub words: &'static [&'static str],
}

/// The built-ins a document's letter may shadow (`π` and `e` stay constants).
pub const OWNABLE_LETTERS: &[OwnableLetter] = &[
    OwnableLetter {
        name: "σ",
        spellings: &["\\sigma", "σ"],
        own: "ς",
        builtin: "the sigmoid",
        words: &["sigmoid", "logistic", "sigmoïde", "sigmoide"],
    },
    OwnableLetter {
        name: "φ",
        spellings: &["\\varphi", "\\phi", "φ", "ϕ"],
        own: "ϕ",
        builtin: "the normal density",
        words: &["normal", "gaussian", "density", "pdf"],
    },
    OwnableLetter {
        name: "Φ",
        spellings: &["\\Phi", "Φ"],
        own: "Ф",
        builtin: "the normal distribution function",
        words: &["normal", "gaussian", "cdf", "distribution function"],
    },
    OwnableLetter {
        name: "δ",
        spellings: &["\\delta", "δ"],
        own: "ẟ",
        builtin: "the Kronecker delta",
        words: &["kronecker", "dirac"],
    },
    OwnableLetter {
        name: "H",
        spellings: &["H"],
        own: "Н",
        builtin: "the Heaviside step",
        words: &["heaviside", "step function", "unit step"],
    },
];

/// The ownable letter the reader names `name`.
pub fn ownable(name: &str) -> Option<&'static OwnableLetter> {
    OWNABLE_LETTERS.iter().find(|l| l.name == name)
}

/// Built-in letters a prose line introduces as the text's own names: "where $\phi$
/// is the activation", "let $H$ be the hidden size", "$\delta$ denotes the error
/// term", "a hidden size $H$". A line that says the built-in is meant ("$\sigma$ is
/// the sigmoid") introduces nothing.
pub fn introduced_letters(line: &str) -> Vec<String> {
    let mut text = line
        .replace("\\(", " ")
        .replace("\\)", " ")
        .replace('$', " ");
    for letter in OWNABLE_LETTERS {
        for spelling in letter.spellings.iter().filter(|s| s.starts_with('\\')) {
            text = text.replace(spelling, &format!(" {} ", letter.name));
        }
    }
    // `\phi(\cdot)`, `H(x)`: the argument only shows it is a function
    let mut plain = String::new();
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let lower = plain.to_lowercase();
    let words: Vec<&str> = plain
        .split(|c: char| c.is_whitespace() || ",.;:!?".contains(c))
        .filter(|w| !w.is_empty())
        .collect();
    let lowered: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let verbs = [
        "is",
        "be",
        "denotes",
        "denote",
        "represents",
        "represent",
        "stands",
        "est",
        "désigne",
        "es",
        "denota",
        "representa",
    ];
    let nouns = ["size", "dimension", "width", "term", "deviation"];
    let mut out = Vec::new();
    for (k, w) in words.iter().enumerate() {
        let Some(letter) = OWNABLE_LETTERS
            .iter()
            .find(|l| l.name == *w || l.spellings.contains(w))
        else {
            continue;
        };
        let next = lowered.get(k + 1).map(String::as_str).unwrap_or("");
        let before = |n: usize| {
            k.checked_sub(n)
                .and_then(|j| lowered.get(j))
                .map(String::as_str)
                .unwrap_or("")
        };
        let introduced = verbs.contains(&next)
            || (before(1) == "by" && before(2).starts_with("denote"))
            || nouns.contains(&before(1));
        let builtin_meant = letter.words.iter().any(|m| lower.contains(m));
        if introduced && !builtin_meant && !out.iter().any(|n: &String| n == letter.name) {
            out.push(letter.name.to_string());
        }
    }
    out
}

/// The ownable letters `e` calls (`\phi(a)`, `\sigma'(x)`) and those it uses as a
/// value (`\sigma^2`, `H \cdot d`).
pub fn letter_uses(e: &Expr, called: &mut BTreeSet<String>, bare: &mut BTreeSet<String>) {
    match &e.kind {
        ExprKind::Ident(n) if ownable(n).is_some() => {
            bare.insert(n.clone());
        }
        ExprKind::Call { func, .. } if ownable(&func.name).is_some() => {
            called.insert(func.name.clone());
        }
        _ => {}
    }
    for c in e.children() {
        letter_uses(c, called, bare);
    }
}

/// `e` with the letter `from` read as the text's own name `to`; with `product`, a
/// call of it (`H(H + 1)`) is the product it writes.
pub fn own_letter(e: &mut Expr, from: &str, to: &str, product: bool) {
    if let ExprKind::Call { func, primes, args } = &mut e.kind {
        if func.name == from {
            if product && *primes == 0 && args.len() == 1 {
                let name = Expr {
                    kind: ExprKind::Ident(to.to_string()),
                    span: func.span,
                };
                let mut arg = args[0].value.clone();
                own_letter(&mut arg, from, to, product);
                e.kind = ExprKind::Binary {
                    op: BinOp::Mul,
                    lhs: Box::new(name),
                    rhs: Box::new(arg),
                };
                return;
            }
            func.name = to.to_string();
        }
    }
    if let ExprKind::Ident(n) = &mut e.kind {
        if n == from {
            *n = to.to_string();
        }
        return;
    }
    for c in e.children_mut() {
        own_letter(c, from, to, product);
    }
}

/// `e` with each call of `name` (`\phi(O^A)`) read as the name alone: the text
/// defined `name` on the very argument it annotates.
pub fn uncall(e: &mut Expr, name: &str) {
    if let ExprKind::Call {
        func, primes: 0, ..
    } = &e.kind
    {
        if func.name == name {
            e.kind = ExprKind::Ident(name.to_string());
            return;
        }
    }
    for c in e.children_mut() {
        uncall(c, name);
    }
}

/// `e` with every `\log` read to `base`.
pub fn with_log_base(e: &Expr, base: LogBase) -> Expr {
    let mut out = e.clone();
    rebase(&mut out, base);
    out
}

fn rebase(e: &mut Expr, base: LogBase) {
    if let ExprKind::Call { func, .. } = &mut e.kind {
        if func.name == "log" {
            func.name = base.function().to_string();
        }
    }
    for c in e.children_mut() {
        rebase(c, base);
    }
}

// ----- Einstein notation -----

/// A single lowercase letter: what can be an index.
fn index_letter(s: &str) -> bool {
    let mut cs = s.chars();
    matches!((cs.next(), cs.next()), (Some(c), None) if c.is_ascii_lowercase())
}

/// `e` under the summation convention: in every product, an index written twice
/// is summed (`W_{ij} x_j` is `Σ_j W_{ij} x_j`). Returns the indices summed.
pub fn einstein(e: &mut Expr) -> Vec<String> {
    let mut summed = Vec::new();
    free_indices(e, false, &mut Vec::new(), &mut summed);
    summed
}

/// The free indices of `e`, each as often as it is written in a product; a
/// product (the top of a run of `·` and `/`) sums those it holds twice.
fn free_indices(
    e: &mut Expr,
    in_product: bool,
    bound: &mut Vec<String>,
    summed: &mut Vec<String>,
) -> Vec<String> {
    let free = |n: &str, bound: &Vec<String>| index_letter(n) && !bound.iter().any(|b| b == n);
    match &mut e.kind {
        ExprKind::Ident(n) => match n.split_once('_') {
            Some((_, sub)) if free(sub, bound) => vec![sub.to_string()],
            _ => Vec::new(),
        },
        ExprKind::Subscript { base, indices } => {
            let mut out = free_indices(base, false, bound, summed);
            for i in indices.iter_mut() {
                match &i.kind {
                    ExprKind::Ident(n) if free(n, bound) => out.push(n.clone()),
                    _ => {
                        free_indices(i, false, bound, summed);
                    }
                }
            }
            out
        }
        ExprKind::Binary {
            op: BinOp::Mul | BinOp::Div | BinOp::Hadamard,
            lhs,
            rhs,
        } => {
            let mut out = free_indices(lhs, true, bound, summed);
            out.extend(free_indices(rhs, true, bound, summed));
            if in_product {
                return out;
            }
            let twice: BTreeSet<String> = out
                .iter()
                .filter(|i| out.iter().filter(|j| j == i).count() == 2)
                .cloned()
                .collect();
            for index in &twice {
                let span = e.span;
                let body = std::mem::replace(
                    e,
                    Expr {
                        kind: ExprKind::Number(crate::syntax::ast::Literal::integer_places(
                            num_rational::BigRational::from_integer(0.into()),
                        )),
                        span,
                    },
                );
                *e = Expr {
                    kind: ExprKind::Sum {
                        index: Ident {
                            name: index.clone(),
                            span,
                        },
                        lower: None,
                        upper: None,
                        body: Box::new(body),
                    },
                    span,
                };
                if !summed.contains(index) {
                    summed.push(index.clone());
                }
            }
            out.retain(|i| !twice.contains(i));
            out
        }
        ExprKind::Binary {
            op: BinOp::Pow,
            lhs,
            rhs,
        } => {
            free_indices(rhs, false, bound, summed);
            dedup(free_indices(lhs, false, bound, summed))
        }
        ExprKind::Neg(x) => free_indices(x, in_product, bound, summed),
        ExprKind::Transpose(x) | ExprKind::Abs(x) | ExprKind::Norm(x) => {
            dedup(free_indices(x, false, bound, summed))
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            let mut out = free_indices(lhs, false, bound, summed);
            out.extend(free_indices(rhs, false, bound, summed));
            dedup(out)
        }
        ExprKind::Call { args, .. } => {
            let mut out = Vec::new();
            for a in args.iter_mut() {
                out.extend(free_indices(&mut a.value, false, bound, summed));
            }
            dedup(out)
        }
        ExprKind::Derivative { var, body, .. } | ExprKind::Grad { var, body } => {
            let mut out = free_indices(body, false, bound, summed);
            out.extend(free_indices(var, false, bound, summed));
            dedup(out)
        }
        ExprKind::Sum { index, body, .. } => {
            bound.push(index.name.clone());
            let out = free_indices(body, false, bound, summed);
            bound.pop();
            out.into_iter().filter(|i| *i != index.name).collect()
        }
        ExprKind::Limit { var, body, .. } => {
            bound.push(var.name.clone());
            free_indices(body, false, bound, summed);
            bound.pop();
            Vec::new()
        }
        _ => {
            for c in e.children_mut() {
                free_indices(c, false, bound, summed);
            }
            Vec::new()
        }
    }
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    v.retain(|x| seen.insert(x.clone()));
    v
}

// ----- readings the reader picks -----

/// Runs of single letters written together and read as a product (`kx` in
/// `e^{-kx}`), as written, with the letters of each run.
pub fn letter_runs(e: &Expr) -> Vec<Vec<(String, crate::span::Span)>> {
    let mut runs = Vec::new();
    find_runs(e, false, &mut runs);
    runs
}

fn find_runs(e: &Expr, in_product: bool, runs: &mut Vec<Vec<(String, crate::span::Span)>>) {
    if let ExprKind::Binary {
        op: BinOp::Mul,
        lhs,
        rhs,
    } = &e.kind
    {
        if in_product {
            find_runs(lhs, true, runs);
            find_runs(rhs, true, runs);
            return;
        }
        let mut leaves: Vec<&Expr> = Vec::new();
        factors(e, &mut leaves);
        let mut run: Vec<(String, crate::span::Span)> = Vec::new();
        let mut nested: Vec<&Expr> = Vec::new();
        let mut flush = |run: &mut Vec<(String, crate::span::Span)>| {
            if run.len() >= 2 {
                runs.push(std::mem::take(run));
            }
            run.clear();
        };
        for leaf in &leaves {
            let single = |e: &Expr| match &e.kind {
                ExprKind::Ident(n)
                    if n.len() == 1 && n.chars().all(|c| c.is_ascii_alphabetic()) =>
                {
                    Some((n.clone(), e.span))
                }
                _ => None,
            };
            // `kx^2`: the run goes on into the base of a power
            let letter = match &leaf.kind {
                ExprKind::Binary {
                    op: BinOp::Pow,
                    lhs,
                    ..
                } => single(lhs),
                _ => single(leaf),
            };
            match letter {
                Some((n, span)) => {
                    let joined = run
                        .last()
                        .is_some_and(|(_, s)| s.end == span.start && s.end > s.start);
                    if !joined {
                        flush(&mut run);
                    }
                    run.push((n, span));
                    if !matches!(leaf.kind, ExprKind::Ident(_)) {
                        // nothing joins the far side of a power
                        flush(&mut run);
                    }
                }
                None => {
                    flush(&mut run);
                    nested.push(leaf);
                }
            }
        }
        flush(&mut run);
        for leaf in nested {
            find_runs(leaf, false, runs);
        }
        return;
    }
    for c in e.children() {
        find_runs(c, false, runs);
    }
}

/// The factors of a product written with juxtaposition or `\cdot`, in order.
pub(super) fn factors<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match &e.kind {
        ExprKind::Binary {
            op: BinOp::Mul,
            lhs,
            rhs,
        } => {
            factors(lhs, out);
            factors(rhs, out);
        }
        _ => out.push(e),
    }
}

/// The single letters `e` uses on their own (not inside a run of letters).
pub fn lone_letters(e: &Expr) -> BTreeSet<String> {
    let mut in_runs: BTreeSet<(u32, u32)> = BTreeSet::new();
    for run in letter_runs(e) {
        for (_, s) in run {
            in_runs.insert((s.start, s.end));
        }
    }
    let mut out = BTreeSet::new();
    collect_lone(e, &in_runs, &mut out);
    out
}

fn collect_lone(e: &Expr, in_runs: &BTreeSet<(u32, u32)>, out: &mut BTreeSet<String>) {
    match &e.kind {
        ExprKind::Ident(n) => {
            if !in_runs.contains(&(e.span.start, e.span.end)) {
                out.insert(crate::latex::parse::plain_name(n).to_string());
            }
        }
        ExprKind::Call { func, args, .. } => {
            out.insert(func.name.clone());
            for a in args {
                collect_lone(&a.value, in_runs, out);
            }
        }
        ExprKind::Sum { index, .. } => {
            out.insert(index.name.clone());
            for c in e.children() {
                collect_lone(c, in_runs, out);
            }
        }
        _ => {
            for c in e.children() {
                collect_lone(c, in_runs, out);
            }
        }
    }
}

/// Names read from a bare superscript as the index a sum runs over (`s^i` in
/// `\sum_i`, read as `s_i`): as written. A parenthesized one (`y^{(i)}`) is an
/// index by convention and is not listed.
pub fn bare_index_superscripts(e: &Expr, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    find_bare(e, text, &mut out);
    out
}

fn find_bare(e: &Expr, text: &str, out: &mut Vec<String>) {
    let last_index = match &e.kind {
        ExprKind::Ident(n) => n.split_once('_').map(|(_, s)| s.to_string()),
        ExprKind::Subscript { indices, .. } => match indices.last().map(|i| &i.kind) {
            Some(ExprKind::Ident(n)) => Some(n.clone()),
            _ => None,
        },
        _ => None,
    };
    if let Some(index) = last_index {
        let snippet = text
            .get(e.span.start as usize..e.span.end as usize)
            .unwrap_or("");
        if let Some(at) = snippet.rfind('^') {
            let after = snippet[at + 1..].trim_start_matches(['{', ' ']);
            // a bold name is a vector: `\mathbf{x}^i` is the i-th sample by convention
            let bold = ["\\mathbf", "\\boldsymbol", "\\bm"]
                .iter()
                .any(|b| snippet.starts_with(b));
            if after.starts_with(index.as_str()) && !after.starts_with('(') && !bold {
                out.push(snippet.trim().to_string());
            }
        }
    }
    for c in e.children() {
        find_bare(c, text, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_states_conventions() {
        for (prose, base) in [
            ("Here log denotes the natural log.", Some(LogBase::Natural)),
            ("All logarithms are base 2 (bits).", Some(LogBase::Two)),
            ("we use log base 10 throughout", Some(LogBase::Ten)),
            ("on note log le logarithme népérien", Some(LogBase::Natural)),
            ("the base 10 digits of x", None),
            ("take the log of both sides", None),
        ] {
            assert_eq!(conventions_in(prose).log_base, base, "{prose}");
        }
        for (prose, name) in [
            ("Since c is a one-hot vector, the sum is 1", Some("c")),
            ("where $y$ is one-hot", Some("y")),
            ("Let the one-hot label $y$ pick the class", Some("y")),
            ("the target Y is a one hot encoding", Some("Y")),
            ("y 是独热向量 $y$", Some("y")),
            ("one-hot encodings are sparse", None),
        ] {
            assert_eq!(
                conventions_in(prose).one_hot.first().map(String::as_str),
                name,
                "{prose}"
            );
        }
        assert!(conventions_in("Using Einstein notation, repeated").einstein);
        assert!(conventions_in("with the summation convention").einstein);
        assert!(!conventions_in("we sum over i").einstein);
    }

    #[test]
    fn prose_introduces_its_own_letters() {
        for (prose, names) in [
            ("where $\\phi$ is the activation", &["φ"][..]),
            ("where $\\phi(\\cdot)$ is the activation function", &["φ"]),
            ("Let $H$ be the hidden size and $d$ the input size.", &["H"]),
            ("a hidden size $H$ and an error term $\\delta$", &["H", "δ"]),
            (
                "Here $\\sigma$ is the standard deviation of the noise",
                &["σ"],
            ),
            ("soit $\\varphi$ est la fonction d'activation", &["φ"]),
            ("where $\\sigma$ is the sigmoid", &[]),
            ("$H(x)$ is the Heaviside step", &[]),
            ("where $\\sigma(o^a) \\in R$, $y \\in \\{0, 1\\}$", &[]),
            ("the sum of H and K", &[]),
        ] {
            assert_eq!(introduced_letters(prose), names, "{prose}");
        }
    }
}
