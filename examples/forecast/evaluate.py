#!/usr/bin/env python3
"""Evaluates a demand forecast on the holdout and writes evaluation.json (task regression).

Environment:
  MLOPS_MODEL_DIR     folder with model.joblib (as written by train.py)
  MLOPS_DATA_DIR      folder with holdout.csv (the feature step's output)
  MLOPS_HOLDOUT_FILE  optional: the holdout's path inside MLOPS_DATA_DIR (instead of holdout.csv)
  MLOPS_OUTPUT_DIR    gets evaluation.json

evaluation.json: task ("regression"), n, mean_actual, rmse, mae, r2, bias (mean of predicted −
actual), residuals (at most 500 {predicted, actual} points sampled evenly over the holdout, in
its order) and segments (per store and per item: count, rmse, mae, r2, bias).

Exit codes: 0 done, 2 bad input (missing folder, file or column; message on stderr), 1 other.
"""

import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

import mlops_job

from demand import FEATURES, LABEL, SEGMENT_COLUMNS, fail, find_file, read_csv, regression_metrics

MAX_RESIDUALS = 500


def find_holdout(data_dir):
    named = os.environ.get("MLOPS_HOLDOUT_FILE")
    if named:
        path = os.path.join(data_dir, named)
        if not os.path.isfile(path):
            fail(f"MLOPS_HOLDOUT_FILE {named} is not a file of the snapshot")
        return path
    path = find_file(data_dir, "holdout.csv")
    if path is None:
        fail(f"no holdout.csv in MLOPS_DATA_DIR {data_dir}")
    return path


def sample_evenly(actual, predicted, limit=MAX_RESIDUALS):
    """At most `limit` points at evenly spaced positions of the holdout (first and last kept)."""
    import numpy as np

    n = len(actual)
    keep = range(n) if n <= limit else np.unique(np.linspace(0, n - 1, limit).round().astype(int))
    return [{"predicted": round(float(predicted[i]), 4), "actual": round(float(actual[i]), 4)} for i in keep]


def main():
    model = mlops_job.load_model()  # the job's model folder
    holdout_path = find_holdout(mlops_job.data_dir())
    frame = read_csv(holdout_path, SEGMENT_COLUMNS + FEATURES + [LABEL])

    actual = frame[LABEL].to_numpy(dtype=float)
    predicted = model.predict(frame[FEATURES])
    overall = regression_metrics(actual, predicted)
    segments = {}
    for column in SEGMENT_COLUMNS:
        per_value = {}
        for value in sorted(frame[column].astype(str).unique()):
            mask = (frame[column].astype(str) == value).to_numpy()
            per_value[value] = {"count": int(mask.sum()), **regression_metrics(actual[mask], predicted[mask])}
        segments[column] = per_value

    evaluation = {
        "task": "regression",
        "data_file": os.path.basename(holdout_path),
        "n": int(len(actual)),
        "mean_actual": float(actual.mean()),
        **overall,
        "residuals": sample_evenly(actual, predicted),
        "segments": segments,
    }
    mlops_job.save_json("evaluation.json", evaluation)
    r2 = overall["r2"]
    print(
        f"evaluated {len(actual)} rows of {os.path.basename(holdout_path)}: rmse={overall['rmse']:.3f} "
        f"mae={overall['mae']:.3f} r2={'n/a' if r2 is None else f'{r2:.4f}'}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
