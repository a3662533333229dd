"""Runs one training job inside a Ray job (the entrypoint the `ray` training backend submits).

The Ray job's working directory is the job's code folder (its code package, shipped as a Ray
package); this file comes in `py_modules` and runs as `python -m _mlops_ray_runner`. The runner gives the job's command the same contract as the local backend:

- MLOPS_DATA_DIR: the input snapshot, materialized from MLOPS_DATA_URI (the manifest's URI in the
  object store; bodies are read from the dataset's content-addressed blobs and checked by sha256);
- MLOPS_MODEL_DIR (when MLOPS_MODEL_URI is set): the model folder, every object under that URI
  downloaded with its relative path (sizes checked against the listing);
- MLOPS_INPUT_<NAME> for each named input in MLOPS_INPUTS (JSON: `name` with a snapshot's
  `manifestUri` or a model folder's `modelUri`): the input materialized into `inputs/<name>/`, a
  snapshot as MLOPS_DATA_DIR's, a model folder as MLOPS_MODEL_DIR's;
- MLOPS_OUTPUT_DIR: an empty folder, uploaded to MLOPS_OUTPUT_URI when the command succeeds;
- MLOPS_METRICS_FILE: the metric stream; every line appended to it is echoed to stdout after
  METRIC_PREFIX, so the backend reads the stream from the Ray job's log;
- MLOPS_PARAMS and MLOPS_JOB_ID pass through from the submission.

The command comes as JSON in MLOPS_COMMAND; a leading `python` runs with this interpreter. The
runner exits with the command's exit code (128 + n when a signal ended it), 127 when the command
does not exist, 126 when it is not executable.

Store access: s3:// through boto3 (MLOPS_RUNNER_S3_ENDPOINT, MLOPS_RUNNER_S3_FORCE_PATH_STYLE,
MLOPS_RUNNER_S3_REGION, and MLOPS_RUNNER_AWS_ACCESS_KEY_ID / MLOPS_RUNNER_AWS_SECRET_ACCESS_KEY when
the worker sent credentials, else the usual AWS credential chain of the Ray node), file:// directly
(the Ray nodes must share that filesystem). Every MLOPS_RUNNER_* variable is the runner's alone: the
command's environment has none of them, so the job's code never holds the store's credentials.
Only the standard library and boto3 are used.
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from urllib.parse import unquote, urlparse

METRIC_PREFIX = "MLOPS_METRIC "
RUNNER_ONLY_PREFIX = "MLOPS_RUNNER_"
CHUNK = 1 << 20


def say(message):
    sys.stdout.write(f"mlops: {message}\n")
    sys.stdout.flush()


class Store:
    """Reads and writes objects by URI: s3://bucket/key or file:///path."""

    def __init__(self):
        self._s3 = None

    def s3(self):
        if self._s3 is None:
            import boto3
            from botocore.config import Config

            path_style = os.environ.get("MLOPS_RUNNER_S3_FORCE_PATH_STYLE", "").lower() in ("1", "true", "yes")
            credentials = {}
            if os.environ.get("MLOPS_RUNNER_AWS_ACCESS_KEY_ID"):
                credentials = {
                    "aws_access_key_id": os.environ["MLOPS_RUNNER_AWS_ACCESS_KEY_ID"],
                    "aws_secret_access_key": os.environ.get("MLOPS_RUNNER_AWS_SECRET_ACCESS_KEY"),
                }
            self._s3 = boto3.client(
                "s3",
                endpoint_url=os.environ.get("MLOPS_RUNNER_S3_ENDPOINT") or None,
                region_name=os.environ.get("MLOPS_RUNNER_S3_REGION") or os.environ.get("AWS_REGION") or "us-east-1",
                **credentials,
                config=Config(
                    s3={"addressing_style": "path" if path_style else "auto"},
                    retries={"max_attempts": 8, "mode": "standard"},
                ),
            )
        return self._s3

    def read_bytes(self, uri):
        scheme, bucket, key = parse_uri(uri)
        if scheme == "file":
            with open(key, "rb") as f:
                return f.read()
        return self.s3().get_object(Bucket=bucket, Key=key)["Body"].read()

    def list(self, uri):
        """(relative path, size) of every object under the folder `uri`, sorted by path."""
        scheme, bucket, key = parse_uri(uri)
        root = key.rstrip("/") + "/"
        found = []
        if scheme == "file":
            for folder, dirs, files in os.walk(root):
                dirs[:] = [d for d in dirs if d != ".blobstore"]  # the filesystem store's own files
                for name in files:
                    path = os.path.join(folder, name)
                    found.append((os.path.relpath(path, root).replace(os.sep, "/"), os.path.getsize(path)))
        else:
            pages = self.s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=root)
            for page in pages:
                for obj in page.get("Contents", []):
                    found.append((obj["Key"][len(root) :], obj["Size"]))
        return sorted(found)

    def download(self, uri, target, sha256=None, size=None):
        """Streams `uri` into `target` via a temp file, checking digest and size (when given) before the rename."""
        scheme, bucket, key = parse_uri(uri)
        temp = f"{target}.{uuid.uuid4().hex[:8]}.mlops-tmp"
        digest = hashlib.sha256()
        count = 0
        try:
            with open(temp, "wb") as out:
                if scheme == "file":
                    body = open(key, "rb")
                else:
                    body = self.s3().get_object(Bucket=bucket, Key=key)["Body"]
                try:
                    while True:
                        chunk = body.read(CHUNK)
                        if not chunk:
                            break
                        digest.update(chunk)
                        count += len(chunk)
                        out.write(chunk)
                finally:
                    body.close()
            if (sha256 is not None and digest.hexdigest() != sha256) or (size is not None and count != size):
                raise RuntimeError(
                    f"{uri} does not match what was listed (sha256 {digest.hexdigest()}, {count} bytes; "
                    f"expected {sha256}, {size} bytes)"
                )
            os.replace(temp, target)
        finally:
            if os.path.exists(temp):
                os.remove(temp)

    def upload(self, source, uri):
        scheme, bucket, key = parse_uri(uri)
        if scheme == "file":
            os.makedirs(os.path.dirname(key), exist_ok=True)
            temp = f"{key}.{uuid.uuid4().hex[:8]}.mlops-tmp"
            shutil.copyfile(source, temp)
            os.replace(temp, key)
            return
        self.s3().upload_file(source, bucket, key)


def parse_uri(uri):
    parsed = urlparse(uri)
    if parsed.scheme == "s3":
        return "s3", parsed.netloc, parsed.path.lstrip("/")
    if parsed.scheme == "file":
        return "file", None, unquote(parsed.path)
    raise ValueError(f"unsupported store URI {uri!r}: expected s3:// or file://")


def safe_target(root, rel):
    parts = rel.split("/")
    if rel == "" or "\\" in rel or "\0" in rel or rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise RuntimeError(f"the listed path {rel!r} escapes the folder {root}")
    return os.path.join(root, *parts)


def materialize(store, manifest_uri, data_dir):
    """Restores the snapshot whose manifest is at `manifest_uri` into `data_dir`."""
    manifest = json.loads(store.read_bytes(manifest_uri))
    # <root>/datasets/<name>/snapshots/<id>.json -> <root>/datasets/<name>/blobs/sha256/<aa>/<digest>
    dataset_root = manifest_uri.rsplit("/", 2)[0]
    total = 0
    for entry in manifest["files"]:
        target = safe_target(data_dir, entry["path"])
        os.makedirs(os.path.dirname(target), exist_ok=True)
        digest = entry["sha256"]
        store.download(f"{dataset_root}/blobs/sha256/{digest[:2]}/{digest}", target, digest, entry["size"])
        total += entry["size"]
    say(f"materialized snapshot {manifest.get('id', '?')[:12]} ({len(manifest['files'])} files, {total} bytes)")


def download_model(store, model_uri, model_dir):
    """Downloads every object under the folder `model_uri` into `model_dir`, relative paths kept."""
    entries = store.list(model_uri)
    if not entries:
        raise RuntimeError(f"no objects under the model folder {model_uri}")
    for rel, size in entries:
        target = safe_target(model_dir, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        store.download(f"{model_uri.rstrip('/')}/{rel}", target, size=size)
    say(f"downloaded model {model_uri} ({len(entries)} files, {sum(size for _, size in entries)} bytes)")


def upload_outputs(store, output_dir, output_uri):
    count = 0
    for folder, _dirs, files in os.walk(output_dir):
        for name in sorted(files):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, output_dir).replace(os.sep, "/")
            store.upload(path, f"{output_uri.rstrip('/')}/{rel}")
            count += 1
    say(f"uploaded {count} output files")


class MetricEcho(threading.Thread):
    """Echoes complete lines appended to the metrics file to stdout, prefixed, until stopped."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.offset = 0
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(0.2):
            self.drain()

    def drain(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return
        end = data.rfind(b"\n") + 1
        if end == 0:
            return
        self.offset += end
        lines = [line for line in data[:end].decode("utf-8", "replace").split("\n") if line.strip()]
        if lines:
            sys.stdout.write("".join(f"{METRIC_PREFIX}{line}\n" for line in lines))
            sys.stdout.flush()

    def stop(self):
        self.done.set()
        self.join()
        self.drain()


def command_env(environ):
    """The command's environment: the runner's, without the submission's plumbing and the runner's store settings."""
    env = {k: v for k, v in environ.items() if not k.startswith(RUNNER_ONLY_PREFIX)}
    for name in ("MLOPS_COMMAND", "MLOPS_DATA_URI", "MLOPS_OUTPUT_URI", "MLOPS_MODEL_URI", "MLOPS_INPUTS"):
        env.pop(name, None)
    return env


def run_command(command, env):
    if command and command[0] == "python":
        command = [sys.executable, *command[1:]]
    try:
        child = subprocess.Popen(command, env=env)
    except FileNotFoundError:
        say(f"{command[0]}: command not found (exit 127)")
        return 127
    except PermissionError:
        say(f"{command[0]}: not executable (exit 126)")
        return 126

    def forward(signum, _frame):
        child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    code = child.wait()
    return 128 - code if code < 0 else code


def main():
    command = json.loads(os.environ["MLOPS_COMMAND"])
    output_uri = os.environ["MLOPS_OUTPUT_URI"]
    data_uri = os.environ.get("MLOPS_DATA_URI")
    model_uri = os.environ.get("MLOPS_MODEL_URI")
    inputs = json.loads(os.environ.get("MLOPS_INPUTS") or "[]")
    store = Store()
    work = tempfile.mkdtemp(prefix="mlops-job-")
    try:
        data_dir = os.path.join(work, "data")
        output_dir = os.path.join(work, "output")
        metrics_file = os.path.join(work, "metrics.ndjson")
        os.makedirs(data_dir)
        os.makedirs(output_dir)
        if data_uri:
            materialize(store, data_uri, data_dir)
        env = command_env(os.environ)
        env.update(MLOPS_DATA_DIR=data_dir, MLOPS_OUTPUT_DIR=output_dir, MLOPS_METRICS_FILE=metrics_file)
        if model_uri:
            model_dir = os.path.join(work, "model")
            download_model(store, model_uri, model_dir)
            env["MLOPS_MODEL_DIR"] = model_dir
        for item in inputs:
            input_dir = os.path.join(work, "inputs", item["name"])
            os.makedirs(input_dir)
            if "manifestUri" in item:
                materialize(store, item["manifestUri"], input_dir)
            else:
                download_model(store, item["modelUri"], input_dir)
            env[f"MLOPS_INPUT_{item['name'].upper()}"] = input_dir
        echo = MetricEcho(metrics_file)
        echo.start()
        try:
            sys.stdout.flush()
            code = run_command(command, env)
        finally:
            echo.stop()
        if code == 0:
            upload_outputs(store, output_dir, output_uri)
        return code
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
