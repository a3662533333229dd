"""
mlops_job: the training contract of temporal-mlops, for a job's Python code.

    import mlops_job

    params = mlops_job.params(learning_rate=(float, 0.1), max_depth=(int, 6))
    frame = pandas.read_csv(os.path.join(mlops_job.data_dir(), "train.csv"))
    ...
    mlops_job.log_metric("val_auc", auc, step=iteration)   # the metric stream, while it runs
    mlops_job.log_metric("val_auc", auc)                   # a final metric (metrics.json)
    mlops_job.save_model(model, flavor="sklearn", inputs=frame[features])

The worker passes a job its params (MLOPS_PARAMS, JSON), its folders (MLOPS_DATA_DIR,
MLOPS_OUTPUT_DIR, MLOPS_MODEL_DIR, MLOPS_INPUT_<NAME>) and its metric stream (MLOPS_METRICS_FILE);
this package reads and writes exactly those. Exit code 2 means a bad param or input.
Standard library only; joblib is imported by save_model and load_model when they are called.
"""

from ._contract import (
    BAD_INPUT,
    data_dir,
    fail,
    input_dir,
    job_id,
    model_dir,
    output_dir,
    require_env,
    save_json,
)
from ._metrics import log_metric, log_metrics
from ._model import load_model, save_model
from ._params import Param, Params, log_params, one_of, optional, param, params

__all__ = [
    "BAD_INPUT",
    "Param",
    "Params",
    "data_dir",
    "fail",
    "input_dir",
    "job_id",
    "load_model",
    "log_metric",
    "log_metrics",
    "log_params",
    "model_dir",
    "one_of",
    "optional",
    "output_dir",
    "param",
    "params",
    "require_env",
    "save_json",
    "save_model",
]
