//! Tokens of the derivation language: trivia (whitespace and `#` comments),
//! identifiers, numbers and strings, recognized with nom over `&str`.

use nom::bytes::complete::{take_till, take_while, take_while1};
use nom::character::complete::{char, digit1, one_of};
use nom::combinator::{opt, recognize};
use nom::sequence::{pair, preceded, tuple};
use nom::IResult;
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::Pow;

/// Longest number literal accepted: converting longer digit strings to a
/// `BigInt` gets slow, and no derivation needs them.
const MAX_NUMBER_LEN: usize = 2000;

/// Largest power of ten a literal may carry (`1e5000`): larger ones would make
/// huge exact integers out of a few characters.
const MAX_EXPONENT: u32 = 5000;

/// Words that end an expression instead of being multiplied into it.
pub(super) const STOP_WORDS: &[&str] =
    &["and", "if", "otherwise", "within", "where", "of", "expect"];

pub(super) fn is_ident_start(c: char) -> bool {
    c.is_alphabetic()
}

pub(super) fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Skips whitespace and `#` comments; returns what follows them.
pub(super) fn skip_trivia(mut rest: &str) -> &str {
    loop {
        let after_space: IResult<&str, &str> = take_while(char::is_whitespace)(rest);
        let Ok((after_space, _)) = after_space else {
            return rest;
        };
        let comment: IResult<&str, &str> =
            preceded(char('#'), take_till(|c| c == '\n'))(after_space);
        match comment {
            Ok((after_comment, _)) => rest = after_comment,
            Err(_) => return after_space,
        }
    }
}

/// Byte length of the identifier at the start of `text` (0 if there is none).
///
/// An identifier is a letter followed by letters, digits and underscores, so
/// `v_i` and `d_h` are single names; an underscore that is not followed by
/// another name character (`W_(k, j)`) ends the name, so that it can start a
/// subscript instead.
pub(super) fn ident_len(text: &str) -> usize {
    let mut chars = text.char_indices().peekable();
    let Some((_, first)) = chars.next() else {
        return 0;
    };
    if !is_ident_start(first) {
        return 0;
    }
    let mut end = first.len_utf8();
    while let Some((index, c)) = chars.next() {
        let continues = match c {
            '_' => chars
                .peek()
                .is_some_and(|&(_, after)| is_ident_continue(after)),
            _ => c.is_alphanumeric(),
        };
        if !continues {
            break;
        }
        end = index + c.len_utf8();
    }
    end
}

/// The identifier at the start of `text` and what follows it.
pub(super) fn ident(text: &str) -> Option<(&str, &str)> {
    let len = ident_len(text);
    (len > 0).then(|| text.split_at(len))
}

/// Recognizes `12`, `0.25`, `1e-3`, `2.5E+2`.
fn number_text(text: &str) -> IResult<&str, &str> {
    recognize(tuple((
        digit1,
        opt(pair(char('.'), digit1)),
        opt(tuple((one_of("eE"), opt(one_of("+-")), digit1))),
    )))(text)
}

/// The number literal at the start of `text`: its byte length, exact value and
/// written decimals (see [`super::ast::Literal`]), or a message when it is too
/// long or too large to represent.
pub(super) fn number(text: &str) -> Result<(usize, BigRational, i64), &'static str> {
    let Ok((_, literal)) = number_text(text) else {
        return Err("expected a number");
    };
    let parsed = number_literal(literal)?;
    Ok((literal.len(), parsed.value, parsed.decimals))
}

/// A number literal read exactly, with how it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct NumberLiteral {
    pub value: BigRational,
    /// The written decimals: the power of ten of the last written digit, negated
    /// (`0.10` has 2, `3` has 0, `1.5e-3` has 4, `2e3` has -3); `≈` takes half a
    /// unit there as its tolerance.
    pub decimals: i64,
}

/// The one reader of number literals, for `.nabla` files and LaTeX alike: `12`,
/// `0.25`, `1e-3`, `2.5E+2` (the whole of `literal`). Too long or too large a
/// literal is refused at once, before any big arithmetic.
pub fn number_literal(literal: &str) -> Result<NumberLiteral, &'static str> {
    if literal.len() > MAX_NUMBER_LEN {
        return Err("number literal too long");
    }
    let (mantissa, exponent) = match literal.find(['e', 'E']) {
        Some(e) => (&literal[..e], &literal[e + 1..]),
        None => (literal, ""),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((_, "")) => return Err("expected a number"),
        Some(parts) => parts,
        None => (mantissa, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return Err("expected a number");
    }
    let digits = format!("{whole}{fraction}");
    let Ok(numerator) = digits.parse::<BigInt>() else {
        return Err("expected a number");
    };
    let exponent_value: i64 = match exponent {
        "" => 0,
        text => match text.trim_start_matches('+').parse::<i64>() {
            Ok(value) => value,
            Err(_) => return Err("number exponent too large"),
        },
    };
    let scale = exponent_value - fraction.len() as i64;
    if scale.unsigned_abs() > u64::from(MAX_EXPONENT) {
        return Err("number exponent too large");
    }
    let power: BigInt = Pow::pow(BigInt::from(10), scale.unsigned_abs() as u32);
    let value = if scale >= 0 {
        BigRational::from_integer(numerator * power)
    } else {
        BigRational::new(numerator, power)
    };
    Ok(NumberLiteral {
        value,
        decimals: -scale,
    })
}

/// A double-quoted string on one line: `Ok((length with quotes, contents))`, or
/// `Err(length up to the end of the line)` when it is not closed.
pub(super) fn string(text: &str) -> Result<(usize, &str), usize> {
    let body = &text[1..];
    let parsed: IResult<&str, &str> = take_while(|c| c != '"' && c != '\n')(body);
    let Ok((after, contents)) = parsed else {
        return Err(text.len());
    };
    if after.starts_with('"') {
        return Ok((contents.len() + 2, contents));
    }
    Err((contents.len() + 1).min(text.len()))
}

/// Byte length of digits at the start of `text`.
pub(super) fn digits_len(text: &str) -> usize {
    let parsed: IResult<&str, &str> = take_while1(|c: char| c.is_ascii_digit())(text);
    parsed.map_or(0, |(_, digits)| digits.len())
}

/// Operators spelled with two characters, shown whole in "unexpected" messages.
const TWO_CHAR_TOKENS: &[&str] = &["||", "->", "<=", ">=", "!=", "==", "~=", ".*"];

/// Byte length of the token at the start of `text` (0 at the end).
pub(super) fn token_len(text: &str) -> usize {
    let ident = ident_len(text);
    if ident > 0 {
        return ident;
    }
    if let Ok((len, _, _)) = number(text) {
        return len;
    }
    if text.starts_with('"') {
        return match string(text) {
            Ok((len, _)) | Err(len) => len,
        };
    }
    if let Some(token) = TWO_CHAR_TOKENS
        .iter()
        .find(|token| text.starts_with(**token))
    {
        return token.len();
    }
    text.chars().next().map_or(0, char::len_utf8)
}

/// The token at the start of `text`, printable inside backticks.
pub(super) fn describe_token(text: &str) -> String {
    let token = &text[..token_len(text)];
    let printable: String = token
        .chars()
        .take(40)
        .flat_map(char::escape_debug)
        .collect();
    if token.chars().count() > 40 {
        format!("{printable}...")
    } else {
        printable
    }
}

/// Byte length of the code on one line, without its comment and trailing
/// whitespace; `None` for a blank or comment-only line. A `#` inside a string
/// does not start a comment.
pub(super) fn code_len(line: &str) -> Option<usize> {
    let mut in_string = false;
    let mut comment_start = line.len();
    for (index, c) in line.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '#' if !in_string => {
                comment_start = index;
                break;
            }
            _ => {}
        }
    }
    let code = line[..comment_start].trim_end();
    (!code.trim_start().is_empty()).then_some(code.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_bigint::BigInt;

    fn ratio(numerator: i64, denominator: i64) -> BigRational {
        BigRational::new(BigInt::from(numerator), BigInt::from(denominator))
    }

    #[test]
    fn numbers_are_exact() {
        assert_eq!(number("0.1").unwrap(), (3, ratio(1, 10), 1));
        assert_eq!(number("1e-3x").unwrap(), (4, ratio(1, 1000), 3));
        assert_eq!(number("2.5E+2").unwrap(), (6, ratio(250, 1), -1));
        assert_eq!(number("2.70").unwrap(), (4, ratio(27, 10), 2));
        assert_eq!(number("3").unwrap(), (1, ratio(3, 1), 0));
        // `2e` is the number 2 followed by the name `e`.
        assert_eq!(number("2e").unwrap(), (1, ratio(2, 1), 0));
        assert_eq!(number("1e99999999999"), Err("number exponent too large"));
        assert_eq!(number_literal("0.10").map(|n| n.decimals), Ok(2));
        assert_eq!(
            number_literal(&"9".repeat(200_000)),
            Err("number literal too long")
        );
        for bad in ["", ".5", "1.", "1x", "-1"] {
            assert_eq!(number_literal(bad), Err("expected a number"), "{bad}");
        }
    }

    #[test]
    fn identifiers_stop_before_a_subscript_group() {
        assert_eq!(ident("v_i + 1"), Some(("v_i", " + 1")));
        assert_eq!(ident("W_(k, j)"), Some(("W", "_(k, j)")));
        assert_eq!(ident("σ(x)"), Some(("σ", "(x)")));
        assert_eq!(ident("Σ_j x"), Some(("Σ_j", " x")));
        assert_eq!(ident("2x"), None);
        assert_eq!(ident("∂f"), None);
    }

    #[test]
    fn trivia_and_code_skip_comments_but_not_strings() {
        assert_eq!(skip_trivia("  # note\n  x"), "x");
        assert_eq!(code_len("claim \"a#b\": x  # c"), Some(14));
        assert_eq!(code_len("   # only a comment"), None);
        assert_eq!(string("\"ab\" x"), Ok((4, "ab")));
        assert_eq!(string("\"ab\n"), Err(3));
    }
}
