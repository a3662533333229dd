/**
 * The model descriptor (`model.json` in a model folder): what the project's model server needs to
 * serve what a training job wrote. Written by the job; read by the model server
 * (activities/serving/model_server.py) and by the serving backends (the input columns the gateway
 * forwards, in order). A folder from before it, with only the `model-settings.json` older versions wrote, is read
 * through `fromLegacyModelSettings`.
 */
import { z } from 'zod';

/** The descriptor's file name in a model folder. */
export const MODEL_DESCRIPTOR_FILE = 'model.json';
/** What older model folders hold instead of a descriptor. */
export const LEGACY_MODEL_SETTINGS_FILE = 'model-settings.json';

const fileInFolder = z
  .string()
  .min(1)
  .refine((f) => !f.startsWith('/') && !f.split(/[\\/]/).includes('..'), 'must be a file name inside the model folder');

export const modelInputSchema = z
  .object({
    name: z.string().min(1).describe('A column the model takes'),
    datatype: z.enum(['BOOL', 'INT64', 'FP64', 'BYTES']).optional().describe('Its Open Inference Protocol v2 datatype'),
  })
  .loose();

export const modelDescriptorSchema = z
  .object({
    format: z
      .literal('sklearn')
      .describe('How the model file is loaded: sklearn (a scikit-learn model saved with joblib)'),
    file: fileInFolder.describe('The model file, relative to the folder, e.g. model.joblib'),
    inputs: z
      .array(modelInputSchema)
      .default([])
      .describe('The columns the model takes, in its order; the gateway forwards a pandas request in this order'),
    name: z.string().min(1).optional().describe('The model name the job trained (informational)'),
    version: z.string().min(1).optional().describe('The version the job was told (informational)'),
  })
  .loose();

export type ModelDescriptor = z.infer<typeof modelDescriptorSchema>;

/** A descriptor, or the problems of the given one as `field: message; …`. */
export type CheckedDescriptor = { ok: true; value: ModelDescriptor } | { ok: false; error: string };

/** Checks the content of a `model.json`. */
export function checkModelDescriptor(raw: unknown): CheckedDescriptor {
  const parsed = modelDescriptorSchema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(file)'}: ${i.message}`);
  return { ok: false, error: issues.join('; ') };
}

/**
 * The descriptor a legacy `model-settings.json` stands for: its `parameters.uri` (default
 * ./model.joblib) and the names of its `inputs`, served as sklearn.
 */
export function checkLegacyModelSettings(raw: unknown): CheckedDescriptor {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { ok: false, error: '(file): must be a JSON object' };
  const given = raw as Record<string, unknown>;
  const parameters =
    typeof given.parameters === 'object' && given.parameters !== null
      ? (given.parameters as Record<string, unknown>)
      : {};
  if (parameters.uri !== undefined && typeof parameters.uri !== 'string') {
    return { ok: false, error: 'parameters.uri: must be a file name inside the model folder' };
  }
  const file = (parameters.uri ?? 'model.joblib').replace(/^\.\//, '');
  const inputs = Array.isArray(given.inputs)
    ? given.inputs.map((i: unknown) =>
        typeof i === 'object' && i !== null ? { name: (i as { name?: unknown }).name } : i,
      )
    : [];
  const checked = checkModelDescriptor({ format: 'sklearn', file, inputs });
  return checked.ok ? checked : { ok: false, error: checked.error.replace(/^file:/, 'parameters.uri:') };
}
