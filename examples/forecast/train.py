#!/usr/bin/env python3
"""Trains the demand forecast (a scikit-learn regressor) under the training contract.

`algorithm` picks the model: `ridge` (standardized features, ridge regression) or
`gradient_boosting` (HistGradientBoostingRegressor). The last `validation_days` days of train.csv
are held out to report val_rmse, val_mae and val_r2 (a time-ordered split: the model never sees
the future it is scored on); the model written is then fitted on all of train.csv.

On the mlops_job helper: the params are declared in PARAM_SPECS; it reads train.csv of the data
folder (the feature step's output) and writes the model folder (model.joblib and model.json, with
the feature columns as inputs; a regressor answers `predict`), metrics.json and params.json, and
streams train_rmse and val_rmse per boosting iteration. OMP_NUM_THREADS: 1 unless set.

Exit codes: 0 done, 2 bad params or input (message on stderr naming the param or file), 1 other.
"""

import os
import sys
import time

# One OpenMP thread unless told otherwise: the data is small, and two candidates trained in
# parallel on one host would oversubscribe the cores.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import mlops_job

from demand import FEATURES, ID_COLUMNS, LABEL, fail, find_file, parse_params, read_csv, regression_metrics

ALGORITHMS = ("ridge", "gradient_boosting")
PARAM_SPECS = {
    "algorithm": ("gradient_boosting", lambda v: v in ALGORITHMS, " or ".join(ALGORITHMS)),
    "alpha": (1.0, lambda v: v >= 0, "a number >= 0 (ridge)"),
    "learning_rate": (0.1, lambda v: 0 < v <= 1, "a number in (0, 1] (gradient_boosting)"),
    "max_iter": (200, lambda v: 1 <= v <= 5000, "an integer in [1, 5000] (gradient_boosting)"),
    "max_depth": (6, lambda v: 1 <= v <= 64, "an integer in [1, 64] (gradient_boosting)"),
    "min_samples_leaf": (20, lambda v: v >= 1, "an integer >= 1 (gradient_boosting)"),
    "validation_days": (28, lambda v: 1 <= v <= 366, "an integer in [1, 366]"),
    "seed": (0, lambda v: v >= 0, "an integer >= 0"),
}


def make_model(params):
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if params["algorithm"] == "ridge":
        return Pipeline([("scale", StandardScaler()), ("regressor", Ridge(alpha=params["alpha"]))])
    return HistGradientBoostingRegressor(
        loss="squared_error",
        learning_rate=params["learning_rate"],
        max_iter=params["max_iter"],
        max_depth=params["max_depth"],
        min_samples_leaf=params["min_samples_leaf"],
        early_stopping=False,
        random_state=params["seed"],
    )


def log_iterations(model, X_fit, y_fit, X_val, y_val):
    """Per boosting iteration: train_rmse and val_rmse, into the job's metric stream."""
    import numpy as np

    if not hasattr(model, "staged_predict"):
        return
    staged = zip(model.staged_predict(X_fit), model.staged_predict(X_val))
    for step, (p_fit, p_val) in enumerate(staged, start=1):
        rmse = {name: float(np.sqrt(np.mean((p - y) ** 2))) for name, y, p in (("train_rmse", y_fit, p_fit), ("val_rmse", y_val, p_val))}
        mlops_job.log_metrics(rmse, step=step)


def main():
    params = parse_params(PARAM_SPECS)
    data_dir = mlops_job.data_dir()
    path = find_file(data_dir, "train.csv")
    if path is None:
        fail(f"no train.csv in MLOPS_DATA_DIR {data_dir}")
    frame = read_csv(path, ID_COLUMNS + FEATURES + [LABEL])

    dates = sorted(frame["date"].unique())
    if len(dates) <= params["validation_days"]:
        fail(f"param 'validation_days' ({params['validation_days']}) leaves no days to fit on: {path} has {len(dates)}")
    first_val = dates[-params["validation_days"]]
    fit, val = frame[frame["date"] < first_val], frame[frame["date"] >= first_val]
    X_fit, y_fit = fit[FEATURES], fit[LABEL].to_numpy(dtype=float)
    X_val, y_val = val[FEATURES], val[LABEL].to_numpy(dtype=float)

    started = time.perf_counter()
    model = make_model(params).fit(X_fit, y_fit)
    log_iterations(model, X_fit, y_fit, X_val, y_val)
    metrics = {}
    for prefix, X, y in (("train", X_fit, y_fit), ("val", X_val, y_val)):
        for name, value in regression_metrics(y, model.predict(X)).items():
            if value is not None:
                metrics[f"{prefix}_{name}"] = value
    # the model served is fitted on every training day, the validation days included
    model = make_model(params).fit(frame[FEATURES], frame[LABEL].to_numpy(dtype=float))
    train_seconds = time.perf_counter() - started
    metrics.update({"n_fit": int(len(fit)), "n_val": int(len(val)), "train_seconds": round(train_seconds, 3)})

    mlops_job.save_model(model, flavor="sklearn", inputs=frame[FEATURES], name="forecast")
    mlops_job.log_metrics(metrics)
    mlops_job.log_params(params)
    print(
        f"trained {params['algorithm']} in {train_seconds:.2f}s: val_rmse={metrics['val_rmse']:.3f} "
        f"val_mae={metrics['val_mae']:.3f}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
