# The worker image: `mlops worker` from a workflow bundle built at image build time, with the pinned
# Python venv that training jobs (`python …`) and the model server (activities/serving/model_server.py,
# also what a KServe ServingRuntime runs from this image) run from. One image serves both kinds of
# worker; infra/k8s picks the task queues with `--queues`.
#
#   docker build -t temporal-mlops-worker .
#   docker run --rm -e TEMPORAL_ADDRESS=host.docker.internal:7233 temporal-mlops-worker --queues all
#
# The runtime runs the build output (dist/, what bin/mlops.js starts) with the production
# node_modules: no TypeScript sources, no tsx. The .py assets (the model server, the Ray runner) are
# copied where the code finds them, from the package root.
# The image holds the platform only, not examples/ nor any pipeline's code: a run's code reaches the
# worker as a code package in the store (code/<sha256>.zip), materialized per digest under MLOPS_HOME.

ARG NODE_IMAGE=node:20-bookworm-slim

# Production dependencies only (scripts skipped: `prepare` builds, which needs the sources and tsc).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# Full install, the build (dist/), and the workflow bundle the worker starts from (`--bundle`).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm rebuild && npm run build && node bin/mlops.js bundle -o /app/workflow-bundle.js

# The pinned Python packages (requirements.txt) and the job code's helper (python/: mlops_job), in a venv at the path the worker looks for it
# (<repo>/.venv, worker/dependencies.ts); built on the runtime's base so its interpreter matches.
FROM ${NODE_IMAGE} AS python
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 python3-venv \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt ./
COPY python ./python
RUN python3 -m venv /app/.venv \
  && /app/.venv/bin/pip install --no-cache-dir --disable-pip-version-check -r requirements.txt \
  && /app/.venv/bin/pip install --no-cache-dir --disable-pip-version-check ./python

FROM ${NODE_IMAGE} AS runtime
# python3 for the venv; tini as PID 1 reaps the job and model-server processes the worker starts
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 tini ca-certificates \
  && rm -rf /var/lib/apt/lists/* \
  && mkdir -p /var/lib/mlops \
  && chown 1000:1000 /var/lib/mlops
ENV NODE_ENV=production \
  MLOPS_HOME=/var/lib/mlops \
  PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=python /app/.venv ./.venv
COPY package.json ./
COPY bin ./bin
COPY --from=build /app/dist ./dist
COPY activities/serving/model_server.py ./activities/serving/
COPY activities/training/ray_runner.py ./activities/training/
COPY --from=build /app/workflow-bundle.js ./workflow-bundle.js
# the base image's `node` user; the code and the venv stay owned by root, read-only to the worker
USER 1000:1000
# 8081: /healthz and /readyz; 9464: Prometheus /metrics
EXPOSE 8081 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8081/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["tini", "--", "node", "bin/mlops.js", "worker", "--bundle", "/app/workflow-bundle.js", "--health-host", "0.0.0.0", "--metrics-host", "0.0.0.0"]
CMD ["--queues", "all", "--health-port", "8081", "--metrics-port", "9464"]
