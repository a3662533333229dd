/**
 * `.mlops/stack.json`: what `mlops dev up` started (pids, ports, URLs). `mlops dev status|down`
 * read it, and the config falls back to it so a worker or CLI finds the local stack unaided.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const pieceSchema = z.object({
  pid: z.number().int(),
  startedAt: z.string(),
  logFile: z.string(),
  /** The argv it was started with: with the pid, how `mlops dev` recognises its own process. */
  command: z.array(z.string()).optional(),
});

export const stackFileSchema = z.object({
  temporal: pieceSchema
    .extend({
      address: z.string(),
      namespace: z.string(),
      uiUrl: z.string(),
      dbFile: z.string(),
    })
    .optional(),
  minio: pieceSchema
    .extend({
      endpoint: z.string(),
      consoleUrl: z.string(),
      dataDir: z.string(),
      bucket: z.string(),
      accessKeyId: z.string(),
    })
    .optional(),
  /** The inference gateway: public OIP v2 URL, loopback admin URL, and where its admin token is kept. */
  gateway: pieceSchema
    .extend({
      url: z.string(),
      adminUrl: z.string(),
      tokenFile: z.string(),
    })
    .optional(),
  /** A worker polling the project's task queues (`mlops dev up --worker`). */
  worker: pieceSchema.optional(),
});

export type StackFile = z.infer<typeof stackFileSchema>;

export function stackFilePath(home: string): string {
  return path.join(home, 'stack.json');
}

/** Reads the stack file; an absent or unreadable file is an empty stack. */
export function readStackFile(home: string): StackFile {
  let text: string;
  try {
    text = fs.readFileSync(stackFilePath(home), 'utf8');
  } catch {
    return {};
  }
  try {
    const parsed = stackFileSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/** Writes the stack file atomically (write then rename). */
export function writeStackFile(home: string, stack: StackFile): void {
  fs.mkdirSync(home, { recursive: true });
  const file = stackFilePath(home);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(stack, null, 2) + '\n');
  fs.renameSync(tmp, file);
}
