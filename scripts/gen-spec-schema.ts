/**
 * Writes docs/pipeline-spec.schema.json, the JSON Schema of pipeline spec files generated from the
 * zod schema (common/schemas/spec.ts), for editor completion and checks (`npm run spec:schema`). A unit test
 * regenerates it in memory and compares, so the committed file cannot go stale.
 */
import fs from 'node:fs';
import path from 'node:path';
import prettier from 'prettier';
import { z } from 'zod';
import { pipelineSpecSchema } from '../common/schemas/spec';

export const PIPELINE_SPEC_SCHEMA_FILE = path.join(__dirname, '..', 'docs', 'pipeline-spec.schema.json');

/**
 * The schema file's text: the input side of the spec (fields with defaults optional), draft-07 for
 * the widest editor support, formatted as the repository's Prettier config says.
 */
export async function pipelineSpecJsonSchema(): Promise<string> {
  const { $schema, ...rest } = z.toJSONSchema(pipelineSpecSchema, { io: 'input', target: 'draft-7' });
  const text = JSON.stringify({ $schema, title: 'temporal-mlops pipeline spec', ...rest }, null, 2);
  const options = await prettier.resolveConfig(PIPELINE_SPEC_SCHEMA_FILE);
  return prettier.format(text, { ...options, filepath: PIPELINE_SPEC_SCHEMA_FILE });
}

async function main(): Promise<void> {
  fs.writeFileSync(PIPELINE_SPEC_SCHEMA_FILE, await pipelineSpecJsonSchema());
  process.stdout.write(`wrote ${path.relative(process.cwd(), PIPELINE_SPEC_SCHEMA_FILE)}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
