#!/usr/bin/env python3
"""The project's model server: KServe's `ModelServer` running one model folder a training job wrote.

    python model_server.py --model_dir <dir> --model_name <name> --http_port <port> [--http_host <address>]

The folder is described by `model.json` (the project's model descriptor, common/schemas/model-descriptor.ts):
`{"format": "sklearn", "file": "model.joblib", "inputs": [{"name": ..., "datatype": ...}, ...]}`. A folder
from older versions, with the `model-settings.json` they wrote (`parameters.uri`, `inputs`) or only a
`model.joblib`, is served the same way.

It speaks the Open Inference Protocol v2 on HTTP: `POST /v2/models/<name>/infer`, the readiness and
metadata routes and `/metrics`. A request with `parameters.content_type: "pd"` (or several inputs) is
one pandas column per input, put in the order of the descriptor's `inputs` when it has them all; a
single input of another content type is a numpy array of its shape. The outputs asked for by name are
`predict` (the default) and `predict_proba` (where the model has it), each `[rows, k]`.

Nothing on the network steers the server: it listens on `--http_host` only (default 127.0.0.1), without
gRPC, without the model repository's load/unload routes and without the docs pages. In a cluster, a
KServe ServingRuntime runs this file with `--model_dir=/mnt/models` and `--http_host=0.0.0.0`.
"""

import argparse
import json
import logging
import os
import sys
import uuid
import warnings

# kserve's own parser reads its flags (--http_port, --model_name, ...) at import time
from kserve import Model, ModelServer, model_server as kserve_model_server
from kserve.errors import InvalidInput
from kserve.protocol.infer_type import InferOutput, InferRequest, InferResponse
from kserve.protocol.rest.server import RESTServer
from kserve.utils.numpy_codec import from_np_dtype

DESCRIPTOR = "model.json"
LEGACY_SETTINGS = "model-settings.json"
FORMATS = ("sklearn",)
OUTPUTS = ("predict", "predict_proba")
# KServe's model repository routes (load, unload) change what the server serves, and the API schema
# documents them: not reachable here
REFUSED_PREFIXES = ("/v2/repository/", "/v1/repository/", "/openapi.json", "/docs", "/redoc")


class ModelFolderError(Exception):
    """Thrown when a model folder has no valid descriptor or model file (the message names the file and field)."""


def read_descriptor(model_dir):
    """The folder's descriptor: `model.json`, else the legacy `model-settings.json`, as {format, file, inputs}."""
    path = os.path.join(model_dir, DESCRIPTOR)
    if os.path.exists(path):
        raw = read_json_object(path)
        fmt = raw.get("format")
        if fmt not in FORMATS:
            raise ModelFolderError(f"{path}: format: must be one of {', '.join(FORMATS)} (got {json.dumps(fmt)})")
        file = raw.get("file")
        if not isinstance(file, str) or not file:
            raise ModelFolderError(f"{path}: file: must be a file name in the model folder")
        inputs = raw.get("inputs", [])
    else:
        # older folders: the settings file they wrote, or a bare model.joblib
        path = os.path.join(model_dir, LEGACY_SETTINGS)
        raw = read_json_object(path) if os.path.exists(path) else {}
        parameters = raw.get("parameters") if isinstance(raw.get("parameters"), dict) else {}
        uri = parameters.get("uri", "./model.joblib")
        if not isinstance(uri, str) or not uri:
            raise ModelFolderError(f"{path}: parameters.uri: must be a file name in the model folder")
        fmt, file, inputs = "sklearn", uri, raw.get("inputs", [])
    if not isinstance(inputs, list) or not all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in inputs):
        raise ModelFolderError(f"{path}: inputs: must be a list of {{name, datatype}}")
    root = os.path.realpath(model_dir)
    model_file = os.path.realpath(os.path.join(root, file))
    if os.path.commonpath([root, model_file]) != root:
        raise ModelFolderError(f"{path}: file: {json.dumps(file)} is outside the model folder")
    if not os.path.isfile(model_file):
        raise ModelFolderError(f"{path}: file: {json.dumps(file)} is not in the model folder")
    return {"format": fmt, "file": model_file, "inputs": [i["name"] for i in inputs]}


def read_json_object(path):
    try:
        with open(path, encoding="utf-8") as f:
            value = json.load(f)
    except (OSError, ValueError) as error:
        raise ModelFolderError(f"{path}: cannot be read as JSON ({error})") from error
    if not isinstance(value, dict):
        raise ModelFolderError(f"{path}: must be a JSON object")
    return value


class ProjectModel(Model):
    """A scikit-learn model from a model folder, answering `predict` and `predict_proba`."""

    def __init__(self, name, model_dir):
        super().__init__(name)
        self.model_dir = model_dir
        self.inputs = []
        self.model = None

    def load(self):
        import joblib

        descriptor = read_descriptor(self.model_dir)
        self.inputs = descriptor["inputs"]
        self.model = joblib.load(descriptor["file"])
        if not hasattr(self.model, "predict"):
            raise ModelFolderError(f"{descriptor['file']}: the loaded object has no predict()")
        self.ready = True
        return self.ready

    def predict(self, payload, headers=None):
        if not isinstance(payload, InferRequest):
            raise InvalidInput("expected an Open Inference Protocol v2 request (POST /v2/models/<name>/infer)")
        names = [o.name for o in payload.request_outputs or []] or ["predict"]
        for name in names:
            if name not in OUTPUTS:
                raise InvalidInput(f"outputs: {json.dumps(name)} is not one of {', '.join(OUTPUTS)}")
            if not hasattr(self.model, name):
                raise InvalidInput(f"outputs: the model has no {name} (a regressor answers predict only)")
        features = self.features(payload)
        outputs = []
        for name in names:
            try:
                values = getattr(self.model, name)(features)
            except (ValueError, KeyError, TypeError) as error:
                raise InvalidInput(f"inputs: the model refused them: {error}") from error
            outputs.append(to_output(name, values))
        return InferResponse(
            response_id=payload.id or str(uuid.uuid4()),
            model_name=self.name,
            infer_outputs=outputs,
        )

    def features(self, payload):
        """The request's inputs as the model takes them: a DataFrame of columns, or one numpy array."""
        import pandas as pd

        if len(payload.inputs) == 0:
            raise InvalidInput("inputs: must be a non-empty array of v2 input tensors")
        content_type = (payload.parameters or {}).get("content_type")
        if content_type != "pd" and len(payload.inputs) == 1:
            array = as_array(payload.inputs[0])
            return array.reshape(len(array), -1) if array.ndim == 1 else array
        columns = {}
        for tensor in payload.inputs:
            array = as_array(tensor)
            columns[tensor.name] = array.reshape(len(array)) if array.ndim > 1 and array.shape[1] == 1 else array
        lengths = {len(v) for v in columns.values()}
        if len(lengths) != 1:
            raise InvalidInput("inputs: every input must have the same number of rows")
        frame = pd.DataFrame(columns)
        if self.inputs and all(name in frame.columns for name in self.inputs):
            frame = frame[self.inputs]
        return frame


def as_array(tensor):
    import numpy as np

    try:
        array = tensor.as_numpy()
    except Exception as error:  # the data does not fit its shape or datatype
        raise InvalidInput(f"inputs.{tensor.name}: {error}") from error
    if array.dtype == np.object_:
        array = np.array([v.decode("utf-8") if isinstance(v, bytes) else v for v in array.ravel()], dtype=object)
        array = array.reshape(tensor.shape)
    return array


def to_output(name, values):
    """One output tensor, `[rows, k]` (a column vector for `predict`): the shape the gateway and capture read."""
    import numpy as np

    array = np.asarray(values)
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.dtype.kind in "USO":
        array = array.astype(object)
    return InferOutput(
        name=name,
        shape=list(array.shape),
        datatype=from_np_dtype(array.dtype),
        data=array,
        parameters={"content_type": "np"},
    )


class RefuseRepositoryRoutes:
    """ASGI middleware answering 404 to the model repository routes and the API pages, before KServe's router."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(REFUSED_PREFIXES):
            body = json.dumps({"error": f"{scope['path']} is not served"}).encode()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 404, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


class LockedRESTServer(RESTServer):
    """KServe's REST server bound to one address, without the routes that load or unload models."""

    host = "127.0.0.1"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.config.host = LockedRESTServer.host

    def _add_middlewares(self, app):
        super()._add_middlewares(app)
        app.add_middleware(RefuseRepositoryRoutes)


def parse_args(argv):
    parser = argparse.ArgumentParser(parents=[kserve_model_server.parser], description=__doc__.split("\n")[0])
    parser.add_argument("--model_dir", required=True, help="the model folder (model.json and the model file)")
    parser.add_argument("--http_host", default="127.0.0.1", help="the address to listen on")
    args, _ = parser.parse_known_args(argv)
    return args


def quiet_request_logs():
    """No log line per request (the gateway counts requests): the log keeps startup, failures and warnings."""
    for name in ("uvicorn.access", "kserve.trace"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="ORJSONResponse is deprecated")


def main(argv):
    args = parse_args(argv)
    model = ProjectModel(args.model_name, args.model_dir)
    try:
        model.load()
    except ModelFolderError as error:
        print(f"model_server: {error}", file=sys.stderr, flush=True)
        return 2
    LockedRESTServer.host = args.http_host
    # ModelServer builds its REST server from this module's name: the locked one takes its place
    kserve_model_server.RESTServer = LockedRESTServer
    server = ModelServer(
        http_port=args.http_port,
        workers=1,
        enable_grpc=False,
        enable_docs_url=False,
        enable_latency_logging=False,
    )
    quiet_request_logs()  # after ModelServer, which configures logging
    server.start([model])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
