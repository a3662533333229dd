"""Model folders: what the serving runtime reads (the model file and its descriptor, model.json)."""

import json
import os

from ._contract import MODEL_DIR, MODEL_NAME, MODEL_VERSION, fail, output_dir, require_env, write_json_atomically

DESCRIPTOR = "model.json"
FLAVORS = {"sklearn": "model.joblib"}


def save_model(model, flavor="sklearn", *, inputs=None, name=None, version=None):
    """
    Writes `model` into the output folder as the serving runtime loads it: the model file
    (`model.joblib`, saved with joblib, for flavor sklearn) and its descriptor `model.json`
    ({format, file, inputs, name, version}).

    `inputs` are the columns the model takes, in its order; the platform forwards a request's columns
    in that order and leaves out others (an id, the label). Give the training DataFrame (names and
    datatypes, ordered by the model's `feature_names_in_` when it has them), a list of column names,
    or nothing (the model's `feature_names_in_`). `name` and `version` are informational; the job's
    MLOPS_MODEL_NAME and MLOPS_MODEL_VERSION win when set. Returns the output folder.
    """
    if flavor not in FLAVORS:
        raise ValueError(f"flavor {flavor!r} is not supported (supported: {', '.join(FLAVORS)})")
    import joblib

    folder = output_dir()
    file = FLAVORS[flavor]
    descriptor = {"format": flavor, "file": file, "inputs": _inputs(model, inputs)}
    name = os.environ.get(MODEL_NAME) or name
    version = os.environ.get(MODEL_VERSION) or version
    if name:
        descriptor["name"] = str(name)
    if version:
        descriptor["version"] = str(version)
    joblib.dump(model, os.path.join(folder, file))
    write_json_atomically(os.path.join(folder, DESCRIPTOR), descriptor)
    return folder


def load_model(folder=None):
    """
    The model of a model folder (default: the job's MLOPS_MODEL_DIR) as its descriptor says; a folder
    without `model.json` is read as `model.joblib`. A missing or unreadable model exits with code 2.
    """
    folder = folder or require_env(MODEL_DIR)
    path = os.path.join(folder, DESCRIPTOR)
    file = FLAVORS["sklearn"]
    if os.path.isfile(path):
        try:
            with open(path, encoding="utf-8") as f:
                descriptor = json.load(f)
        except (OSError, ValueError) as exc:
            fail(f"could not read {path}: {exc}")
        if not isinstance(descriptor, dict) or descriptor.get("format") not in FLAVORS:
            fail(f"{path}: format: must be one of {', '.join(FLAVORS)}")
        file = descriptor.get("file")
        if not isinstance(file, str) or not file or os.path.isabs(file) or ".." in file.replace("\\", "/").split("/"):
            fail(f"{path}: file: must be a file name inside the model folder")
    model_path = os.path.join(folder, file)
    if not os.path.isfile(model_path):
        fail(f"model file not found: {model_path}")
    import joblib

    try:
        return joblib.load(model_path)
    except Exception as exc:  # noqa: BLE001 - a corrupt or foreign file is a bad input
        fail(f"could not load {model_path}: {exc}")


def _inputs(model, given):
    names = getattr(model, "feature_names_in_", None)
    names = [str(n) for n in names] if names is not None else None
    if given is None:
        return [{"name": n} for n in names or []]
    if hasattr(given, "columns") and hasattr(given, "dtypes"):  # a pandas DataFrame
        order = names if names is not None else [str(c) for c in given.columns]
        missing = [n for n in order if n not in given.columns]
        if missing:
            raise ValueError(f"inputs: the frame lacks the model's column(s) {', '.join(missing)}")
        return [{"name": n, "datatype": _datatype(given[n].dtype)} for n in order]
    out = []
    for item in given:
        entry = {"name": item} if isinstance(item, str) else dict(item)
        if not isinstance(entry.get("name"), str) or not entry["name"]:
            raise ValueError(f"inputs: each input needs a name, got {item!r}")
        out.append(entry)
    return out


def _datatype(dtype):
    """The Open Inference Protocol v2 datatype of a numpy dtype."""
    kind = getattr(dtype, "kind", "O")
    if kind == "b":
        return "BOOL"
    if kind in "iu":
        return "INT64"
    if kind == "f":
        return "FP64"
    return "BYTES"
