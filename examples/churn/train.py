#!/usr/bin/env python3
"""Trains the churn model (scikit-learn HistGradientBoostingClassifier) under the training contract.

Environment:
  MLOPS_PARAMS        JSON object of hyperparameters (see DEFAULTS); unset or empty = defaults
  MLOPS_DATA_DIR      folder with train.csv or train.parquet (and optionally holdout.csv or
                      holdout.parquet, scored into metrics.json)
  MLOPS_OUTPUT_DIR    gets model.joblib, model.json (the model descriptor the model server reads: format
                      sklearn, the file, and as `inputs` the feature columns in the order the model
                      takes them), metrics.json, params.json
  MLOPS_METRICS_FILE  optional: one JSON line per iteration and metric, {"step", "name", "value"}
  MLOPS_MODEL_NAME    model name in model.json (default "churn")
  MLOPS_MODEL_VERSION optional version in model.json
  OMP_NUM_THREADS     threads for scikit-learn (default 1 here)

Exit codes: 0 done, 2 bad params or input (message on stderr naming the param or file), 1 other.
"""

import json
import math
import os
import sys
import time

# One OpenMP thread unless told otherwise: on this data size more threads are slower, and parallel
# sweep trials on one host would oversubscribe the cores (OpenMP spin-waits badly under contention).
os.environ.setdefault("OMP_NUM_THREADS", "1")

from features import CATEGORICAL, FEATURES, LABEL, NUMERIC, fail, read_frame, require_env, table_path

# name -> (default, kind, check, description of the valid range)
PARAM_SPECS = {
    "learning_rate": (0.1, "float", lambda v: 0 < v <= 1, "a number in (0, 1]"),
    "max_iter": (100, "int", lambda v: 1 <= v <= 10000, "an integer in [1, 10000]"),
    "max_depth": (3, "int?", lambda v: v is None or v >= 1, "an integer >= 1 or null"),
    "max_leaf_nodes": (31, "int?", lambda v: v is None or v >= 2, "an integer >= 2 or null"),
    "min_samples_leaf": (20, "int", lambda v: v >= 1, "an integer >= 1"),
    "l2_regularization": (0.0, "float", lambda v: v >= 0, "a number >= 0"),
    "max_bins": (255, "int", lambda v: 2 <= v <= 255, "an integer in [2, 255]"),
    "validation_fraction": (0.2, "float", lambda v: 0 < v < 1, "a number in (0, 1)"),
    "early_stopping": (False, "bool", lambda v: True, "true or false"),
    "n_iter_no_change": (10, "int", lambda v: v >= 1, "an integer >= 1"),
    "class_weight": (None, "str?", lambda v: v in (None, "balanced"), '"balanced" or null'),
    "seed": (0, "int", lambda v: v >= 0, "an integer >= 0"),
}
DEFAULTS = {name: spec[0] for name, spec in PARAM_SPECS.items()}


def parse_params(text):
    """MLOPS_PARAMS → a complete dict of params; any problem exits with code 2 naming the param."""
    if not text or not text.strip():
        return dict(DEFAULTS)
    try:
        given = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"MLOPS_PARAMS is not valid JSON: {exc}")
    if not isinstance(given, dict):
        fail("MLOPS_PARAMS must be a JSON object of params")
    params = dict(DEFAULTS)
    for name, value in given.items():
        if name not in PARAM_SPECS:
            fail(f"unknown param '{name}' (known: {', '.join(sorted(PARAM_SPECS))})")
        _, kind, check, valid = PARAM_SPECS[name]
        value = coerce(value, kind)
        if value is _BAD or not check(value):
            fail(f"param '{name}' must be {valid}, got {json.dumps(given[name])}")
        params[name] = value
    return params


_BAD = object()


def coerce(value, kind):
    nullable = kind.endswith("?")
    kind = kind.rstrip("?")
    if value is None:
        return None if nullable else _BAD
    if kind == "bool":
        return value if isinstance(value, bool) else _BAD
    if isinstance(value, bool):
        return _BAD
    if kind == "float":
        return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else _BAD
    if kind == "int":
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)  # sweeps may hand 6.0 for 6
        return _BAD
    if kind == "str":
        return value if isinstance(value, str) else _BAD
    return _BAD


class MetricsLog:
    """Appends {"step", "name", "value"} lines to MLOPS_METRICS_FILE, flushing each one."""

    def __init__(self, path):
        self.file = open(path, "a", encoding="utf-8") if path else None

    def log(self, step, name, value):
        if self.file is None or value is None or not math.isfinite(value):
            return
        self.file.write(json.dumps({"step": step, "name": name, "value": round(float(value), 6)}) + "\n")
        self.file.flush()

    def close(self):
        if self.file is not None:
            self.file.close()


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
    params = parse_params(os.environ.get("MLOPS_PARAMS", ""))
    data_dir = require_env("MLOPS_DATA_DIR")
    output_dir = require_env("MLOPS_OUTPUT_DIR")
    metrics_path = os.environ.get("MLOPS_METRICS_FILE", "")
    model_name = os.environ.get("MLOPS_MODEL_NAME") or "churn"
    model_version = os.environ.get("MLOPS_MODEL_VERSION") or None
    if not os.path.isdir(data_dir):
        fail(f"MLOPS_DATA_DIR {data_dir} is not a folder")

    train_path = table_path(data_dir, "train")
    train_frame = read_frame(train_path)
    holdout_path = table_path(data_dir, "holdout")
    holdout_frame = read_frame(holdout_path) if os.path.isfile(holdout_path) else None

    import joblib
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
        X, y, test_size=params["validation_fraction"], random_state=params["seed"], stratify=y
    )

    started = time.perf_counter()
    preprocessor = build_preprocessor().fit(X_fit)
    Xt_fit, Xt_val = preprocessor.transform(X_fit), preprocessor.transform(X_val)
    classifier = HistGradientBoostingClassifier(
        loss="log_loss",
        learning_rate=params["learning_rate"],
        max_iter=params["max_iter"],
        max_depth=params["max_depth"],
        max_leaf_nodes=params["max_leaf_nodes"],
        min_samples_leaf=params["min_samples_leaf"],
        l2_regularization=params["l2_regularization"],
        max_bins=params["max_bins"],
        categorical_features=list(range(len(CATEGORICAL))),
        early_stopping=params["early_stopping"],
        n_iter_no_change=params["n_iter_no_change"],
        scoring="loss",
        class_weight=params["class_weight"],
        random_state=params["seed"],
    )
    fit_kwargs = {"X_val": Xt_val, "y_val": y_val} if params["early_stopping"] else {}
    classifier.fit(Xt_fit, y_fit, **fit_kwargs)
    train_seconds = time.perf_counter() - started
    model = Pipeline([("preprocess", preprocessor), ("classifier", classifier)])

    # Per-iteration metrics from staged predictions (step = boosting iteration, 1-based).
    metrics_log = MetricsLog(metrics_path)
    try:
        staged_fit = classifier.staged_predict_proba(Xt_fit)
        staged_val = classifier.staged_predict_proba(Xt_val)
        for step, (p_fit, p_val) in enumerate(zip(staged_fit, staged_val), start=1):
            metrics_log.log(step, "train_logloss", log_loss(y_fit, p_fit[:, 1], labels=[0, 1]))
            metrics_log.log(step, "val_logloss", log_loss(y_val, p_val[:, 1], labels=[0, 1]))
            metrics_log.log(step, "val_auc", roc_auc_score(y_val, p_val[:, 1]))
            metrics_log.log(step, "val_accuracy", float(np.mean((p_val[:, 1] >= 0.5) == y_val)))
    finally:
        metrics_log.close()

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

    os.makedirs(output_dir, exist_ok=True)
    joblib.dump(model, os.path.join(output_dir, "model.joblib"))
    descriptor = {"format": "sklearn", "file": "model.joblib", "inputs": input_metadata(model, X), "name": model_name}
    if model_version:
        descriptor["version"] = model_version
    write_json(os.path.join(output_dir, "model.json"), descriptor)
    write_json(os.path.join(output_dir, "metrics.json"), metrics)
    write_json(os.path.join(output_dir, "params.json"), params)
    summary = ", ".join(f"{k}={metrics[k]:.4f}" for k in ("val_auc", "val_logloss", "val_accuracy") if k in metrics)
    print(f"trained {metrics['n_iter']} iterations in {train_seconds:.2f}s: {summary}", flush=True)
    return 0


def input_metadata(model, frame):
    """The descriptor's `inputs`: the columns the fitted model takes, in its order (`feature_names_in_`).

    The platform serves a request's columns in this order and leaves other columns (an id, the
    label) out, so the model folder, not the caller, says what the model takes.
    """

    def datatype(dtype):
        if dtype.kind == "b":
            return "BOOL"
        if dtype.kind in "iu":
            return "INT64"
        if dtype.kind == "f":
            return "FP64"
        return "BYTES"

    return [{"name": name, "datatype": datatype(frame[name].dtype)} for name in model.feature_names_in_]


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
