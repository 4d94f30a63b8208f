//! Vectors read from text for `nabla conv`: the exact list syntax
//! (`[1, 1/4, 0.5]`) or plain columns, one number per line as numpy's
//! `savetxt` writes them (`2.500000000000000000e-01`). Decimals are exact;
//! when every entry is a decimal with a common power-of-ten denominator that
//! fits 64 bits, they go straight to the fast scaled-integer form without a
//! big rational per entry.

use super::{parse_rational, Decimal, ScaledVec};
use num_bigint::BigInt;

/// The entries of `text`, exactly; `Err` names the first entry that is not a number.
pub fn read_vector(text: &str) -> Result<ScaledVec, String> {
    let tokens = tokens(text)?;
    if let Some(fast) = decimal_scaled(&tokens) {
        return Ok(fast);
    }
    let mut values = Vec::with_capacity(tokens.len());
    for (line, token) in tokens {
        match parse_rational(token) {
            Some(r) => values.push(r),
            None => return Err(format!("line {line}: `{token}` is not an exact number")),
        }
    }
    Ok(ScaledVec::from_rationals(&values))
}

/// The entries with their line numbers: commas and white space separate,
/// one pair of brackets around the whole list is allowed, `#` starts a
/// comment (numpy's header lines).
fn tokens(text: &str) -> Result<Vec<(usize, &str)>, String> {
    let body = text.trim();
    let body = match body.strip_prefix('[') {
        Some(rest) => rest
            .strip_suffix(']')
            .ok_or_else(|| "a list opened with `[` must end with `]`".to_string())?,
        None => text,
    };
    let mut out = Vec::new();
    for (k, line) in body.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("");
        let pieces: Vec<&str> = line.split(',').collect();
        for (p, piece) in pieces.iter().enumerate() {
            let words: Vec<&str> = piece.split_whitespace().collect();
            // an empty entry between commas is an error, not a skipped one
            let trailing = p + 1 == pieces.len();
            if words.is_empty() && pieces.len() > 1 && !(trailing && p > 0 && line_ends_list(line))
            {
                return Err(format!("line {}: an empty entry between commas", k + 1));
            }
            out.extend(words.into_iter().map(|w| (k + 1, w)));
        }
    }
    if out.is_empty() {
        return Err("no numbers in it".to_string());
    }
    Ok(out)
}

/// A line that ends with a comma continues on the next line (`1, 2,\n3`).
fn line_ends_list(line: &str) -> bool {
    line.trim_end().ends_with(',')
}

/// Every token a decimal `±d.ddde±x` whose value times a common `10^s`
/// (`s ≤ 18`) is an `i64`: the scaled form directly.
fn decimal_scaled(tokens: &[(usize, &str)]) -> Option<ScaledVec> {
    let mut parsed = Vec::with_capacity(tokens.len());
    let mut scale: i32 = 0;
    for &(_, token) in tokens {
        let (mantissa, exponent) = small_decimal(token)?;
        scale = scale.max(-exponent);
        parsed.push((mantissa, exponent));
    }
    if scale > 18 {
        return None;
    }
    let numerators = parsed
        .into_iter()
        .map(|(m, e)| {
            let shift = u32::try_from(e + scale).ok()?;
            10i64.checked_pow(shift)?.checked_mul(m)
        })
        .collect::<Option<Vec<i64>>>()?;
    Some(ScaledVec::from_scaled(
        numerators,
        BigInt::from(10i64.pow(scale as u32)),
    ))
}

/// `token` as `m·10^e` with `m` an `i64` (trailing zeros folded into `e`).
fn small_decimal(token: &str) -> Option<(i64, i32)> {
    let Decimal {
        negative,
        whole,
        fraction,
        exponent,
    } = Decimal::split(token)?;
    let fraction = fraction.trim_end_matches('0');
    let mut m: i64 = 0;
    for c in whole.bytes().chain(fraction.bytes()) {
        if !c.is_ascii_digit() {
            return None;
        }
        m = m.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
    }
    let e = exponent.checked_sub(i32::try_from(fraction.len()).ok()?)?;
    // a zero is 0·10^0 whatever its exponent, so it never forces a scale
    if m == 0 {
        return Some((0, 0));
    }
    Some((if negative { -m } else { m }, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_rational::BigRational;

    fn read(text: &str) -> Result<Vec<String>, String> {
        let v = read_vector(text)?;
        Ok(v.to_rationals()
            .iter()
            .map(super::super::format_rational)
            .collect())
    }

    #[test]
    fn lists_and_columns_read_exactly() {
        let cases: &[(&str, &[&str])] = &[
            ("[1, 1/4, 0.5]", &["1", "1/4", "1/2"]),
            ("1\n2\n3\n", &["1", "2", "3"]),
            (
                "2.500000000000000000e-01\n-1.000000000000000000e+00\n",
                &["1/4", "-1"],
            ),
            ("# a header\n0.1\n0.25 # a note\n", &["1/10", "1/4"]),
            ("1e3 1E-2\n-0.0", &["1000", "1/100", "0"]),
            ("[1, 2,\n 3]", &["1", "2", "3"]),
            ("1/3\n0.5", &["1/3", "1/2"]),
            ("1e-30\n1", &["1/1000000000000000000000000000000", "1"]),
            ("12345678901234567890123", &["12345678901234567890123"]),
        ];
        for (text, want) in cases {
            let got = read(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(&got, want, "{text:?}");
        }
    }

    #[test]
    fn bad_input_is_located() {
        let cases: &[(&str, &str)] = &[
            ("1\nx\n", "line 2: `x` is not an exact number"),
            ("[1,,2]", "line 1: an empty entry between commas"),
            ("[1, 2", "a list opened with `[` must end with `]`"),
            ("# only a comment\n", "no numbers in it"),
            ("1/0", "line 1: `1/0` is not an exact number"),
        ];
        for (text, want) in cases {
            assert_eq!(read(text).unwrap_err(), *want, "{text:?}");
        }
    }

    #[test]
    fn the_fast_form_equals_the_rational_one() {
        let text = "0.125\n-3\n2.5e2\n0.001\n";
        let fast = read_vector(text).unwrap().to_rationals();
        let slow: Vec<BigRational> = ["1/8", "-3", "250", "1/1000"]
            .iter()
            .map(|t| parse_rational(t).unwrap())
            .collect();
        assert_eq!(fast, slow);
    }
}
