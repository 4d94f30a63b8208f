//! The names nabla knows as built in, in one place: the `.nabla` lowering, the
//! LaTeX reader and the LaTeX printer all ask here, so a new built-in is added once.

use super::Func;

/// Built-ins on vectors and matrices (lowered by `lower::tensor`), beside the scalar `Func`s.
pub const TENSOR_FUNCTIONS: &[&str] = &["softmax", "logsumexp", "diag", "onehot", "jacobian"];

/// Other spellings of built-ins that documents use, read as the built-in only
/// when called (`\mathrm{LSE}(x)`; a bare `LSE` stays the text's own name).
pub const CALLED_ALIASES: &[(&str, &str)] = &[("LSE", "logsumexp"), ("LogSumExp", "logsumexp")];

/// The built-in an alias of [`CALLED_ALIASES`] names.
pub fn called_alias(word: &str) -> Option<&'static str> {
    CALLED_ALIASES
        .iter()
        .find(|(alias, _)| *alias == word)
        .map(|&(_, name)| name)
}

/// Calls that lowering reads itself: `ind(x > 0)`, `diff(e, x[, n])`.
pub const SPECIAL_CALLS: &[&str] = &["ind", "diff"];

/// LaTeX operator names that mean something nabla has no built-in for: read as
/// an error naming them, never as a product of letters or an unknown function.
pub const LATEX_UNSUPPORTED_OPERATORS: &[&str] = &[
    "cot", "sec", "csc", "arcsin", "arccos", "coth", "arg", "det", "dim", "ker", "deg", "gcd",
    "inf", "sup", "liminf", "limsup", "Pr", "hom", "lg",
];

/// LaTeX operators a document reader writes out with other built-ins (none left:
/// `\sinh` and `\cosh` are built-ins now).
pub const EXPANDED_OPERATORS: &[&str] = &[];

/// Words read as a function in documents although they are not `.nabla` names:
/// `\max(a, b)` and `\min(a, b)` become a piecewise expression.
pub const DOCUMENT_WORDS: &[&str] = &["max", "min"];

/// Lowercase words written as a subscript that label a name rather than index it:
/// `\hat{R}_{reg}` is the name `Rhat_reg`, not an entry `(r, e, g)`.
pub const LABEL_SUBSCRIPTS: &[&str] = &[
    "reg", "mse", "bce", "nll", "train", "test", "val", "valid", "out", "hid", "new", "old",
    "prev", "next", "avg", "mean", "tot", "total", "init", "opt", "pred", "true", "emp", "max",
    "min", "loss", "data", "model", "cross", "eff",
];

/// Whether `name` is a built-in function of any kind (scalar, tensor or special).
pub fn is_builtin_function(name: &str) -> bool {
    Func::from_name(name).is_some()
        || TENSOR_FUNCTIONS.contains(&name)
        || SPECIAL_CALLS.contains(&name)
}

/// The built-in a word written in a document names, as the `.nabla` spelling:
/// `tanh`, `ReLU`, `Softmax` (capitalized at the start of a word), `max`.
pub fn builtin_word(word: &str) -> Option<String> {
    if is_builtin_function(word) || DOCUMENT_WORDS.contains(&word) {
        return Some(word.to_string());
    }

    let lower = word.to_lowercase();
    let capitalized = word.chars().count() >= 3 && word.chars().skip(1).all(char::is_lowercase);
    if capitalized && (is_builtin_function(&lower) || DOCUMENT_WORDS.contains(&lower.as_str())) {
        return Some(lower);
    }
    None
}

/// The LaTeX operator command a built-in is printed with, if it has one (its row's).
pub fn latex_operator(f: Func) -> Option<&'static str> {
    match f.row().latex {
        super::LatexForm::Operator(command) => Some(command),
        _ => None,
    }
}

/// The built-in a LaTeX operator command stands for (`\max` and `\min` are read
/// by the document reader itself, braces included).
pub fn from_latex_operator(command: &str) -> Option<Func> {
    if matches!(command, "max" | "min") {
        return None;
    }
    Func::from_latex_command(command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_name_builtins_once() {
        for (word, found) in [
            ("tanh", Some("tanh")),
            ("ReLU", Some("ReLU")),
            ("Softmax", Some("softmax")),
            ("sigmoid", Some("sigmoid")),
            ("max", Some("max")),
            ("CE", None),
            ("loss", None),
            ("TANH", None),
            ("LSE", None),
            ("logsumexp", Some("logsumexp")),
            ("Logsumexp", Some("logsumexp")),
        ] {
            assert_eq!(builtin_word(word).as_deref(), found, "{word}");
        }
        for f in [Func::Exp, Func::Ln, Func::Tanh] {
            let command = latex_operator(f).expect("an operator");
            assert_eq!(from_latex_operator(command), Some(f));
        }
        assert_eq!(from_latex_operator("log"), Some(Func::Ln));
        assert!(is_builtin_function("max"));
        assert_eq!(called_alias("LSE"), Some("logsumexp"));
        assert_eq!(called_alias("lse"), None);
        assert_eq!(from_latex_operator("sinh"), Some(Func::Sinh));
        assert_eq!(from_latex_operator("arctan"), Some(Func::Atan));
    }
}
