//! The two-sided Mann–Whitney U test, with exact and asymptotic p-values,
//! and the complementary error function it needs. Pure math: no profiles.

/// How a p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestMethod {
    /// The exact null distribution of U (small samples, no ties).
    Exact,
    /// Normal approximation with tie and continuity correction.
    Asymptotic,
}

impl TestMethod {
    /// Stable name, as in JSON (`"exact"`, `"asymptotic"`).
    pub fn name(self) -> &'static str {
        match self {
            TestMethod::Exact => "exact",
            TestMethod::Asymptotic => "asymptotic",
        }
    }
}

/// Result of a two-sided Mann–Whitney U test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// U of the first sample (SciPy's `statistic`).
    pub u: f64,
    /// Two-sided p-value.
    pub p: f64,
    /// How `p` was computed.
    pub method: TestMethod,
}

/// The smallest two-sided p-value of the exact test for these sample sizes.
pub fn min_p_value(n1: usize, n2: usize) -> f64 {
    if n1 == 0 || n2 == 0 {
        return 1.0;
    }
    // 2 / C(n1 + n2, n1), in floating point (it only needs to be close).
    let mut combinations = 1.0f64;
    for i in 0..n1.min(n2) {
        combinations = combinations * (n1 + n2 - i) as f64 / (i + 1) as f64;
    }
    (2.0 / combinations).min(1.0)
}

/// Two-sided Mann–Whitney U test of `x` against `y`, as SciPy's
/// `mannwhitneyu(x, y, alternative='two-sided')` computes it with its
/// defaults (`method='auto'`, `use_continuity=True`). `None` when a sample is
/// empty or holds a non-finite value.
///
/// * statistic: U₁ = R₁ − n₁(n₁+1)/2, R₁ the sum of x's ranks (ties get the
///   average rank);
/// * `method='auto'`: exact when min(n₁, n₂) ≤ 8 and nothing is tied, the
///   normal approximation otherwise;
/// * exact: p = 2·P(U ≥ max(U₁, U₂)) under the null, from the counts of the
///   Gaussian binomial coefficient [n₁+n₂ choose n₁] (exact integers);
/// * approximation: z = (max(U₁, U₂) − n₁n₂/2 − ½) / σ with
///   σ² = n₁n₂/12 · ((n+1) − Σ(t³−t)/(n(n−1))), p = 2·Φ(−z);
/// * p is clipped to [0, 1].
///
/// Should the exact counts not fit 128-bit integers (one side ≤ 8 runs, the
/// other tens of thousands), the approximation is used instead.
pub fn mann_whitney_u(x: &[f64], y: &[f64]) -> Option<MannWhitney> {
    let (n1, n2) = (x.len(), y.len());
    if n1 == 0 || n2 == 0 || x.iter().chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    let mut all: Vec<(f64, bool)> = x
        .iter()
        .map(|&v| (v, true))
        .chain(y.iter().map(|&v| (v, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Average ranks; collect tie group sizes for the correction.
    let mut rank_sum_x = 0.0;
    let mut tie_term = 0.0;
    let mut ties = false;
    let mut start = 0;
    while start < all.len() {
        let mut end = start + 1;
        while end < all.len() && all[end].0 == all[start].0 {
            end += 1;
        }
        let size = (end - start) as f64;
        // Ranks start + 1 ..= end, averaged.
        let rank = (start + 1 + end) as f64 / 2.0;
        rank_sum_x += rank * all[start..end].iter().filter(|v| v.1).count() as f64;
        if end - start > 1 {
            ties = true;
            tie_term += size * size * size - size;
        }
        start = end;
    }
    let (f1, f2) = (n1 as f64, n2 as f64);
    let u1 = rank_sum_x - f1 * (f1 + 1.0) / 2.0;
    let u2 = f1 * f2 - u1;
    let u = u1.max(u2);
    // SciPy: asymptotic when both samples exceed 8 or anything is tied.
    let exact = !(ties || (n1 > 8 && n2 > 8));
    if exact {
        // Without ties every rank is an integer, so U is too.
        if let Some(sf) = exact_sf(u.round() as usize, n1.min(n2), n1.max(n2)) {
            return Some(MannWhitney {
                u: u1,
                p: (2.0 * sf).clamp(0.0, 1.0),
                method: TestMethod::Exact,
            });
        }
    }
    let n = f1 + f2;
    let mu = f1 * f2 / 2.0;
    let sigma = (f1 * f2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)))).sqrt();
    let numerator = u - mu - 0.5;
    let z = if sigma > 0.0 {
        numerator / sigma
    } else if numerator < 0.0 {
        f64::NEG_INFINITY
    } else {
        f64::INFINITY
    };
    Some(MannWhitney {
        u: u1,
        p: (2.0 * normal_sf(z)).clamp(0.0, 1.0),
        method: TestMethod::Asymptotic,
    })
}

/// P(U ≥ u) for samples of sizes `m ≤ n` with no ties, or `None` when the
/// counts overflow 128 bits.
fn exact_sf(u: usize, m: usize, n: usize) -> Option<f64> {
    let counts = u_counts(m, n)?;
    let total: i128 = counts.iter().try_fold(0i128, |a, &c| a.checked_add(c))?;
    let above: i128 = counts
        .iter()
        .skip(u)
        .try_fold(0i128, |a, &c| a.checked_add(c))?;
    Some(above as f64 / total as f64)
}

/// The number of arrangements giving each U = 0..=m·n: the coefficients of
/// the Gaussian binomial [m+n choose m]_q = ∏_{i=1..m} (1 − q^{n+i}) / (1 − q^i).
/// After each factor the partial product is itself a Gaussian binomial, so
/// every division is exact.
fn u_counts(m: usize, n: usize) -> Option<Vec<i128>> {
    let top = m.checked_mul(n)?.checked_add(m)?;
    let mut c = vec![0i128; top + 1];
    c[0] = 1;
    let mut degree = 0;
    for i in 1..=m {
        let shift = n + i;
        for k in (shift..=degree + shift).rev() {
            c[k] = c[k].checked_sub(c[k - shift])?;
        }
        for k in i..=degree + shift {
            c[k] = c[k].checked_add(c[k - i])?;
        }
        degree += n;
    }
    c.truncate(m * n + 1);
    Some(c)
}

/// Upper tail of the standard normal distribution, 1 − Φ(z).
fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// The complementary error function to about 1e-14 relative accuracy:
/// a positive-term series for erf below 2, a continued fraction above.
pub(crate) fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x > 27.0 {
        return 0.0;
    }
    let two_over_sqrt_pi = std::f64::consts::FRAC_2_SQRT_PI;
    if x < 2.0 {
        // erf x = 2/√π · e^{−x²} · Σ 2ⁿ x^{2n+1} / (2n+1)!!  (all terms positive)
        let x2 = x * x;
        let mut term = x;
        let mut sum = x;
        let mut k = 0.0;
        while term > sum * 1e-17 {
            k += 1.0;
            term *= 2.0 * x2 / (2.0 * k + 1.0);
            sum += term;
        }
        return 1.0 - two_over_sqrt_pi * (-x2).exp() * sum;
    }
    // erfc x = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))),
    // evaluated from the tail; 120 levels are plenty for x ≥ 2.
    let mut t = x;
    for k in (1..=120).rev() {
        t = x + (k as f64 / 2.0) / t;
    }
    (-x * x).exp() * (two_over_sqrt_pi / 2.0) / t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfc_matches_known_values() {
        // `python3 -c 'import math; print(repr(math.erfc(x)))'` for these x.
        for (x, want) in [
            (0.0, 1.0),
            (0.5, 0.4795001221869535),
            (1.0, 0.15729920705028513),
            (1.9, 0.0072095707647425325),
            (2.0, 0.004677734981047265),
            (3.0, 2.2090496998585438e-05),
            (5.0, 1.5374597944280351e-12),
            (-1.0, 1.842700792949715),
        ] {
            let got = erfc(x);
            assert!(
                ((got - want) / want).abs() < 1e-13,
                "erfc({x}) = {got}, want {want}"
            );
        }
    }

    #[test]
    fn gaussian_binomial_counts() {
        // [4 choose 2]_q = 1 + q + 2q² + q³ + q⁴
        assert_eq!(u_counts(2, 2).unwrap(), vec![1, 1, 2, 1, 1]);
        let counts = u_counts(5, 5).unwrap();
        assert_eq!(counts.iter().sum::<i128>(), 252);
        assert_eq!(counts.len(), 26);
        assert_eq!(counts[0], 1);
        assert_eq!(counts[25], 1);
    }
}
