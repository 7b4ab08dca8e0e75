"""The one runner: plan a comparison into work units and execute them.

A :class:`WorkUnit` is one dataset and one subject (for protocols that split within a
subject) or one fold (for cross-subject protocols), with all pipelines of the run. A unit
loads only the data it needs (:mod:`neurocompare.data.cache`), iterates its folds, runs each
pipeline not yet stored (sharing fitted feature prefixes within the fold) and writes each
(pipeline, fold) result atomically as soon as it is done; when the run asks for explanations,
each fitted (pipeline, fold) is also explained and its importances stored under a key that
joins its result. Units are independent, so they run sequentially, in local processes, or on
a Dask cluster, with identical results. :func:`run_comparison` adds the run record
(``runs.jsonl``); :func:`explain_results` re-opens stored runs and explains them through the
same units (same keys, seeds, tuning, threads and parallel map).
"""

from neurocompare._parallel import mark_baseline
from neurocompare.runner.config import RunConfig
from neurocompare.runner.plan import dataset_records, execute, plan
from neurocompare.runner.runs import RunOutcome, explain_results, run_comparison, stored_configs
from neurocompare.runner.sanity import SanityResult, sanity_check
from neurocompare.runner.units import UnitReport, WorkUnit, permuted, run_unit

__all__ = [
    "RunConfig",
    "RunOutcome",
    "SanityResult",
    "UnitReport",
    "WorkUnit",
    "dataset_records",
    "execute",
    "explain_results",
    "permuted",
    "plan",
    "run_comparison",
    "run_unit",
    "sanity_check",
    "stored_configs",
]

# The thread count after the heavy imports above: more threads later means OpenMP work ran
# in this process, and forking workers would then be unsafe (see neurocompare._parallel).
mark_baseline()
