//! Exact numbers as a reader takes them in: an exact value too long to read is
//! shown as a short decimal, computed exactly (the exact value stays in JSON).

/// Exact numbers longer than this many characters are shown as decimals in text.
const LONG_NUMBER: usize = 24;

/// `text` with every exact number (`-123/456`) longer than [`LONG_NUMBER`]
/// characters shown as a decimal of 12 significant digits (`≈1.23456789012e-40`).
pub fn shorten_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut k = 0;
    while k < chars.len() {
        let start = k;
        let negative = chars[k] == '-' && chars.get(k + 1).is_some_and(|c| c.is_ascii_digit());
        let mut end = if negative { k + 1 } else { k };
        let starts_number = chars[end].is_ascii_digit()
            && (start == 0 || !(chars[start - 1].is_alphanumeric() || chars[start - 1] == '.'));
        if !starts_number {
            out.push(chars[k]);
            k += 1;
            continue;
        }
        while end < chars.len() && chars[end].is_ascii_digit() {
            end += 1;
        }
        if end + 1 < chars.len() && chars[end] == '/' && chars[end + 1].is_ascii_digit() {
            end += 1;
            while end < chars.len() && chars[end].is_ascii_digit() {
                end += 1;
            }
        }
        let token: String = chars[start..end].iter().collect();
        match (
            token.len() > LONG_NUMBER,
            crate::conv::parse_rational(&token),
        ) {
            (true, Some(r)) => out.push_str(&format!("≈{}", decimal(&r))),
            _ => out.push_str(&token),
        }
        k = end;
    }
    out
}

/// `r` with 12 significant digits in scientific notation, computed exactly.
fn decimal(r: &num_rational::BigRational) -> String {
    use num_bigint::BigInt;
    use num_traits::{Signed, Zero};
    if r.is_zero() {
        return "0".to_string();
    }
    let sign = if r.is_negative() { "-" } else { "" };
    let (p, q) = (r.numer().abs(), r.denom().clone());
    // 10^e ≤ p/q < 10^(e+1), from the digit counts, then corrected
    let mut e = p.to_string().len() as i64 - q.to_string().len() as i64;
    let ten = BigInt::from(10);
    let scaled = |e: i64| -> BigInt {
        let digits = 11 - e;
        if digits >= 0 {
            &p * ten.pow(digits as u32) / &q
        } else {
            &p / (&q * ten.pow((-digits) as u32))
        }
    };
    let mut m = scaled(e);
    while m.to_string().len() > 12 {
        e += 1;
        m = scaled(e);
    }
    while m.to_string().len() < 12 {
        e -= 1;
        m = scaled(e);
    }
    let digits = m.to_string();
    let mantissa = format!("{}.{}", &digits[..1], digits[1..].trim_end_matches('0'));
    let mantissa = mantissa.trim_end_matches('.');
    format!("{sign}{mantissa}e{e}")
}

#[cfg(test)]
mod tests {
    use super::shorten_numbers;

    #[test]
    fn long_exact_numbers_become_short_decimals() {
        let long = format!("1/{}", "3".repeat(40));
        let cases = [
            ("3/4", "3/4".to_string()),
            ("x = 12", "x = 12".to_string()),
            (long.as_str(), "≈3e-40".to_string()),
            (
                "-123456789012345678901234567/1000",
                "≈-1.23456789012e23".to_string(),
            ),
            (
                "[1, 100000000000000000000000000000]",
                "[1, ≈1e29]".to_string(),
            ),
            ("2×3 [0, 1]", "2×3 [0, 1]".to_string()),
        ];
        for (text, expected) in cases {
            assert_eq!(shorten_numbers(text), expected, "{text}");
        }
    }
}
