"""Statistics against reference implementations (scipy, statsmodels) and worked examples."""

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.stats.multitest import multipletests

from neurocompare import InputError
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
    sign_flip_test,
    wilcoxon,
)


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


def test_binomial_chance_level_worked_examples():
    # Combrisson & Jerbi (2015): 2 classes, 100 trials, alpha 0.05 -> 58 %
    assert binomial_chance_level(100, 2) == 0.58
    assert binomial_chance_level(40, 4) > 0.25
    assert binomial_chance_level(10000, 2) < 0.51
