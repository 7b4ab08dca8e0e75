"""The HTML report: opens in headless Chromium without console errors, has every section,
escapes dataset strings (checked on the HTML without a browser, and in Chromium when it is
installed), and writes figures and tables beside it."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from neurocompare.data.arrays import ArrayDataset
from neurocompare.records.manifest import dataset_record, machine_info, write_run
from neurocompare.records.store import ResultStore
from neurocompare.report.build import build_report
from neurocompare.report.data_efficiency import budget_section
from neurocompare.report.rendering import ENVIRONMENT
from neurocompare.runner import RunConfig, execute, plan
from neurocompare.stats.report_tables import has_permutations, ledger_table, pooled_difference

SECTIONS = ("headline", "scores", "cost", "ranks", "chance", "provenance")
EVIL = "<script>alert(1)</script>"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    """A real small run: 3 subjects, 3 pipelines (2 traditional variants and a deep one)."""
    out = tmp_path_factory.mktemp("report")
    config = RunConfig(
        datasets=[("simulated-mi", {"n_subjects": 3, "n_trials_per_class": 10})],
        pipelines=["bandpower-lda", "bandpower-lda:bandpower__window=0.5",
                   "shallow-convnet:net__max_epochs=5"], out=out, permutations=1)
    execute(plan(config))
    return out


def _browser_check(path, screenshot):
    from playwright.sync_api import sync_playwright

    messages = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
        page.on("dialog", lambda d: (messages.append(f"dialog: {d.message}"), d.dismiss()))
        page.route("**/*", lambda route: route.abort() if not route.request.url.startswith(
            ("file:", "data:")) else route.continue_())
        page.goto(path.as_uri())
        present = {s: page.locator(f"section#{s}").count() == 1 for s in SECTIONS}
        images = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth > 0)")
        page.screenshot(path=str(screenshot), full_page=True)
        text = page.inner_text("body")
        browser.close()
    return messages, present, images, text


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (CI installs it)")
def test_report_opens_in_headless_chromium(report_dir):
    path = build_report(report_dir)
    messages, present, images, text = _browser_check(path, report_dir / "shot.png")
    assert messages == []
    assert all(present.values()), present
    assert images and all(images)  # every embedded figure decodes
    assert "best deep vs best traditional" in text and "shallow-convnet" in text
    assert (report_dir / "shot.png").stat().st_size > 50_000
    figures = {p.suffix for p in (report_dir / "report" / "figures").iterdir()}
    assert figures == {".png", ".svg"}
    headline = pd.read_csv(report_dir / "report" / "tables" / "headline.csv")
    assert headline.loc[0, "a"].startswith("shallow-convnet")
    assert headline.loc[0, "test"] == "exact sign-flip permutation"


@pytest.fixture(scope="module")
def evil_report(tmp_path_factory):
    """A report whose dataset, subject, channel and class names are a script tag."""
    out = tmp_path_factory.mktemp("evil")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 2, 128))
    y = np.array([EVIL, "b"] * 20)
    meta = pd.DataFrame({"subject": [EVIL] * 40, "session": "0", "run": "0"})
    dataset = ArrayDataset(X=X, y=y, sfreq=128.0, ch_names=[EVIL, "Cz"], metadata=meta)
    data = dataset.load_subject(EVIL)
    rows = []
    for fold in range(3):
        for pipeline, family in (("a", "traditional"), ("b", "deep")):
            rows.append({"dataset": EVIL, "pipeline": pipeline, "family": family,
                         "subject": EVIL, "session": "0", "fold": f"f{fold}",
                         "accuracy": 0.5 + 0.1 * fold, "n_train": 30, "n_test": 10,
                         "n_classes": 2, "fit_time_s": 1.0, "latency_ms": 1.0,
                         "confusion": "[[3, 2], [2, 3]]", "permutation": 0})
    store = ResultStore(out)
    for i, row in enumerate(rows):
        store.write(f"k{i}", [row])
    record = dataset_record(dataset, [EVIL], data.info) | {"name": EVIL}
    write_run(out, {"config": {"seed": 1}, "datasets": [record], "machine": machine_info(),
                    "versions": "{}", "started": "now", "duration_s": 1.0,
                    "computed": 6, "skipped": 0, "failed": 0})
    return build_report(out)


def test_dataset_strings_are_escaped(evil_report):
    html = evil_report.read_text()
    assert EVIL not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert all(f'<section id="{s}">' in html for s in SECTIONS)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (CI installs it)")
def test_escaped_strings_show_as_text_in_chromium(evil_report):
    messages, _, _, text = _browser_check(evil_report, evil_report.parent / "shot.png")
    assert messages == []  # no alert dialog, no script error
    assert EVIL in text  # shown as text


def test_budget_section_escapes_pipeline_names():
    table = pd.DataFrame({"dataset": "d", "pipeline": [EVIL, "b"], "family": "deep",
                          "permutation": 0, "tuning_trials": [4.0, 6.0],
                          "tuning_cpu_s": [1.0, 2.0]})
    html = budget_section(table, add_figure=lambda fig, name: "unused")
    assert EVIL not in html and "&lt;script&gt;" in html
    assert html.startswith('<section id="budget">') and "<td>4.0</td><td>1.00</td>" in html


def test_templates_ship_with_the_package():
    names = set(ENVIRONMENT.list_templates())
    assert {"base.html", "report.html", "macros.html", "budget.html",
            "interpretability.html"} <= names
    assert {f"{s}.html" for s in SECTIONS} <= names
    for name in names:
        ENVIRONMENT.get_template(name)  # parses


def test_report_tables_pure_functions():
    head = pd.DataFrame({"dataset": ["x", "y"], "difference": [0.1, -0.05],
                         "ci_low": [0.0, -0.1], "ci_high": [0.2, 0.0],
                         "pvalue": [0.04, 0.3], "n": [10, 12]})
    pooled = pooled_difference(head)
    assert pooled is not None and pooled.meta.k == 2 and 0 < pooled.stouffer < 1
    assert pooled_difference(head.iloc[:1]) is None
    assert ledger_table(head).empty  # no energy column
    assert not has_permutations(head) and has_permutations(head.assign(permutation=1))


def test_table_one_section_lists_every_deep_model(tmp_path):
    """Two deep pipelines on one dataset: the report adds the guide's Table 1 form."""
    rng = np.random.default_rng(3)
    store = ResultStore(tmp_path)
    means = {"net": ("deep", 0.85), "small-net": ("deep", 0.6), "csp": ("traditional", 0.7)}
    for i, (pipeline, (family, mean)) in enumerate(means.items()):
        rows = [{"dataset": "motor", "pipeline": pipeline, "family": family,
                 "subject": f"s{s}", "session": "0", "fold": "f0",
                 "accuracy": mean + rng.normal(0, 0.02), "n_train": 30, "n_test": 10,
                 "n_classes": 2, "fit_time_s": 1.0, "latency_ms": 1.0,
                 "confusion": "[[3, 2], [2, 3]]", "permutation": 0} for s in range(6)]
        store.write(f"k{i}", rows)
    html = build_report(tmp_path).read_text()
    assert "Every deep model against the best traditional method" in html
    table = pd.read_csv(tmp_path / "report" / "tables" / "deep_models.csv")
    assert table[["a", "b"]].values.tolist() == [["net", "csp"], ["small-net", "csp"]]
    assert table["p_holm"].notna().all()
