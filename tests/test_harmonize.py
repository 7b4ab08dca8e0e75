"""ComBat site harmonisation: agreement with neuroCombat, planted site effects removed,
estimates from training rows only, sites routed through the pipeline and the runner."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd
import pytest
from sklearn import config_context
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from neurocompare._errors import InputError
from neurocompare.data.containers import NeuralData, SignalInfo
from neurocompare.evaluation.fold import evaluate_fold
from neurocompare.pipelines.connectome.transformers import Connectivity
from neurocompare.pipelines.registry import make_pipeline
from neurocompare.pipelines.sites.combat import SiteHarmonizer, combat_apply, combat_fit
from neurocompare.pipelines.sites.pipeline import SitePipeline
from neurocompare.protocols.groups import LeaveSiteOut, SubjectKFold


def _planted(rng, n_per_site=(30, 25, 40), p=20):
    """Features = label effect on the first 3 features + per-site shift and scale."""
    sites = np.repeat([f"s{i}" for i in range(len(n_per_site))], n_per_site)
    y = rng.integers(0, 2, len(sites))
    X = rng.standard_normal((len(sites), p))
    X[:, :3] += 1.0 * y[:, None]
    for i, site in enumerate(np.unique(sites)):
        rows = sites == site
        X[rows] = X[rows] * (1 + 0.8 * i) + rng.normal(3.0 * (i - 1), 1.0, p)
    return X, y, sites


def _neurocombat(X, sites, **kw):
    from neuroCombat import neuroCombat

    with contextlib.redirect_stdout(io.StringIO()):
        out = neuroCombat(dat=X.T.copy(), covars=pd.DataFrame({"site": sites}),
                          batch_col="site", **kw)
    return out["data"].T


@pytest.mark.parametrize(("eb", "mean_only"), [(True, False), (False, False), (True, True)])
def test_agrees_with_neurocombat(eb, mean_only):
    X, _, sites = _planted(np.random.default_rng(0))
    ours = combat_apply(X, sites, combat_fit(X, sites, empirical_bayes=eb, mean_only=mean_only))
    reference = _neurocombat(X, sites, eb=eb, mean_only=mean_only)
    np.testing.assert_allclose(ours, reference, rtol=1e-8, atol=1e-8)


def test_planted_site_effects_removed_label_effect_kept():
    X, y, sites = _planted(np.random.default_rng(1), n_per_site=(60, 60, 60))
    labels = np.unique(sites)
    raw_means = np.stack([X[sites == s].mean(axis=0) for s in labels])
    # plain location/scale: site means and SDs become exactly equal
    L = combat_apply(X, sites, combat_fit(X, sites, empirical_bayes=False))
    np.testing.assert_allclose(np.ptp([L[sites == s].mean(axis=0) for s in labels], axis=0), 0,
                               atol=1e-10)
    sds = np.stack([L[sites == s].std(axis=0, ddof=1) for s in labels])
    np.testing.assert_allclose(sds / sds[0], 1, rtol=1e-10)
    # empirical Bayes shrinks the site estimates a little: nearly equal
    H = combat_apply(X, sites, combat_fit(X, sites))
    means = np.stack([H[sites == s].mean(axis=0) for s in labels])
    assert np.median(np.ptp(means, axis=0)) < 0.05 * np.median(np.ptp(raw_means, axis=0))
    sds = np.stack([H[sites == s].std(axis=0) for s in labels])
    assert np.median(sds.max(axis=0) / sds.min(axis=0)) < 1.2  # raw ratio ~2.6
    effect = H[y == 1, :3].mean(axis=0) - H[y == 0, :3].mean(axis=0)
    pooled_sd = np.sqrt(combat_fit(X, sites).var_pooled[:3])
    assert np.all(effect / pooled_sd > 0.5)  # the diagnosis effect survives (d ~ 1 planted)


def test_unseen_sites_and_missing_sites_pass_unchanged():
    X, _, sites = _planted(np.random.default_rng(2))
    fit = combat_fit(X[sites != "s2"], sites[sites != "s2"])
    out = combat_apply(X, sites, fit)
    np.testing.assert_array_equal(out[sites == "s2"], X[sites == "s2"])
    assert not np.allclose(out[sites == "s0"], X[sites == "s0"])
    np.testing.assert_array_equal(combat_apply(X, None, fit), X)
    with pytest.raises(InputError, match="sites"):
        combat_fit(X, sites[:-1])


def test_estimates_use_training_rows_only():
    X, _, sites = _planted(np.random.default_rng(3))
    train = np.arange(len(X)) % 4 != 0
    h = SiteHarmonizer().fit(X[train], sites=sites[train])
    X_changed = X.copy()
    X_changed[~train] += 100.0  # test rows may be anything: the estimates cannot move
    h2 = SiteHarmonizer().fit(X_changed[train], sites=sites[train])
    np.testing.assert_array_equal(h.fit_.grand_mean, h2.fit_.grand_mean)
    for site in h.sites_:
        np.testing.assert_array_equal(h.fit_.gamma[site], h2.fit_.gamma[site])


def _series_data(rng, n_per_site=(12, 12, 12), n_rois=6, n_times=60):
    """ROI series whose correlation carries a label effect, scaled per site."""
    sites = np.repeat([f"site{i}" for i in range(len(n_per_site))], n_per_site)
    y = np.tile([0, 1], len(sites) // 2)
    X = np.empty(len(sites), dtype=object)
    for j in range(len(sites)):
        s = rng.standard_normal((n_times, n_rois))
        s[:, 1] += (0.9 if y[j] else 0.1) * s[:, 0]
        s[:, 2] += 0.5 * int(sites[j][-1]) * s[:, 3]  # site-specific coupling
        X[j] = s
    metadata = pd.DataFrame({"subject": [f"sub{j}" for j in range(len(sites))],
                             "session": "0", "run": "0", "site": sites})
    info = SignalInfo(kind="timeseries", class_names=("a", "b"))
    return NeuralData(X, y, metadata, info)


def test_site_pipeline_routes_sites_as_metadata():
    data = _series_data(np.random.default_rng(4))
    sites = data.metadata["site"].to_numpy()
    pipe = SitePipeline([("conn", Connectivity(kind="correlation")),
                         ("combat", SiteHarmonizer()), ("lr", LogisticRegression())])
    with config_context(enable_metadata_routing=True):
        pipe.fit(data.X[:30], data.y[:30], sites=sites[:30])
        proba = pipe.predict_proba(data.X[30:], sites=sites[30:])
        single = np.vstack([pipe.predict_proba(data.X[i:i + 1], sites=sites[i:i + 1])
                            for i in range(30, 36)])
        with pytest.raises(TypeError):
            pipe.predict(data.X[30:], routed=True)  # no silently ignored arguments
    np.testing.assert_allclose(single, proba)
    # the same steps by hand, each given the sites of the rows it sees
    conn = Connectivity(kind="correlation").fit(data.X[:30])
    features = conn.transform(data.X[:30])
    combat = SiteHarmonizer().fit(features, sites=sites[:30])
    lr = LogisticRegression().fit(combat.transform(features, sites=sites[:30]), data.y[:30])
    test = combat.transform(conn.transform(data.X[30:]), sites=sites[30:])
    np.testing.assert_allclose(proba, lr.predict_proba(test))
    # the harmoniser was estimated on exactly the training subjects' connectomes
    np.testing.assert_allclose(pipe.named_steps["combat"].fit_.grand_mean,
                               combat_fit(features, sites[:30]).grand_mean)


def test_evaluation_gives_sites_and_leave_site_out_leaves_test_unadjusted():
    data = _series_data(np.random.default_rng(5))
    fold = next(LeaveSiteOut().folds(data.metadata, data.y))
    pipe = make_pipeline("fc-corr-combat-lr", data.info)
    result = evaluate_fold({"fc-corr-combat-lr": pipe}, data, fold)["fc-corr-combat-lr"]
    harmoniser = result["estimator"].named_steps["combat"]
    test_site = data.metadata["site"].iloc[fold.test].unique().tolist()
    assert len(test_site) == 1 and test_site[0] not in harmoniser.sites_
    assert set(harmoniser.sites_) == set(data.metadata["site"].iloc[fold.train])
    # k-fold: test subjects come from sites seen in training and are adjusted with them
    kfold = next(SubjectKFold(n_splits=3).folds(data.metadata, data.y))
    out = evaluate_fold({"p": make_pipeline("fc-corr-combat-lr", data.info)}, data, kfold)["p"]
    fitted = out["estimator"]
    assert set(data.metadata["site"].iloc[kfold.test]) <= set(fitted.named_steps["combat"].sites_)
    test_X, test_sites = data.X[kfold.test], data.metadata["site"].iloc[kfold.test].to_numpy()
    features = fitted.named_steps["connectivity"].transform(test_X)
    adjusted = fitted.named_steps["combat"].transform(features, sites=test_sites)
    with config_context(enable_metadata_routing=True):
        np.testing.assert_allclose(fitted.predict_proba(test_X, sites=test_sites),
                                   fitted.named_steps["lr"].predict_proba(adjusted))
    np.testing.assert_allclose(out["scores"], fitted.named_steps["lr"].predict_proba(adjusted))
    assert not np.allclose(adjusted, features)  # the test connectomes were harmonised
    no_site = NeuralData(data.X, data.y, data.metadata.drop(columns="site"), data.info)
    with pytest.raises(InputError, match="'site' metadata column"):
        evaluate_fold({"p": make_pipeline("fc-corr-combat-lr", data.info)}, no_site, kfold)


@parametrize_with_checks([SiteHarmonizer(), SiteHarmonizer(empirical_bayes=False)])
def test_harmonizer_sklearn_checks(estimator, check):
    check(estimator)
