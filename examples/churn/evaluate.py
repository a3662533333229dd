#!/usr/bin/env python3
"""Evaluates a trained churn model on a holdout snapshot and writes evaluation.json (on the mlops_job helper).

The model is the job's model folder (as train.py wrote it); the holdout is holdout.csv or
holdout.parquet of the data folder (else its first *.csv or *.parquet by name), or the file the
pipeline's `evaluation.holdout.file` names (MLOPS_HOLDOUT_FILE, a path inside the data folder).

evaluation.json: n, positive_rate, auc, accuracy, f1, precision, recall, log_loss, brier,
expected_calibration_error (10 equal-width bins), threshold (0.5), segments (per value of each
categorical column: count, positive_rate, auc, accuracy), roc (fpr, tpr, thresholds; at most
200 points) and calibration (per non-empty bin: bin_lower, bin_upper, mean_predicted,
fraction_positive, count).

Exit codes: 0 done, 2 bad input (missing folder, file or column; message on stderr), 1 other.
"""

import os
import sys

# One OpenMP thread unless told otherwise: on this data size more threads are slower, and parallel
# sweep trials on one host would oversubscribe the cores (OpenMP spin-waits badly under contention).
os.environ.setdefault("OMP_NUM_THREADS", "1")

import mlops_job

from features import CATEGORICAL, FEATURES, LABEL, fail, is_table, read_frame, table_path

THRESHOLD = 0.5
CALIBRATION_BINS = 10
MAX_ROC_POINTS = 200


def find_holdout(data_dir):
    named = os.environ.get("MLOPS_HOLDOUT_FILE")
    if named:
        path = os.path.join(data_dir, named)
        if not os.path.isfile(path):
            fail(f"MLOPS_HOLDOUT_FILE {named} is not a file of the snapshot")
        return path
    preferred = table_path(data_dir, "holdout")
    if os.path.isfile(preferred):
        return preferred
    tables = sorted(n for n in os.listdir(data_dir) if is_table(n))
    if not tables:
        fail(f"no holdout.csv or holdout.parquet (or any .csv or .parquet) in {data_dir}")
    return os.path.join(data_dir, tables[0])


def auc_or_none(y, proba):
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, proba)) if len(set(y.tolist())) == 2 else None


def calibration(y, proba, bins=CALIBRATION_BINS):
    """Equal-width bins over [0, 1]: the curve's points and the expected calibration error."""
    import numpy as np

    index = np.minimum((proba * bins).astype(int), bins - 1)
    points, ece = [], 0.0
    for b in range(bins):
        mask = index == b
        count = int(mask.sum())
        if count == 0:
            continue
        mean_predicted = float(proba[mask].mean())
        fraction_positive = float(y[mask].mean())
        ece += count / len(y) * abs(mean_predicted - fraction_positive)
        points.append(
            {
                "bin_lower": b / bins,
                "bin_upper": (b + 1) / bins,
                "mean_predicted": mean_predicted,
                "fraction_positive": fraction_positive,
                "count": count,
            }
        )
    return points, float(ece)


def roc_points(y, proba, max_points=MAX_ROC_POINTS):
    """The ROC curve, downsampled to at most max_points (first and last point kept)."""
    import numpy as np
    from sklearn.metrics import roc_curve

    if len(set(y.tolist())) < 2:
        return {"fpr": [], "tpr": [], "thresholds": []}
    fpr, tpr, thresholds = roc_curve(y, proba)
    if len(fpr) > max_points:
        keep = np.unique(np.linspace(0, len(fpr) - 1, max_points).round().astype(int))
        fpr, tpr, thresholds = fpr[keep], tpr[keep], thresholds[keep]
    # scikit-learn's first threshold is +inf ("nothing is positive"); JSON has no infinity.
    thresholds = np.minimum(thresholds, 1.0)
    return {
        "fpr": [round(float(v), 6) for v in fpr],
        "tpr": [round(float(v), 6) for v in tpr],
        "thresholds": [round(float(v), 6) for v in thresholds],
    }


def main():
    model = mlops_job.load_model()  # the job's model folder, as its model.json says
    holdout_path = find_holdout(mlops_job.data_dir())
    frame = read_frame(holdout_path)

    from sklearn.metrics import accuracy_score, brier_score_loss, f1_score, log_loss, precision_score, recall_score

    y = frame[LABEL].to_numpy(dtype=int)
    proba = model.predict_proba(frame[FEATURES])[:, 1]
    pred = (proba >= THRESHOLD).astype(int)

    calibration_points, ece = calibration(y, proba)
    segments = {}
    for column in CATEGORICAL:
        per_value = {}
        for value in sorted(frame[column].astype(str).unique()):
            mask = (frame[column].astype(str) == value).to_numpy()
            per_value[value] = {
                "count": int(mask.sum()),
                "positive_rate": float(y[mask].mean()),
                "auc": auc_or_none(y[mask], proba[mask]),
                "accuracy": float(accuracy_score(y[mask], pred[mask])),
            }
        segments[column] = per_value

    evaluation = {
        "data_file": os.path.basename(holdout_path),
        "n": int(len(y)),
        "positive_rate": float(y.mean()),
        "threshold": THRESHOLD,
        "auc": auc_or_none(y, proba),
        "accuracy": float(accuracy_score(y, pred)),
        "f1": float(f1_score(y, pred, zero_division=0)),
        "precision": float(precision_score(y, pred, zero_division=0)),
        "recall": float(recall_score(y, pred, zero_division=0)),
        "log_loss": float(log_loss(y, proba, labels=[0, 1])),
        "brier": float(brier_score_loss(y, proba)),
        "expected_calibration_error": ece,
        "segments": segments,
        "roc": roc_points(y, proba),
        "calibration": calibration_points,
    }
    mlops_job.save_json("evaluation.json", evaluation)
    auc = evaluation["auc"]
    print(
        f"evaluated {len(y)} rows of {os.path.basename(holdout_path)}: "
        f"auc={'n/a' if auc is None else f'{auc:.4f}'} accuracy={evaluation['accuracy']:.4f} "
        f"log_loss={evaluation['log_loss']:.4f} ece={ece:.4f}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
