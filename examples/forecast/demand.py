"""The forecast example's data contract and helpers, shared by its steps.

demand.csv (extract.py):  date, store, item, price, promo, units
train.csv / holdout.csv (features.py): the demand columns plus the FEATURES below; one row per
store, item and day, time-ordered. The model takes FEATURES (all numeric) in this order and
predicts LABEL.
"""

import json
import os

import mlops_job
from mlops_job import fail, load_model, require_env  # noqa: F401 - the scripts import them from here

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


def require_dir(name):
    """The folder an environment variable of the job names (MLOPS_INPUT_RAW, …); exits with code 2 when unset or not a folder."""
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


def parse_params(specs):
    """The job's params (mlops_job.params): `specs` maps a name to (default, check, description of the valid values)."""
    return mlops_job.params(
        **{name: mlops_job.param(type(default), default, check=check, expect=valid) for name, (default, check, valid) in specs.items()}
    )


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
