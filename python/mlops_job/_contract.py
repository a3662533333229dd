"""The variables the worker sets for a job, and how a job reports a bad input (exit code 2)."""

import json
import os
import sys

# Exit code of a job whose params or input are wrong: the platform reports it as the user's mistake.
BAD_INPUT = 2

PARAMS = "MLOPS_PARAMS"
DATA_DIR = "MLOPS_DATA_DIR"
OUTPUT_DIR = "MLOPS_OUTPUT_DIR"
MODEL_DIR = "MLOPS_MODEL_DIR"
METRICS_FILE = "MLOPS_METRICS_FILE"
JOB_ID = "MLOPS_JOB_ID"
MODEL_NAME = "MLOPS_MODEL_NAME"
MODEL_VERSION = "MLOPS_MODEL_VERSION"
INPUT_PREFIX = "MLOPS_INPUT_"


def fail(message, code=BAD_INPUT):
    """Prints `error: <message>` on stderr and exits (2 by default: a bad param or input)."""
    print(f"error: {message}", file=sys.stderr, flush=True)
    sys.exit(code)


def require_env(name):
    """The value of the contract variable `name`; exits with code 2 naming it when unset or empty."""
    value = os.environ.get(name, "")
    if not value:
        fail(f"environment variable {name} is not set (the worker sets it for a job)")
    return value


def _folder(name):
    path = require_env(name)
    if not os.path.isdir(path):
        fail(f"{name} {path} is not a folder")
    return path


def data_dir():
    """The job's input snapshot, materialized (MLOPS_DATA_DIR)."""
    return _folder(DATA_DIR)


def model_dir():
    """The model folder an evaluation or scoring job is given (MLOPS_MODEL_DIR)."""
    return _folder(MODEL_DIR)


def input_dir(name):
    """The folder of the job's named input `name` (MLOPS_INPUT_<NAME>, the name upper-cased)."""
    return _folder(INPUT_PREFIX + name.upper())


def output_dir():
    """The folder the job writes its outputs to (MLOPS_OUTPUT_DIR), created when missing; uploaded when the job succeeds."""
    path = require_env(OUTPUT_DIR)
    os.makedirs(path, exist_ok=True)
    return path


def job_id():
    """The job's id (MLOPS_JOB_ID), or None outside a platform job."""
    return os.environ.get(JOB_ID) or None


def save_json(name, value):
    """Writes `value` as `<output dir>/<name>` (indented, sorted keys, no NaN), atomically; returns the path."""
    path = os.path.join(output_dir(), name)
    write_json_atomically(path, value)
    return path


def write_json_atomically(path, value):
    text = json.dumps(value, indent=2, sort_keys=True, allow_nan=False) + "\n"
    partial = f"{path}.{os.getpid()}.tmp"
    with open(partial, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(partial, path)
