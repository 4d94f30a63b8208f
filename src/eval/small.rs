//! Exact `+` and `·` of rationals whose numerator and denominator fit in an
//! `i64`, done in `i128` with a machine-word gcd: the common case at sample
//! points, where num-bigint's allocation and binary gcd dominated. Any
//! overflow falls back to `BigRational`, so results are always exact and in
//! lowest terms (denominator positive, zero as 0/1), equal to the big ones.

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::ToPrimitive;

/// `x + y`, exact.
pub fn add(x: &BigRational, y: &BigRational) -> BigRational {
    small_add(x, y).unwrap_or_else(|| x + y)
}

/// `x · y`, exact.
pub fn mul(x: &BigRational, y: &BigRational) -> BigRational {
    small_mul(x, y).unwrap_or_else(|| x * y)
}

fn parts(r: &BigRational) -> Option<(i128, i128)> {
    Some((
        i128::from(r.numer().to_i64()?),
        i128::from(r.denom().to_i64()?),
    ))
}

fn small_add(x: &BigRational, y: &BigRational) -> Option<BigRational> {
    let ((a, b), (c, d)) = (parts(x)?, parts(y)?);
    if b == d {
        return reduced(a.checked_add(c)?, b);
    }
    let numer = a.checked_mul(d)?.checked_add(c.checked_mul(b)?)?;
    reduced(numer, b.checked_mul(d)?)
}

fn small_mul(x: &BigRational, y: &BigRational) -> Option<BigRational> {
    let ((a, b), (c, d)) = (parts(x)?, parts(y)?);
    reduced(a.checked_mul(c)?, b.checked_mul(d)?)
}

/// `numer / denom` in lowest terms; `denom` is positive (a product of
/// `BigRational` denominators).
fn reduced(numer: i128, denom: i128) -> Option<BigRational> {
    if denom <= 0 {
        return None;
    }
    let g = gcd(numer.unsigned_abs(), denom.unsigned_abs());
    let g = i128::try_from(g).ok()?;
    Some(BigRational::new_raw(big(numer / g), big(denom / g)))
}

/// `n` as a `BigInt`, through `i64` when it fits (num-bigint builds a
/// one-word number from an `i64` more cheaply than from an `i128`).
fn big(n: i128) -> BigInt {
    i64::try_from(n).map_or_else(|_| BigInt::from(n), BigInt::from)
}

/// Binary gcd on words; `gcd(0, n) = n` (so 0/n becomes 0/1).
fn gcd(mut a: u128, mut b: u128) -> u128 {
    if a == 0 {
        return b;
    }
    if b == 0 {
        return a;
    }
    if let (Ok(a64), Ok(b64)) = (u64::try_from(a), u64::try_from(b)) {
        return u128::from(gcd64(a64, b64));
    }
    binary_gcd!(a, b)
}

/// Stein's loop on nonzero words, written once for `u64` and `u128` (the
/// narrower word is the common case and faster).
macro_rules! binary_gcd {
    ($a:ident, $b:ident) => {{
        let shift = ($a | $b).trailing_zeros();
        $a >>= $a.trailing_zeros();
        loop {
            $b >>= $b.trailing_zeros();
            if $a > $b {
                std::mem::swap(&mut $a, &mut $b);
            }
            $b -= $a;
            if $b == 0 {
                break $a << shift;
            }
        }
    }};
}
use binary_gcd;

fn gcd64(mut a: u64, mut b: u64) -> u64 {
    binary_gcd!(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn q(n: i64, d: i64) -> BigRational {
        BigRational::new(BigInt::from(n), BigInt::from(d))
    }

    #[test]
    fn edges_match_big_rationals() {
        let cases = [
            (q(1, 2), q(1, 3)),
            (q(0, 1), q(-5, 7)),
            (q(-3, 4), q(3, 4)),
            (q(i64::MAX, 1), q(i64::MAX, 1)),
            (q(i64::MIN, 1), q(i64::MIN, 1)),
            (q(i64::MIN, 1), q(-1, i64::MAX)),
            (q(1, i64::MAX), q(1, i64::MAX - 1)),
            (q(i64::MAX, i64::MAX - 2), q(i64::MIN + 1, 3)),
        ];
        for (x, y) in cases {
            assert_eq!(add(&x, &y), &x + &y, "{x} + {y}");
            assert_eq!(mul(&x, &y), &x * &y, "{x} · {y}");
        }
        // beyond i64 the big path answers
        let big = BigRational::from_integer(BigInt::from(u64::MAX) * 3);
        assert_eq!(add(&big, &q(1, 2)), &big + q(1, 2));
    }

    proptest! {
        #[test]
        fn agrees_with_big_rationals(a in any::<i64>(), b in 1i64..=i64::MAX, c in any::<i64>(), d in 1i64..=i64::MAX, small in -1000i64..1000, den in 1i64..100) {
            let (x, y) = (q(a, b), q(c, d));
            prop_assert_eq!(add(&x, &y), &x + &y);
            prop_assert_eq!(mul(&x, &y), &x * &y);
            let z = q(small, den);
            prop_assert_eq!(add(&x, &z), &x + &z);
            prop_assert_eq!(mul(&z, &y), &z * &y);
        }
    }
}
