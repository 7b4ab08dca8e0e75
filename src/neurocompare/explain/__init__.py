"""Interpretability: what fitted pipelines use, scored against known ground truth.

Sits beside :mod:`neurocompare.protocols`: it takes fitted pipelines and a test fold.

* :mod:`.grouped` -- model-agnostic grouped permutation importance (channel, band, time
  window) for any pipeline, in score units;
* :mod:`.model_specific` -- SHAP (trees, linear), Haufe activation patterns, CSP patterns,
  Captum integrated gradients and gradient x input for deep networks;
* :mod:`.sanity` -- the model-randomisation check (Adebayo et al. 2018);
* :mod:`.stability` -- ranking agreement across folds/subjects and the biomarker table;
* :mod:`.molecules` -- SHAP (or permutation) importance of Morgan fingerprint bits, mapped
  back to the atom environments that set them, and per-atom attributions (RDKit drawings);
* :mod:`.run` -- tidy importance rows per fitted fold and their storage under
  ``<out>/importance`` (the runner calls it; :func:`neurocompare.runner.explain_results`
  explains a stored run afterwards through the same runner).

Ground-truth recovery scores live in :mod:`neurocompare.stats.recovery`, the report section
in :mod:`neurocompare.report.interpretability`. shap and captum are imported lazily.
"""

from neurocompare.explain.grouped import grouped_importance
from neurocompare.explain.run import METHODS, explain_and_store, explain_fold

__all__ = ["METHODS", "explain_and_store", "explain_fold", "grouped_importance"]
