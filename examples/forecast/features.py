#!/usr/bin/env python3
"""Feature step of the forecast example: lag, rolling and calendar features, and a time-ordered split.

Per store and item (in date order): the units 1, 7 and 14 days before, the mean of the 7 and 28
days before (never the day itself), day of week, month, weekend, price, promo and integer codes of
store and item. Days without a full 28-day history are dropped. The last `holdout_days` days are
the holdout; everything before them is the training set, so the holdout is the future.

Environment:
  MLOPS_INPUT_RAW   folder with demand.csv (the extract step's output)
  MLOPS_PARAMS      JSON object: holdout_days (28)
  MLOPS_OUTPUT_DIR  gets train.csv, holdout.csv and metrics.json (rows of each)

Exit codes: 0 done, 2 bad params or input (message on stderr naming the param or file), 1 other.
"""

import os
import sys

from demand import (
    FEATURES,
    ID_COLUMNS,
    LABEL,
    LAGS,
    RAW_COLUMNS,
    WINDOWS,
    fail,
    find_file,
    parse_params,
    read_csv,
    require_dir,
    require_env,
    write_json,
)

PARAM_SPECS = {
    "holdout_days": (28, lambda v: 1 <= v <= 366, "an integer in [1, 366]"),
}


def build(frame):
    """The feature table: one row per store, item and day with a full history."""
    import pandas as pd

    frame = frame.sort_values(["store", "item", "date"], kind="mergesort").reset_index(drop=True)
    by_series = frame.groupby(["store", "item"], sort=False)[LABEL]
    for lag in LAGS:
        frame[f"lag_{lag}"] = by_series.shift(lag)
    for window in WINDOWS:
        frame[f"rolling_mean_{window}"] = by_series.transform(lambda s, w=window: s.shift(1).rolling(w).mean())
    dates = pd.to_datetime(frame["date"], format="%Y-%m-%d")
    frame["day_of_week"] = dates.dt.dayofweek
    frame["month"] = dates.dt.month
    frame["is_weekend"] = (frame["day_of_week"] >= 5).astype(int)
    frame["store_code"] = frame["store"].astype("category").cat.codes.astype(int)
    frame["item_code"] = frame["item"].astype("category").cat.codes.astype(int)
    frame = frame.dropna(subset=FEATURES).copy()
    for column in [f"lag_{lag}" for lag in LAGS]:
        frame[column] = frame[column].astype(int)
    for column in [f"rolling_mean_{w}" for w in WINDOWS]:
        frame[column] = frame[column].round(4)
    columns = ID_COLUMNS + FEATURES + [LABEL]
    return frame.sort_values(["date", "store", "item"], kind="mergesort")[columns].reset_index(drop=True)


def main():
    params = parse_params(PARAM_SPECS)
    raw_dir = require_dir("MLOPS_INPUT_RAW")
    output_dir = require_env("MLOPS_OUTPUT_DIR")
    path = find_file(raw_dir, "demand.csv")
    if path is None:
        fail(f"no demand.csv in MLOPS_INPUT_RAW {raw_dir}")
    frame = read_csv(path, RAW_COLUMNS)

    table = build(frame)
    dates = sorted(table["date"].unique())
    if len(dates) <= params["holdout_days"]:
        fail(
            f"param 'holdout_days' ({params['holdout_days']}) leaves no training days: "
            f"{path} has {len(dates)} days with a full {max(WINDOWS)}-day history"
        )
    first_holdout = dates[-params["holdout_days"]]
    train = table[table["date"] < first_holdout]
    holdout = table[table["date"] >= first_holdout]

    os.makedirs(output_dir, exist_ok=True)
    # fixed float format and line endings: the same demand.csv gives the same bytes (one snapshot id)
    for name, part in (("train.csv", train), ("holdout.csv", holdout)):
        part.to_csv(os.path.join(output_dir, name), index=False, lineterminator="\n", float_format="%.4f")
    write_json(
        os.path.join(output_dir, "metrics.json"),
        {"rows_train": int(len(train)), "rows_holdout": int(len(holdout)), "holdout_days": params["holdout_days"]},
    )
    print(f"features: {len(train)} training rows, {len(holdout)} holdout rows from {first_holdout}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
