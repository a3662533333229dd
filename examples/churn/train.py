#!/usr/bin/env python3
"""Trains the churn model (scikit-learn HistGradientBoostingClassifier) on the mlops_job helper.

Reads train.csv or train.parquet from the job's data folder (and holdout.csv or holdout.parquet
when present, scored into the final metrics); writes the model folder the serving runtime reads
(model.joblib and model.json, with the feature columns as the model's inputs), the final metrics
(metrics.json) and params.json; streams per-iteration metrics while it boosts. The params and
their valid values are declared in PARAMS below.

Exit codes: 0 done, 2 bad params or input (message on stderr naming the param or file), 1 other.
"""

import os
import sys
import time

# One OpenMP thread unless told otherwise: on this data size more threads are slower, and parallel
# sweep trials on one host would oversubscribe the cores (OpenMP spin-waits badly under contention).
os.environ.setdefault("OMP_NUM_THREADS", "1")

import mlops_job
from mlops_job import optional, one_of, param

from features import CATEGORICAL, FEATURES, LABEL, NUMERIC, fail, read_frame, table_path

PARAMS = dict(
    learning_rate=param(float, 0.1, check=lambda v: 0 < v <= 1, expect="a number in (0, 1]"),
    max_iter=param(int, 100, min=1, max=10000),
    max_depth=param(optional(int), 3, min=1),
    max_leaf_nodes=param(optional(int), 31, min=2),
    min_samples_leaf=param(int, 20, min=1),
    l2_regularization=param(float, 0.0, min=0),
    max_bins=param(int, 255, min=2, max=255),
    validation_fraction=param(float, 0.2, check=lambda v: 0 < v < 1, expect="a number in (0, 1)"),
    early_stopping=(bool, False),
    n_iter_no_change=param(int, 10, min=1),
    class_weight=(one_of(None, "balanced"), None),
    seed=param(int, 0, min=0),
)


def build_preprocessor():
    """Ordinal-encodes the categorical columns (by position, so a DataFrame or an array works)."""
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OrdinalEncoder

    cat_positions = [FEATURES.index(c) for c in CATEGORICAL]
    num_positions = [FEATURES.index(c) for c in NUMERIC]
    encoder = OrdinalEncoder(
        handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan, dtype=np.float64
    )
    # Output columns: the categorical ones first (0..len(CATEGORICAL)-1), then the numeric ones.
    return ColumnTransformer([("cat", encoder, cat_positions), ("num", "passthrough", num_positions)])


def probability_metrics(y, proba, prefix):
    from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score

    pred = (proba >= 0.5).astype(int)
    out = {
        f"{prefix}_logloss": float(log_loss(y, proba, labels=[0, 1])),
        f"{prefix}_accuracy": float(accuracy_score(y, pred)),
        f"{prefix}_f1": float(f1_score(y, pred, zero_division=0)),
    }
    if len(set(y.tolist())) == 2:
        out[f"{prefix}_auc"] = float(roc_auc_score(y, proba))
    return out


def main():
    params = mlops_job.params(**PARAMS)
    data_dir = mlops_job.data_dir()
    train_path = table_path(data_dir, "train")
    train_frame = read_frame(train_path)
    holdout_path = table_path(data_dir, "holdout")
    holdout_frame = read_frame(holdout_path) if os.path.isfile(holdout_path) else None

    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import log_loss, roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import Pipeline

    X = train_frame[FEATURES]
    y = train_frame[LABEL].to_numpy(dtype=int)
    if len(set(y.tolist())) < 2:
        fail(f"{train_path}: column {LABEL} holds one class only")
    X_fit, X_val, y_fit, y_val = train_test_split(
        X, y, test_size=params.validation_fraction, random_state=params.seed, stratify=y
    )

    started = time.perf_counter()
    preprocessor = build_preprocessor().fit(X_fit)
    Xt_fit, Xt_val = preprocessor.transform(X_fit), preprocessor.transform(X_val)
    classifier = HistGradientBoostingClassifier(
        loss="log_loss",
        learning_rate=params.learning_rate,
        max_iter=params.max_iter,
        max_depth=params.max_depth,
        max_leaf_nodes=params.max_leaf_nodes,
        min_samples_leaf=params.min_samples_leaf,
        l2_regularization=params.l2_regularization,
        max_bins=params.max_bins,
        categorical_features=list(range(len(CATEGORICAL))),
        early_stopping=params.early_stopping,
        n_iter_no_change=params.n_iter_no_change,
        scoring="loss",
        class_weight=params.class_weight,
        random_state=params.seed,
    )
    fit_kwargs = {"X_val": Xt_val, "y_val": y_val} if params.early_stopping else {}
    classifier.fit(Xt_fit, y_fit, **fit_kwargs)
    train_seconds = time.perf_counter() - started
    model = Pipeline([("preprocess", preprocessor), ("classifier", classifier)])

    # Per-iteration metrics from staged predictions (step = boosting iteration, 1-based).
    staged = zip(classifier.staged_predict_proba(Xt_fit), classifier.staged_predict_proba(Xt_val))
    for step, (p_fit, p_val) in enumerate(staged, start=1):
        mlops_job.log_metrics(
            {
                "train_logloss": log_loss(y_fit, p_fit[:, 1], labels=[0, 1]),
                "val_logloss": log_loss(y_val, p_val[:, 1], labels=[0, 1]),
                "val_auc": roc_auc_score(y_val, p_val[:, 1]),
                "val_accuracy": float(np.mean((p_val[:, 1] >= 0.5) == y_val)),
            },
            step=step,
        )

    metrics = {}
    metrics.update(probability_metrics(y_fit, classifier.predict_proba(Xt_fit)[:, 1], "train"))
    metrics.update(probability_metrics(y_val, classifier.predict_proba(Xt_val)[:, 1], "val"))
    if holdout_frame is not None:
        y_hold = holdout_frame[LABEL].to_numpy(dtype=int)
        metrics.update(probability_metrics(y_hold, model.predict_proba(holdout_frame[FEATURES])[:, 1], "holdout"))
    metrics.update(
        {
            "n_iter": int(classifier.n_iter_),
            "n_train": int(len(y_fit)),
            "n_val": int(len(y_val)),
            "train_seconds": round(train_seconds, 3),
        }
    )

    mlops_job.save_model(model, flavor="sklearn", inputs=X, name="churn")
    mlops_job.log_metrics(metrics)
    mlops_job.log_params(params)
    summary = ", ".join(f"{k}={metrics[k]:.4f}" for k in ("val_auc", "val_logloss", "val_accuracy") if k in metrics)
    print(f"trained {metrics['n_iter']} iterations in {train_seconds:.2f}s: {summary}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
