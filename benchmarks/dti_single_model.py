"""One setting-1 model of a DTI pipeline, trained at a stated epoch budget, on DeepDTA's test set.

DeepDTA's published setting-1 figures average five models, each trained on four of the five
training folds (:mod:`neurocompare.protocols.dti`). On two CPU cores a full DeepDTA model
takes about an hour, so the five-model protocol does not fit one session; this script trains
the first of the five models (training folds 1-4, the same rows as fold 0 of
``dti-setting1``) and scores it on the fixed test set with the harness's metrics. It states
the epochs run, the best epoch and the fitting time, so the figure can be set beside the
published one (Davis, DeepDTA: CI 0.878, MSE 0.261).

Usage: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/dti_single_model.py
[--pipeline dti-deepdta] [--dataset davis] [--max-epochs 40]``
"""

from __future__ import annotations

import argparse
import json
import os
import time

import torch

from neurocompare.data.registry import make_dataset
from neurocompare.evaluation.metrics import regression_metrics
from neurocompare.pipelines.registry import make_pipeline
from neurocompare.protocols.registry import make_splitter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pipeline", default="dti-deepdta")
    parser.add_argument("--dataset", default="davis")
    parser.add_argument("--max-epochs", type=int, default=40)
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = make_dataset(args.dataset).load_subject("all")
    fold = next(make_splitter("dti-setting1").folds(data.metadata, data.y))
    model = make_pipeline(args.pipeline, data.info).set_params(max_epochs=args.max_epochs)
    start = time.perf_counter()
    model.fit(data.X[fold.train], data.y[fold.train])
    fit_s = time.perf_counter() - start
    threshold = data.info.extra.get("affinity_threshold")
    scores = regression_metrics(data.y[fold.test], model.predict(data.X[fold.test]), threshold)
    print(json.dumps({
        "pipeline": args.pipeline, "dataset": args.dataset, "max_epochs": args.max_epochs,
        "epochs_run": model.n_epochs_, "best_epoch": model.best_epoch_,
        "stop": model.stop_reason_, "fit_s": round(fit_s), "n_train": len(fold.train),
        "n_test": len(fold.test), "load_average": [round(v, 2) for v in os.getloadavg()],
        **{key: round(float(value), 4) for key, value in scores.items()},
    }))


if __name__ == "__main__":
    main()
