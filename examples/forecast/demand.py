"""The forecast example's data contract and helpers, shared by its steps.

demand.csv (extract.py):  date, store, item, price, promo, units
train.csv / holdout.csv (features.py): the demand columns plus the FEATURES below; one row per
store, item and day, time-ordered. The model takes FEATURES (all numeric) in this order and
predicts LABEL.
"""

import json
import math
import os
import sys

ID_COLUMNS = ["date", "store", "item"]
LABEL = "units"
RAW_COLUMNS = ID_COLUMNS + ["price", "promo", LABEL]

LAGS = [1, 7, 14]
WINDOWS = [7, 28]
FEATURES = (
    [f"lag_{lag}" for lag in LAGS]
    + [f"rolling_mean_{window}" for window in WINDOWS]
    + ["day_of_week", "month", "is_weekend", "price", "promo", "store_code", "item_code"]
)
# The segments evaluation.json reports the metrics of.
SEGMENT_COLUMNS = ["store", "item"]


def fail(message, code=2):
    """Prints a clear message to stderr and exits (2: bad input, the contract's user error)."""
    print(f"error: {message}", file=sys.stderr, flush=True)
    sys.exit(code)


def require_env(name):
    value = os.environ.get(name, "")
    if not value:
        fail(f"environment variable {name} is not set")
    return value


def require_dir(name):
    """The folder an environment variable names; exits with code 2 when unset or not a folder."""
    path = require_env(name)
    if not os.path.isdir(path):
        fail(f"{name} {path} is not a folder")
    return path


def find_file(folder, name):
    """`folder/name`, else the first file called `name` below `folder` (by path), else None."""
    direct = os.path.join(folder, name)
    if os.path.isfile(direct):
        return direct
    for root, dirs, files in sorted(os.walk(folder)):
        dirs.sort()
        if name in files:
            return os.path.join(root, name)
    return None


def read_csv(path, columns):
    """Reads a CSV and checks it has `columns` and rows; a problem exits with code 2 naming the file."""
    import pandas as pd

    if not os.path.isfile(path):
        fail(f"data file not found: {path}")
    try:
        frame = pd.read_csv(path, dtype={"store": str, "item": str, "date": str})
    except Exception as exc:  # noqa: BLE001 - any parse error is a bad input
        fail(f"could not read {path}: {exc}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        fail(f"{path} lacks column(s): {', '.join(missing)}")
    if len(frame) == 0:
        fail(f"{path} has no rows")
    return frame


def parse_params(text, specs):
    """MLOPS_PARAMS → a complete dict of params.

    `specs`: name → (default, check, description of the valid values). Unknown names and invalid
    values exit with code 2 naming the param.
    """
    params = {name: spec[0] for name, spec in specs.items()}
    if not text or not text.strip():
        return params
    try:
        given = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"MLOPS_PARAMS is not valid JSON: {exc}")
    if not isinstance(given, dict):
        fail("MLOPS_PARAMS must be a JSON object of params")
    for name, value in given.items():
        if name not in specs:
            fail(f"unknown param '{name}' (known: {', '.join(sorted(specs))})")
        default, check, valid = specs[name]
        if isinstance(default, bool) != isinstance(value, bool):
            ok = False
        elif isinstance(default, int) and not isinstance(default, bool):
            ok = isinstance(value, (int, float)) and math.isfinite(value) and float(value).is_integer()
            value = int(value) if ok else value  # sweeps may hand 6.0 for 6
        elif isinstance(default, float):
            ok = isinstance(value, (int, float)) and math.isfinite(value)
            value = float(value) if ok else value
        else:
            ok = isinstance(value, type(default))
        if not ok or not check(value):
            fail(f"param '{name}' must be {valid}, got {json.dumps(value)}")
        params[name] = value
    return params


def load_model(model_dir):
    """The model.joblib of `model_dir`; a missing or unreadable file exits with code 2."""
    import joblib

    path = os.path.join(model_dir, "model.joblib")
    if not os.path.isfile(path):
        fail(f"model file not found: {path}")
    try:
        return joblib.load(path)
    except Exception as exc:  # noqa: BLE001 - a corrupt or foreign file is a bad input
        fail(f"could not load {path}: {exc}")


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, sort_keys=True, allow_nan=False)
        f.write("\n")


def regression_metrics(actual, predicted):
    """rmse, mae, r2 (None when the actual values do not vary) and bias (mean predicted − actual)."""
    import numpy as np

    actual = np.asarray(actual, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    error = predicted - actual
    spread = float(((actual - actual.mean()) ** 2).sum())
    return {
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mae": float(np.mean(np.abs(error))),
        "r2": None if spread == 0 else float(1 - (error**2).sum() / spread),
        "bias": float(error.mean()),
    }
