"""Metrics: a step's value goes to the metric stream (MLOPS_METRICS_FILE), a final one to metrics.json."""

import json
import math
import os
import sys

from ._contract import METRICS_FILE, OUTPUT_DIR, output_dir, write_json_atomically

METRICS_JSON = "metrics.json"


def log_metric(name, value, step=None):
    """
    Records metric `name`. With a `step` (an iteration, an epoch) it is a point of the metric stream the
    platform reads while the job runs (a sweep's early stopping, `mlops logs`): one `{"step", "name",
    "value"}` line appended to MLOPS_METRICS_FILE. Without a step it is a final metric, kept in
    `<output dir>/metrics.json` (the run's metrics, the primary metric among them). A value that is
    not finite (NaN, infinity) is left out with a warning on stderr.
    """
    log_metrics({name: value}, step=step)


def log_metrics(metrics, step=None):
    """Records several metrics at once (a dict of name to number), as `log_metric` does each."""
    checked = {}
    for name, value in metrics.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"a metric name must be a non-empty string, got {name!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            try:
                value = float(value)  # numpy scalars
            except (TypeError, ValueError):
                raise ValueError(f"metric {name!r} must be a number, got {value!r}") from None
        if not math.isfinite(value):
            print(f"warning: metric {name!r} is {value}: not recorded", file=sys.stderr, flush=True)
            continue
        checked[name] = value
    if step is None:
        _update_final(checked)
    else:
        if isinstance(step, bool) or not float(step).is_integer() or step < 0:
            raise ValueError(f"step must be a whole number >= 0, got {step!r}")
        _append_points(int(step), checked)


def _append_points(step, metrics):
    path = os.environ.get(METRICS_FILE, "")
    if not path or not metrics:
        return  # outside a platform job: nothing reads the stream
    lines = "".join(json.dumps({"step": step, "name": n, "value": v}) + "\n" for n, v in metrics.items())
    # one write per call, flushed at once: the platform reads the stream while the job runs
    with open(path, "a", encoding="utf-8") as f:
        f.write(lines)


def _update_final(metrics):
    if not os.environ.get(OUTPUT_DIR) and not metrics:
        return
    path = os.path.join(output_dir(), METRICS_JSON)
    current = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            current = json.load(f)
    current.update(metrics)
    write_json_atomically(path, current)
