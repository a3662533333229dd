/**
 * The on-disk layout of one local variant, `<servingRoot>/<endpoint>/<variant>/`:
 *   variant.json      `VariantRecord`: the model version, its port and host, who launched it (written before launch)
 *   model/            the downloaded model folder with its descriptor (`model.json`); `.complete` once whole
 *   pid               `PidRecord` of the model server (./model_server.py), which leads its own process group
 *   model-server.log  its stdout and stderr
 * A restarted worker finds a running variant from these files alone.
 */
import path from 'node:path';
import { VARIANT_NAME } from '../../common/schemas/gateway-api';
import { NAME_PATTERN } from '../registry/validate';
import { InvalidServingArgumentError } from '../../common/failures';

/** What `variant.json` holds. */
export interface VariantRecord {
  endpoint: string;
  variant: string;
  model: string;
  version: number;
  artifactUri: string;
  httpPort: number;
  /** The host the gateway reaches the server at (`MLOPS_MODEL_SERVER_ADVERTISE_HOST`); absent in older records: 127.0.0.1. */
  upstreamHost?: string;
  createdAt: string;
  /** The worker process that launched it, to tell an interrupted launch from one in progress. */
  launcher: { pid: number; startTime: string | null };
}

/** `<model>-v<version>`. */
export function variantName(model: string, version: number): string {
  return `${model}-v${version}`;
}

/** Paths of one variant's files. */
export function variantPaths(servingRoot: string, endpoint: string, variant: string) {
  const dir = path.join(servingRoot, endpoint, variant);
  return {
    dir,
    record: path.join(dir, 'variant.json'),
    model: path.join(dir, 'model'),
    modelComplete: path.join(dir, 'model', '.complete'),
    pid: path.join(dir, 'pid'),
    log: path.join(dir, 'model-server.log'),
  };
}

export type VariantPaths = ReturnType<typeof variantPaths>;

const NAME_RULE = `lower-case letters, digits, '.', '_' or '-', starting with a letter or digit, at most 63 characters`;

/** Returns `value` when it is a valid endpoint, model or variant name (also a safe folder and URL segment). */
export function validServingName(field: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
    throw new InvalidServingArgumentError(field, `${JSON.stringify(value)} is not a valid name: ${NAME_RULE}`);
  }
  return value;
}

/** Returns `variant` when the gateway accepts it as a variant name (no '_': model names with one cannot be served). */
export function validVariantName(variant: unknown): string {
  if (typeof variant !== 'string' || !VARIANT_NAME.test(variant)) {
    throw new InvalidServingArgumentError(
      'variant',
      `${JSON.stringify(variant)} is not a valid variant name: <model>-v<version> in lower-case letters, digits, '.' or '-', at most 63 characters`,
    );
  }
  return variant;
}
