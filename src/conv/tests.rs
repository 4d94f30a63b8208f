//! Table tests of correlate/convolve against NumPy and SciPy outputs.
//!
//! The expected values were produced by numpy 2.4 (`numpy.correlate`,
//! `numpy.convolve` on `fractions.Fraction` object arrays, so they are exact)
//! and scipy 1.x (`scipy.signal.correlate2d` / `convolve2d`), and are pasted here.

use super::*;

fn q(text: &str) -> BigRational {
    parse_rational(text).expect("test literal is a rational")
}

fn qs(texts: &[&str]) -> Vec<BigRational> {
    texts.iter().map(|t| q(t)).collect()
}

fn grid(rows: &[&[i64]]) -> Vec<Vec<BigRational>> {
    rows.iter()
        .map(|r| {
            r.iter()
                .map(|&v| BigRational::from_integer(BigInt::from(v)))
                .collect()
        })
        .collect()
}

type NumpyCase = (
    &'static [&'static str],
    &'static [&'static str],
    Mode,
    &'static [&'static str],
    &'static [&'static str],
);

/// (x, k, mode, numpy.correlate(x, k, mode), numpy.convolve(x, k, mode))
const NUMPY_TABLE: &[NumpyCase] = &[
    (
        &["1", "1", "4", "4", "4", "1", "1"],
        &["1/4", "1/4", "1/4"],
        Mode::Full,
        &["1/4", "1/2", "3/2", "9/4", "3", "9/4", "3/2", "1/2", "1/4"],
        &["1/4", "1/2", "3/2", "9/4", "3", "9/4", "3/2", "1/2", "1/4"],
    ),
    (
        &["1", "1", "4", "4", "4", "1", "1"],
        &["1/4", "1/4", "1/4"],
        Mode::Valid,
        &["3/2", "9/4", "3", "9/4", "3/2"],
        &["3/2", "9/4", "3", "9/4", "3/2"],
    ),
    (
        &["1", "1", "4", "4", "4", "1", "1"],
        &["1/4", "1/4", "1/4"],
        Mode::Same,
        &["1/2", "3/2", "9/4", "3", "9/4", "3/2", "1/2"],
        &["1/2", "3/2", "9/4", "3", "9/4", "3/2", "1/2"],
    ),
    (
        &["1", "2", "3"],
        &["0", "1", "1/2"],
        Mode::Full,
        &["1/2", "2", "7/2", "3", "0"],
        &["0", "1", "5/2", "4", "3/2"],
    ),
    (
        &["1", "2", "3"],
        &["0", "1", "1/2"],
        Mode::Valid,
        &["7/2"],
        &["5/2"],
    ),
    (
        &["1", "2", "3"],
        &["0", "1", "1/2"],
        Mode::Same,
        &["2", "7/2", "3"],
        &["1", "5/2", "4"],
    ),
    (
        &["1", "2", "3", "4"],
        &["1", "1"],
        Mode::Full,
        &["1", "3", "5", "7", "4"],
        &["1", "3", "5", "7", "4"],
    ),
    (
        &["1", "2", "3", "4"],
        &["1", "1"],
        Mode::Valid,
        &["3", "5", "7"],
        &["3", "5", "7"],
    ),
    (
        &["1", "2", "3", "4"],
        &["1", "1"],
        Mode::Same,
        &["1", "3", "5", "7"],
        &["1", "3", "5", "7"],
    ),
    (
        &["1", "2", "3", "4", "5"],
        &["1", "-2", "3", "1/3"],
        Mode::Full,
        &["1/3", "11/3", "5", "22/3", "29/3", "10", "-6", "5"],
        &["1", "0", "2", "13/3", "20/3", "3", "49/3", "5/3"],
    ),
    (
        &["1", "2", "3", "4", "5"],
        &["1", "-2", "3", "1/3"],
        Mode::Valid,
        &["22/3", "29/3"],
        &["13/3", "20/3"],
    ),
    (
        &["1", "2", "3", "4", "5"],
        &["1", "-2", "3", "1/3"],
        Mode::Same,
        &["11/3", "5", "22/3", "29/3", "10"],
        &["0", "2", "13/3", "20/3", "3"],
    ),
    (
        &["1", "2"],
        &["1", "2", "3"],
        Mode::Full,
        &["3", "8", "5", "2"],
        &["1", "4", "7", "6"],
    ),
    (
        &["1", "2"],
        &["1", "2", "3"],
        Mode::Valid,
        &["8", "5"],
        &["4", "7"],
    ),
    (
        &["1", "2"],
        &["1", "2", "3"],
        Mode::Same,
        &["8", "5", "2"],
        &["1", "4", "7"],
    ),
    (
        &["1", "2"],
        &["1", "2", "3", "4", "5"],
        Mode::Full,
        &["5", "14", "11", "8", "5", "2"],
        &["1", "4", "7", "10", "13", "10"],
    ),
    (
        &["1", "2"],
        &["1", "2", "3", "4", "5"],
        Mode::Valid,
        &["14", "11", "8", "5"],
        &["4", "7", "10", "13"],
    ),
    (
        &["1", "2"],
        &["1", "2", "3", "4", "5"],
        Mode::Same,
        &["14", "11", "8", "5", "2"],
        &["1", "4", "7", "10", "13"],
    ),
    (
        &["1", "2", "3"],
        &["1", "2", "3", "4"],
        Mode::Full,
        &["4", "11", "20", "14", "8", "3"],
        &["1", "4", "10", "16", "17", "12"],
    ),
    (
        &["1", "2", "3"],
        &["1", "2", "3", "4"],
        Mode::Valid,
        &["20", "14"],
        &["10", "16"],
    ),
    (
        &["1", "2", "3"],
        &["1", "2", "3", "4"],
        Mode::Same,
        &["11", "20", "14", "8"],
        &["4", "10", "16", "17"],
    ),
    (
        &["1/2", "-1/3", "5/7"],
        &["2", "-1", "1/5", "3", "1", "1/2"],
        Mode::Full,
        &[
            "1/4", "1/3", "32/21", "-13/70", "331/210", "31/21", "-29/21", "10/7",
        ],
        &[
            "1", "-7/6", "391/210", "151/210", "-5/14", "173/84", "23/42", "5/14",
        ],
    ),
    (
        &["1/2", "-1/3", "5/7"],
        &["2", "-1", "1/5", "3", "1", "1/2"],
        Mode::Valid,
        &["32/21", "-13/70", "331/210", "31/21"],
        &["391/210", "151/210", "-5/14", "173/84"],
    ),
    (
        &["1/2", "-1/3", "5/7"],
        &["2", "-1", "1/5", "3", "1", "1/2"],
        Mode::Same,
        &["1/3", "32/21", "-13/70", "331/210", "31/21", "-29/21"],
        &["-7/6", "391/210", "151/210", "-5/14", "173/84", "23/42"],
    ),
    (
        &["7"],
        &["1", "2", "3", "4"],
        Mode::Full,
        &["28", "21", "14", "7"],
        &["7", "14", "21", "28"],
    ),
    (
        &["7"],
        &["1", "2", "3", "4"],
        Mode::Valid,
        &["28", "21", "14", "7"],
        &["7", "14", "21", "28"],
    ),
    (
        &["7"],
        &["1", "2", "3", "4"],
        Mode::Same,
        &["28", "21", "14", "7"],
        &["7", "14", "21", "28"],
    ),
    (
        &["1", "2", "3", "4", "5", "6"],
        &["-1/6"],
        Mode::Full,
        &["-1/6", "-1/3", "-1/2", "-2/3", "-5/6", "-1"],
        &["-1/6", "-1/3", "-1/2", "-2/3", "-5/6", "-1"],
    ),
    (
        &["1", "2", "3", "4", "5", "6"],
        &["-1/6"],
        Mode::Valid,
        &["-1/6", "-1/3", "-1/2", "-2/3", "-5/6", "-1"],
        &["-1/6", "-1/3", "-1/2", "-2/3", "-5/6", "-1"],
    ),
    (
        &["1", "2", "3", "4", "5", "6"],
        &["-1/6"],
        Mode::Same,
        &["-1/6", "-1/3", "-1/2", "-2/3", "-5/6", "-1"],
        &["-1/6", "-1/3", "-1/2", "-2/3", "-5/6", "-1"],
    ),
    (
        &["3", "1", "4", "1", "5", "9", "2", "6"],
        &["2", "7", "1", "8", "2", "8"],
        Mode::Full,
        &[
            "24", "14", "58", "27", "96", "107", "105", "144", "74", "123", "38", "46", "12",
        ],
        &[
            "6", "23", "18", "55", "35", "112", "96", "109", "134", "80", "124", "28", "48",
        ],
    ),
    (
        &["3", "1", "4", "1", "5", "9", "2", "6"],
        &["2", "7", "1", "8", "2", "8"],
        Mode::Valid,
        &["107", "105", "144"],
        &["112", "96", "109"],
    ),
    (
        &["3", "1", "4", "1", "5", "9", "2", "6"],
        &["2", "7", "1", "8", "2", "8"],
        Mode::Same,
        &["58", "27", "96", "107", "105", "144", "74", "123"],
        &["18", "55", "35", "112", "96", "109", "134", "80"],
    ),
];

#[test]
fn correlate_and_convolve_match_numpy_in_every_mode() {
    for (x, k, mode, want_corr, want_conv) in NUMPY_TABLE {
        let (x, k) = (qs(x), qs(k));
        let corr = correlate(&x, &k, &CorrelateOptions::new(*mode));
        assert_eq!(corr, Ok(qs(want_corr)), "correlate {x:?} {k:?} {mode:?}");
        let conv = convolve(&x, &k, *mode);
        assert_eq!(conv, Ok(qs(want_conv)), "convolve {x:?} {k:?} {mode:?}");
    }
}

type StrideCase = (
    &'static [&'static str],
    &'static [&'static str],
    usize,
    usize,
    Mode,
    &'static [&'static str],
);

/// (x, k, stride, dilation, mode, numpy.correlate(x, dilated k, mode)[::stride])
const STRIDE_TABLE: &[StrideCase] = &[
    (
        &["1", "2", "3", "4", "5", "6", "7", "8", "9"],
        &["1", "0", "-1/2"],
        2,
        1,
        Mode::Full,
        &["-1/2", "-1/2", "1/2", "3/2", "5/2", "9"],
    ),
    (
        &["1", "2", "3", "4", "5", "6", "7", "8", "9"],
        &["1", "0", "-1/2"],
        2,
        1,
        Mode::Valid,
        &["-1/2", "1/2", "3/2", "5/2"],
    ),
    (
        &["1", "2", "3", "4", "5", "6", "7", "8", "9"],
        &["1", "0", "-1/2"],
        2,
        1,
        Mode::Same,
        &["-1", "0", "1", "2", "8"],
    ),
    (
        &["1", "2", "3", "4", "5", "6", "7", "8", "9"],
        &["1", "-1"],
        1,
        3,
        Mode::Full,
        &[
            "-1", "-2", "-3", "-3", "-3", "-3", "-3", "-3", "-3", "7", "8", "9",
        ],
    ),
    (
        &["1", "2", "3", "4", "5", "6", "7", "8", "9"],
        &["1", "-1"],
        1,
        3,
        Mode::Valid,
        &["-3", "-3", "-3", "-3", "-3", "-3"],
    ),
    (
        &["1", "2", "3", "4", "5", "6", "7", "8", "9"],
        &["1", "-1"],
        1,
        3,
        Mode::Same,
        &["-2", "-3", "-3", "-3", "-3", "-3", "-3", "-3", "7"],
    ),
    (
        &["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"],
        &["1", "2", "3"],
        3,
        2,
        Mode::Full,
        &["3", "16", "34", "52", "9"],
    ),
    (
        &["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"],
        &["1", "2", "3"],
        3,
        2,
        Mode::Valid,
        &["22", "40"],
    ),
    (
        &["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"],
        &["1", "2", "3"],
        3,
        2,
        Mode::Same,
        &["11", "28", "46", "28"],
    ),
    (
        &["1", "2", "3"],
        &["1", "1", "1"],
        2,
        2,
        Mode::Full,
        &["1", "4", "4", "3"],
    ),
    (
        &["1", "2", "3"],
        &["1", "1", "1"],
        2,
        2,
        Mode::Valid,
        &["4", "4"],
    ),
    (
        &["1", "2", "3"],
        &["1", "1", "1"],
        2,
        2,
        Mode::Same,
        &["2", "2", "2"],
    ),
];

#[test]
fn stride_and_dilation_follow_the_dilated_numpy_correlation() {
    for (x, k, stride, dilation, mode, want) in STRIDE_TABLE {
        let opts = CorrelateOptions {
            mode: *mode,
            stride: *stride,
            dilation: *dilation,
        };
        let got = correlate(&qs(x), &qs(k), &opts);
        assert_eq!(got, Ok(qs(want)), "{x:?} {k:?} {opts:?}");
    }
}

#[test]
fn seed_q3_convolutions_of_the_moving_average() {
    let x = qs(&["1", "1", "4", "4", "4", "1", "1"]);
    let k = qs(&["1/4", "1/4", "1/4"]);
    let full = qs(&["1/4", "1/2", "3/2", "9/4", "3", "9/4", "3/2", "1/2", "1/4"]);
    let valid = qs(&["3/2", "9/4", "3", "9/4", "3/2"]);
    let same = qs(&["1/2", "3/2", "9/4", "3", "9/4", "3/2", "1/2"]);
    for (mode, want) in [(Mode::Full, full), (Mode::Valid, valid), (Mode::Same, same)] {
        assert_eq!(
            correlate(&x, &k, &CorrelateOptions::new(mode)),
            Ok(want.clone())
        );
        // a symmetric kernel: flipping changes nothing
        assert_eq!(convolve(&x, &k, mode), Ok(want));
    }
}

#[test]
fn lengths_follow_numpy_rules_for_all_sizes() {
    for n in 1..7usize {
        for m in 1..7usize {
            let x: Vec<BigRational> = (0..n).map(|i| q(&format!("{}/3", i + 1))).collect();
            let k: Vec<BigRational> = (0..m).map(|i| q(&format!("{}", i as i64 - 2))).collect();
            let full = convolve(&x, &k, Mode::Full).map(|v| v.len());
            let valid = convolve(&x, &k, Mode::Valid).map(|v| v.len());
            let same = convolve(&x, &k, Mode::Same).map(|v| v.len());
            assert_eq!(full, Ok(n + m - 1));
            assert_eq!(valid, Ok(n.max(m) - n.min(m) + 1));
            assert_eq!(same, Ok(n.max(m)));
            // convolution is symmetric in every mode, as numpy.convolve swaps
            for mode in [Mode::Full, Mode::Valid, Mode::Same] {
                assert_eq!(convolve(&x, &k, mode), convolve(&k, &x, mode));
            }
            // correlate(k, x) is correlate(x, k) reversed in full and valid mode
            for mode in [Mode::Full, Mode::Valid] {
                let forward = correlate(&x, &k, &CorrelateOptions::new(mode));
                let mut backward =
                    correlate(&k, &x, &CorrelateOptions::new(mode)).expect("non-empty operands");
                backward.reverse();
                assert_eq!(forward, Ok(backward));
            }
        }
    }
}

#[test]
fn errors_are_reported_not_panicked() {
    let x = qs(&["1", "2"]);
    let empty: Vec<BigRational> = Vec::new();
    let full = CorrelateOptions::new(Mode::Full);
    assert_eq!(correlate(&empty, &x, &full), Err(ConvError::EmptyInput));
    assert_eq!(correlate(&x, &empty, &full), Err(ConvError::EmptyKernel));
    assert_eq!(convolve(&empty, &x, Mode::Same), Err(ConvError::EmptyInput));
    let zero_stride = CorrelateOptions { stride: 0, ..full };
    assert_eq!(correlate(&x, &x, &zero_stride), Err(ConvError::ZeroStride));
    let zero_dilation = CorrelateOptions {
        dilation: 0,
        ..full
    };
    assert_eq!(
        correlate(&x, &x, &zero_dilation),
        Err(ConvError::ZeroDilation)
    );
    let ragged = vec![qs(&["1", "2"]), qs(&["3"])];
    let square = grid(&[&[1, 2], &[3, 4]]);
    assert_eq!(
        correlate2d(&ragged, &square, &CorrelateOptions2d::new(Mode::Full)),
        Err(ConvError::Ragged {
            operand: "input",
            row: 1,
            expected: 2,
            found: 1
        })
    );
    assert_eq!(
        convolve2d(&square, &ragged, Mode::Full),
        Err(ConvError::Ragged {
            operand: "kernel",
            row: 1,
            expected: 2,
            found: 1
        })
    );
    assert_eq!(
        convolve2d(&square, &[Vec::new()], Mode::Full),
        Err(ConvError::EmptyKernel)
    );
}

#[test]
fn wide_and_big_integer_paths_stay_exact() {
    // products near 2^62 · taps overflow i64 but fit i128
    let big = BigRational::from_integer(BigInt::from(i64::MAX / 2));
    let x = vec![big.clone(), big.clone(), big.clone()];
    let k = vec![big.clone(), big.clone()];
    let got = correlate(&x, &k, &CorrelateOptions::new(Mode::Valid)).expect("non-empty");
    let want = &big * &big * BigRational::from_integer(BigInt::from(2));
    assert_eq!(got, vec![want.clone(), want]);
    // beyond i128: entries with huge numerators and denominators
    let huge = BigRational::new(
        num_traits::pow(BigInt::from(3), 90),
        num_traits::pow(BigInt::from(7), 40),
    );
    let x = vec![huge.clone(), q("1/2")];
    let k = vec![huge.clone(), q("-1")];
    let got = convolve(&x, &k, Mode::Full).expect("non-empty");
    let want = vec![&huge * &huge, &huge * q("-1") + q("1/2") * &huge, q("-1/2")];
    assert_eq!(got, want);
}

#[test]
fn scaled_vectors_divide_once_and_reduce() {
    let x = qs(&["1/4", "1/6", "2"]);
    let scaled = ScaledVec::from_rationals(&x);
    assert_eq!(scaled.denominator(), &BigInt::from(12));
    assert_eq!(scaled.to_rationals(), x);
    assert_eq!(scaled.get(1), Some(q("1/6")));
    assert_eq!(scaled.get(3), None);
    let k = ScaledVec::from_integers(vec![1, 1]);
    let out =
        correlate_scaled(&scaled, &k, &CorrelateOptions::new(Mode::Valid)).expect("non-empty");
    assert_eq!(out.to_rationals(), qs(&["5/12", "13/6"]));
}

#[test]
fn convolve2d_matches_scipy() {
    let x = grid(&[&[1, 2, 3, 0], &[4, 5, 6, 1], &[7, 8, 9, 2]]);
    let k = grid(&[&[1, 0], &[0, -1]]);
    let cases: [(Mode, Vec<Vec<BigRational>>); 3] = [
        (
            Mode::Full,
            grid(&[
                &[1, 2, 3, 0, 0],
                &[4, 4, 4, -2, 0],
                &[7, 4, 4, -4, -1],
                &[0, -7, -8, -9, -2],
            ]),
        ),
        (Mode::Valid, grid(&[&[4, 4, -2], &[4, 4, -4]])),
        (
            Mode::Same,
            grid(&[&[1, 2, 3, 0], &[4, 4, 4, -2], &[7, 4, 4, -4]]),
        ),
    ];
    for (mode, want) in cases {
        assert_eq!(convolve2d(&x, &k, mode), Ok(want), "{mode:?}");
    }
    let k = grid(&[&[1, 2], &[3, 4], &[5, 6]]);
    assert_eq!(
        convolve2d(&x, &k, Mode::Same),
        Ok(grid(&[
            &[7, 23, 33, 25],
            &[24, 69, 90, 65],
            &[41, 101, 119, 83]
        ]))
    );
    assert_eq!(convolve2d(&x, &k, Mode::Valid), Ok(grid(&[&[69, 90, 65]])));
}

#[test]
fn correlate2d_matches_scipy_except_the_documented_even_same_window() {
    let x = grid(&[&[1, 2, 3, 0], &[4, 5, 6, 1], &[7, 8, 9, 2]]);
    let k = grid(&[&[1, 2, 3], &[0, 1, 0]]);
    let full = grid(&[
        &[0, 1, 2, 3, 0, 0],
        &[3, 12, 19, 14, 4, 0],
        &[12, 30, 40, 29, 10, 1],
        &[21, 38, 50, 32, 13, 2],
    ]);
    let opts = |mode| CorrelateOptions2d::new(mode);
    assert_eq!(correlate2d(&x, &k, &opts(Mode::Full)), Ok(full));
    assert_eq!(
        correlate2d(&x, &k, &opts(Mode::Valid)),
        Ok(grid(&[&[19, 14], &[40, 29]]))
    );
    // the kernel has 2 rows (even): like numpy.correlate, the same window starts
    // at full row ⌊(2 − 1)/2⌋ = 0, where scipy.signal.correlate2d starts at row 1
    assert_eq!(
        correlate2d(&x, &k, &opts(Mode::Same)),
        Ok(grid(&[&[1, 2, 3, 0], &[12, 19, 14, 4], &[30, 40, 29, 10]]))
    );
    // a 1-row grid is the 1-D correlation
    let row = grid(&[&[1, 2, 3, 4, 5]]);
    let kernel = grid(&[&[1, -2, 3]]);
    let two_d = correlate2d(&row, &kernel, &opts(Mode::Same)).expect("non-empty");
    let one_d = correlate(&row[0], &kernel[0], &CorrelateOptions::new(Mode::Same));
    assert_eq!(Ok(two_d[0].clone()), one_d);
}

#[test]
fn correlate2d_stride_and_dilation_per_axis() {
    let x = grid(&[
        &[1, 2, 3, 4, 5],
        &[6, 7, 8, 9, 10],
        &[11, 12, 13, 14, 15],
        &[16, 17, 18, 19, 20],
    ]);
    let k = grid(&[&[1, -1]]);
    let opts = CorrelateOptions2d {
        mode: Mode::Valid,
        stride: (2, 1),
        dilation: (1, 2),
    };
    // valid, columns dilated by 2: x[r][c] − x[r][c + 2] = −2; rows 0 and 2 kept
    assert_eq!(
        correlate2d(&x, &k, &opts),
        Ok(grid(&[&[-2, -2, -2], &[-2, -2, -2]]))
    );
}

#[test]
fn rationals_parse_exactly() {
    assert_eq!(parse_rational("0.1"), Some(q("1/10")));
    assert_eq!(parse_rational("-2.5e-1"), Some(q("-1/4")));
    assert_eq!(parse_rational("3/0"), None);
    assert_eq!(parse_rational("abc"), None);
    assert_eq!(parse_rational("."), None);
    assert_eq!(
        parse_rational_list("[1, 1/4 0.5]"),
        Some(qs(&["1", "1/4", "1/2"]))
    );
    assert_eq!(format_rational(&q("-6/8")), "-3/4");
}

#[test]
fn empty_list_entries_are_errors() {
    let cases = [
        ("[1,,2]", None),
        ("[1, 2,]", None),
        ("[,1]", None),
        ("[1, 2]", Some(qs(&["1", "2"]))),
        ("1 2 3", Some(qs(&["1", "2", "3"]))),
        ("[]", Some(vec![])),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_rational_list(text), expected, "{text}");
    }
}

#[test]
fn fixed_denominator_reduction_matches_gcd() {
    // smooth, prime, large-cofactor and power-of-two denominators, every sign and zero
    let denominators: [u64; 6] = [
        1,
        768_398_400,
        1_000_003 * 6,
        999_983 * 1_000_003,
        1 << 40,
        97,
    ];
    let numerators: [i64; 9] = [
        0,
        1,
        -1,
        12,
        -27_720,
        999_983,
        i64::MAX,
        i64::MIN,
        -5_000_018,
    ];
    for &d in &denominators {
        let reducer = FixedDenominator::new(d);
        for &n in &numerators {
            let want = BigRational::new(BigInt::from(n), BigInt::from(d));
            let got = reducer.ratio(n);
            assert_eq!(got, want, "{n}/{d}");
            // reduced: numerator and denominator coprime, denominator positive
            assert!(got.numer().gcd(got.denom()).is_one(), "{n}/{d}");
        }
    }
}

// ----- PyTorch's padding='same' -----

/// conv1d(padding='same') written as PyTorch documents it: `d·(m − 1)` zeros,
/// `⌊d·(m − 1)/2⌋` of them on the left, then a valid correlation.
fn torch_same_by_padding(x: &[i64], k: &[i64], dilation: usize) -> Vec<BigRational> {
    let total = dilation * (k.len() - 1);
    let left = total / 2;
    let mut padded = vec![0; left];
    padded.extend_from_slice(x);
    padded.extend(std::iter::repeat_n(0, total - left));
    (0..x.len())
        .map(|i| {
            let sum: i64 = k
                .iter()
                .enumerate()
                .map(|(t, &kt)| padded[i + t * dilation] * kt)
                .sum();
            BigRational::from_integer(BigInt::from(sum))
        })
        .collect()
}

fn torch_same(x: &[i64], k: &[i64], dilation: usize) -> Result<Vec<BigRational>, ConvError> {
    let ints = |v: &[i64]| -> Vec<BigRational> {
        v.iter()
            .map(|&e| BigRational::from_integer(BigInt::from(e)))
            .collect()
    };
    let mut options = CorrelateOptions::new(Mode::SameTorch);
    options.dilation = dilation;
    correlate(&ints(x), &ints(k), &options)
}

/// (x, k, dilation, PyTorch's output)
type TorchCase = (&'static [i64], &'static [i64], usize, &'static [i64]);

#[test]
fn torch_same_pads_the_extra_zero_on_the_right() {
    // worked by hand from the padding
    let table: &[TorchCase] = &[
        (&[1, 2, 3, 4], &[1, 1], 1, &[3, 5, 7, 4]),
        (&[1, 2, 3, 4, 5], &[1, 2, 3, 4], 1, &[20, 30, 40, 26, 14]),
        (&[1, 2], &[1, 2, 3, 4], 1, &[8, 5]),
        (&[1, 2, 3], &[1, 2, 3], 1, &[8, 14, 8]),
        (&[1, 2, 3, 4, 5], &[1, 2], 2, &[4, 7, 10, 13, 4]),
    ];
    for &(x, k, dilation, expected) in table {
        let expected: Vec<BigRational> = expected
            .iter()
            .map(|&e| BigRational::from_integer(BigInt::from(e)))
            .collect();
        assert_eq!(
            torch_same(x, k, dilation).unwrap(),
            expected,
            "{x:?} ⋆ {k:?}"
        );
    }
}

#[test]
fn torch_same_agrees_with_explicit_padding() {
    let mut seed = 7u64;
    let mut next = |bound: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % bound
    };
    for _ in 0..300 {
        let n = 1 + next(9) as usize;
        let m = 1 + next(6) as usize;
        let dilation = 1 + next(3) as usize;
        let x: Vec<i64> = (0..n).map(|_| next(11) as i64 - 5).collect();
        let k: Vec<i64> = (0..m).map(|_| next(11) as i64 - 5).collect();
        assert_eq!(
            torch_same(&x, &k, dilation).unwrap(),
            torch_same_by_padding(&x, &k, dilation),
            "{x:?} ⋆ {k:?}, dilation {dilation}"
        );
    }
}

#[test]
fn torch_same_refuses_what_pytorch_refuses() {
    let ones = [BigRational::one(), BigRational::one()];
    let mut strided = CorrelateOptions::new(Mode::SameTorch);
    strided.stride = 2;
    assert_eq!(
        correlate(&ones, &ones, &strided),
        Err(ConvError::SameTorchStride)
    );
    assert_eq!(
        convolve(&ones, &ones, Mode::SameTorch),
        Err(ConvError::SameTorchFlip)
    );
}
