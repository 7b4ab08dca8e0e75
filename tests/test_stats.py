"""Statistics against reference implementations (scipy, statsmodels) and worked examples."""

import itertools

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.stats.multitest import multipletests

from neurocompare import InputError
from neurocompare.explain.stability import rank_agreement, spearman_matrix
from neurocompare.stats.multiple import (
    binomial_chance_level,
    friedman_nemenyi,
    holm,
    random_effects,
    stouffer,
)
from neurocompare.stats.paired import (
    bootstrap_ci,
    cliffs_delta,
    cohens_dz,
    corrected_resampled_t,
    sign_flip_pvalue,
    sign_flip_test,
    wilcoxon,
)
from neurocompare.stats.recovery import bootstrap_mean_ci


@pytest.fixture
def paired(rng):
    a = rng.normal(0.75, 0.08, 12)
    return a, a - rng.normal(0.03, 0.04, 12)


def test_wilcoxon_matches_scipy(paired):
    a, b = paired
    ours = wilcoxon(a, b)
    ref = stats.wilcoxon(a, b)
    assert np.isclose(ours.pvalue, ref.pvalue, atol=1e-12)
    assert wilcoxon(a, a).pvalue == 1.0


def test_exact_sign_flip_matches_scipy_permutation_test(paired):
    a, b = paired
    ours = sign_flip_test(a, b)
    ref = stats.permutation_test((a, b), lambda x, y: np.mean(x - y), vectorized=False,
                                 permutation_type="samples", n_resamples=np.inf)
    assert ours.method.startswith("exact")
    assert np.isclose(ours.pvalue, ref.pvalue, atol=1e-6)


def test_sign_flip_false_positive_rate_is_alpha_on_null_data():
    rng = np.random.default_rng(1)
    pvalues = [sign_flip_test(x, np.zeros(25), n_permutations=999, seed=i).pvalue
               for i, x in enumerate(rng.standard_normal((400, 25)))]
    rate = np.mean(np.array(pvalues) < 0.05)
    assert 0.025 < rate < 0.08  # 400 null datasets: binomial 95% range around 0.05
    exact = [sign_flip_test(x, np.zeros(10)).pvalue for x in rng.standard_normal((400, 10))]
    assert 0.025 < np.mean(np.array(exact) < 0.05) < 0.08


def _enumerated_pvalue(x, two_sided=True):
    """Exact sign-flip p-value by brute force, ties within 1e-12 of the mean counted."""
    signs = np.array(list(itertools.product((1.0, -1.0), repeat=len(x))))
    null, observed = signs @ x / len(x), x.mean(axis=0)
    if two_sided:
        null, observed = np.abs(null), np.abs(observed)
    return np.mean(null >= observed - 1e-12, axis=0)


def test_exact_sign_flip_equals_enumeration_with_tied_null_means():
    # accuracies on 40 trials: differences are multiples of 1/40, so many null means tie
    rng = np.random.default_rng(5)
    for _ in range(20):
        a, b = rng.integers(20, 40, 10) / 40, rng.integers(20, 40, 10) / 40
        assert sign_flip_test(a, b).pvalue == _enumerated_pvalue(a - b)
    # a mean difference that is zero up to rounding (5.6e-17) ties with every pattern
    assert sign_flip_test([0.1, 0.2, 0.0], [0.0, 0.0, 0.3]).pvalue == 1.0
    M = rng.integers(-3, 4, (9, 6)) / 100
    assert np.array_equal(sign_flip_pvalue(M, "greater")[0], _enumerated_pvalue(M, False))


def test_monte_carlo_sign_flip_within_resampling_noise_of_exact(paired):
    a, b = paired
    exact = sign_flip_test(a, b).pvalue
    mc = sign_flip_test(a, b, n_permutations=2000, exact_max=8, seed=1)
    assert mc.method == "sign-flip permutation"
    assert abs(mc.pvalue - exact) < 4 * np.sqrt(exact * (1 - exact) / 2000) + 1 / 2001
    assert sign_flip_test(a, b, n_permutations=2000, exact_max=8, seed=1) == mc
    # as many draws as there are patterns: scipy enumerates them, the exact p-value
    assert sign_flip_test(a, b, n_permutations=2 ** 12, exact_max=8).pvalue == exact
    M = np.random.default_rng(2).normal(0.01, 0.03, (11, 5))
    p_exact = sign_flip_pvalue(M, "greater")[0]
    p_mc, exact_used = sign_flip_pvalue(M, "greater", n_permutations=2000, exact_max=8)
    assert not exact_used
    assert np.all(np.abs(p_mc - p_exact) < 4 * np.sqrt(p_exact * (1 - p_exact) / 2000) + 1e-3)


def _percentile_ci(samples, statistic, n_boot, seed, level=0.95):
    """The CI definition of the project: percentiles of the finite statistics of ``n_boot``
    joint resamples of the observations drawn by ``default_rng(seed).integers``."""
    n = len(samples[0])
    draws = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.array([statistic(*(s[i] for s in samples)) for i in draws], dtype=float)
    tail = 100 * (1 - level) / 2
    return np.percentile(values[np.isfinite(values)], [tail, 100 - tail])


@pytest.mark.parametrize("n", [12, 4])  # n = 4: some resamples repeat one pair (d_z infinite)
def test_bootstrap_cis_keep_the_percentile_definition(rng, n):
    a = rng.normal(0.75, 0.08, n)
    b = a - rng.normal(0.03, 0.04, n)
    for statistic in (cohens_dz, lambda x, y: float(np.mean(x - y))):
        ci = bootstrap_ci(a, b, statistic, n_boot=1000, seed=3)
        reference = _percentile_ci((a, b), statistic, 1000, seed=3)
        # resampling noise only: a BCa or basic interval moves the bounds by 10-20 % of the
        # width, another seed of the same definition by about 2 %
        assert np.allclose(ci, reference, atol=0.02 * (reference[1] - reference[0]))
        assert bootstrap_ci(a, b, statistic, n_boot=1000, seed=3) == ci
    assert bootstrap_ci(a, b, cohens_dz, n_boot=1000, seed=4) != ci
    ci = bootstrap_mean_ci(a, n_boot=1000, seed=3)
    reference = _percentile_ci((a,), np.mean, 1000, seed=3)
    assert np.allclose(ci, reference, atol=0.02 * (reference[1] - reference[0]))
    assert bootstrap_mean_ci(a, n_boot=1000, seed=3) == ci


def test_rank_agreement_ci_keeps_the_percentile_definition(rng):
    M = rng.normal(0, 1, (8, 9)) + np.linspace(0, 2, 9)
    S = spearman_matrix(M)

    def pair_mean(idx):
        values = S[np.ix_(idx, idx)][idx[:, None] != idx[None, :]]
        values = values[np.isfinite(values)]
        return values.mean() if values.size else np.nan

    agree = rank_agreement(M, k=3, n_boot=500, seed=2)
    reference = _percentile_ci((np.arange(8),), pair_mean, 500, seed=2)
    assert np.allclose(agree.spearman_ci, reference, atol=0.02 * (reference[1] - reference[0]))
    assert rank_agreement(M, k=3, n_boot=500, seed=2) == agree


def test_spearman_matrix_leaves_constant_and_nan_rows_out(rng):
    M = rng.normal(0, 1, (5, 7))
    M[1] = 0.5
    M[3, 2] = np.nan
    S = spearman_matrix(M)
    assert np.isnan(S[[1, 3]]).all() and np.isnan(S[:, [1, 3]]).all()
    assert S[0, 2] == pytest.approx(stats.spearmanr(M[0], M[2]).statistic)
    two = spearman_matrix(M[[0, 4]])
    assert two[0, 1] == pytest.approx(stats.spearmanr(M[0], M[4]).statistic)
    assert np.allclose(np.diag(two), 1.0)


def test_effect_sizes(paired):
    a, b = paired
    d = a - b
    assert np.isclose(cohens_dz(a, b), d.mean() / d.std(ddof=1))
    x, y = np.array([1.0, 2, 3, 4]), np.array([2.5, 2.5, 0.5, 5])
    u = stats.mannwhitneyu(x, y).statistic  # ties count one half
    assert np.isclose(cliffs_delta(x, y), 2 * u / (len(x) * len(y)) - 1, atol=1e-12)
    assert cliffs_delta(np.ones(3) * 2, np.ones(3)) == 1.0
    low, high = bootstrap_ci(a, b, cohens_dz, n_boot=500)
    assert low < cohens_dz(a, b) < high


def test_corrected_resampled_t_worked_example():
    a = np.array([0.80, 0.75, 0.82, 0.78, 0.77])
    b = np.array([0.76, 0.74, 0.78, 0.75, 0.77])
    d = a - b
    t = d.mean() / np.sqrt((1 / 5 + 20 / 80) * d.var(ddof=1))
    res = corrected_resampled_t(a, b, n_train=80, n_test=20)
    # by hand: mean 0.024, var 0.00033 -> 0.024 / sqrt(0.45 * 0.00033) = 1.96946
    assert np.isclose(res.statistic, t) and np.isclose(res.statistic, 1.96946, atol=1e-5)
    assert np.isclose(res.pvalue, 2 * stats.t.sf(t, 4))
    # the plain paired t-test is anti-conservative: smaller p on the same folds
    assert stats.ttest_rel(a, b).pvalue < res.pvalue


def test_holm_matches_statsmodels():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.2])
    assert np.allclose(holm(p), multipletests(p, method="holm")[1], atol=1e-12)
    # step-down by hand: sorted 0.005 0.01 0.03 0.04 0.2 times 5 4 3 2 1, running maximum
    assert np.allclose(holm(p), [0.04, 0.09, 0.09, 0.025, 0.2])
    assert holm([]).shape == (0,)


def test_friedman_and_nemenyi_against_scipy_and_demsar(rng):
    scores = rng.normal(0.7, 0.05, (10, 4)) + np.array([0.05, 0.0, -0.02, 0.01])
    res = friedman_nemenyi(scores)
    ref = stats.friedmanchisquare(*scores.T)
    assert np.isclose(res.statistic, ref.statistic) and np.isclose(res.pvalue, ref.pvalue)
    assert np.isclose(res.mean_ranks.sum(), 10 * 4 * 5 / 2 / 10)
    # Demsar (2006), Table 5a: q_0.05 = 2.569 for k = 4 -> CD = 2.569 sqrt(4*5/(6*10))
    assert np.isclose(res.critical_difference, 2.569 * np.sqrt(20 / 60), atol=2e-3)


def test_stouffer_matches_scipy():
    p, n = np.array([0.01, 0.20, 0.04]), np.array([12, 9, 54])
    ref = stats.combine_pvalues(p, method="stouffer", weights=np.sqrt(n)).pvalue
    assert np.isclose(stouffer(p, n), ref, atol=1e-12)
    # one-sided convention by hand: z = sum(sqrt(n) isf(p)) / sqrt(sum(n)), p = sf(z)
    z = (np.sqrt(n) * stats.norm.isf(p)).sum() / np.sqrt(n.sum())
    assert np.isclose(stouffer(p, n), stats.norm.sf(z), atol=1e-12)
    assert np.isfinite(stouffer([0.0, 1.0], [10, 10]))  # clipped: no inf - inf


def test_random_effects_matches_statsmodels_dersimonian_laird():
    y = np.array([0.05, 0.12, -0.01, 0.08, 0.20])
    v = np.array([0.002, 0.004, 0.003, 0.001, 0.006])
    ours = random_effects(y, v)
    ref = combine_effects(y, v, method_re="dl")
    assert np.isclose(ours.effect, ref.mean_effect_re, atol=1e-6)
    assert np.isclose(ours.se, ref.sd_eff_w_re, atol=1e-6)
    assert np.isclose(ours.tau2, ref.tau2, atol=1e-6)
    assert np.isclose(ours.q, ref.q, atol=1e-6)
    assert np.isclose(ours.i2, ref.i2, atol=1e-6)
    low, high = ours.prediction_interval
    assert low < ours.ci[0] < ours.effect < ours.ci[1] < high
    with pytest.raises(InputError, match="positive variances"):
        random_effects(y, -v)


def test_random_effects_truncates_tau2_at_zero():
    """Q < k - 1: statsmodels' DL estimate is negative; DerSimonian-Laird use tau^2 = 0."""
    y = np.array([0.050, 0.052, 0.049, 0.051])
    v = np.array([0.002, 0.004, 0.003, 0.001])
    with np.errstate(invalid="ignore"):
        ref = combine_effects(y, v, method_re="dl")
    assert ref.tau2 < 0 and ref.i2 < 0
    ours = random_effects(y, v)
    w = 1 / v
    assert ours.tau2 == 0.0 and ours.i2 == 0.0
    assert np.isclose(ours.effect, (w * y).sum() / w.sum(), atol=1e-15)
    assert np.isclose(ours.se, np.sqrt(1 / w.sum()), atol=1e-15)
    z = stats.norm.ppf(0.975)
    assert np.allclose(ours.ci, (ours.effect - z * ours.se, ours.effect + z * ours.se))
    half = stats.t.ppf(0.975, df=2) * ours.se
    assert np.allclose(ours.prediction_interval, (ours.effect - half, ours.effect + half))


def test_binomial_chance_level_worked_examples():
    # Combrisson & Jerbi (2015): 2 classes, 100 trials, alpha 0.05 -> 58 %
    assert binomial_chance_level(100, 2) == 0.58
    assert binomial_chance_level(40, 4) > 0.25
    assert binomial_chance_level(10000, 2) < 0.51
