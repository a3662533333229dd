#!/usr/bin/env python3
"""Batch scoring step of the forecast example: predicts units for every row of a feature file.

Environment:
  MLOPS_MODEL_DIR         folder with model.joblib; else the named input `model` (MLOPS_INPUT_MODEL)
  MLOPS_INPUT_<NAME>      the folder with the rows to score: the input named by the `input` param
  MLOPS_PARAMS            JSON object: input ("features"), file ("holdout.csv")
  MLOPS_OUTPUT_DIR        gets predictions.csv (date, store, item, predicted_units, and units when
                          the file has them) and metrics.json (rows_scored; rmse and mae when it has units)

Exit codes: 0 done, 2 bad params or input (message on stderr naming the param, variable or file), 1 other.
"""

import os
import re
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

from demand import FEATURES, ID_COLUMNS, LABEL, fail, find_file, load_model, parse_params, read_csv
from demand import regression_metrics, require_env, write_json

PARAM_SPECS = {
    "input": ("features", lambda v: re.fullmatch(r"[a-z][a-z0-9_]*", v) is not None, "an input name ([a-z][a-z0-9_]*)"),
    "file": ("holdout.csv", lambda v: v != "" and "/" not in v, "a file name"),
}


def model_dir():
    for name in ("MLOPS_MODEL_DIR", "MLOPS_INPUT_MODEL"):
        value = os.environ.get(name, "")
        if value:
            if not os.path.isdir(value):
                fail(f"{name} {value} is not a folder")
            return value
    fail("neither MLOPS_MODEL_DIR nor MLOPS_INPUT_MODEL is set: give the step a model")


def main():
    params = parse_params(PARAM_SPECS)
    variable = f"MLOPS_INPUT_{params['input'].upper()}"
    input_dir = os.environ.get(variable, "")
    if not input_dir or not os.path.isdir(input_dir):
        fail(f"{variable} is not a folder: the step needs an input named '{params['input']}' (param 'input')")
    output_dir = require_env("MLOPS_OUTPUT_DIR")
    model = load_model(model_dir())
    path = find_file(input_dir, params["file"])
    if path is None:
        fail(f"no {params['file']} in {variable} {input_dir} (param 'file')")
    frame = read_csv(path, ID_COLUMNS + FEATURES)

    predicted = model.predict(frame[FEATURES])
    out = frame[ID_COLUMNS].copy()
    out["predicted_units"] = predicted.round(3)
    metrics = {"rows_scored": int(len(out))}
    if LABEL in frame.columns:
        out[LABEL] = frame[LABEL]
        scored = regression_metrics(frame[LABEL].to_numpy(dtype=float), predicted)
        metrics.update({k: v for k, v in scored.items() if k in ("rmse", "mae") and v is not None})
    os.makedirs(output_dir, exist_ok=True)
    out.to_csv(os.path.join(output_dir, "predictions.csv"), index=False, lineterminator="\n")
    write_json(os.path.join(output_dir, "metrics.json"), metrics)
    print(f"scored {len(out)} rows of {os.path.basename(path)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
