/** A small reader of the repository's Dockerfile for the infra tests: stages and their instructions. */
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../lib/tools';

export interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  args: string;
}

export interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

export const DOCKERFILE = path.join(REPO_ROOT, 'Dockerfile');

/** The Dockerfile's stages in order, with `ARG` defaults substituted into each `FROM`. */
export function readDockerfile(file = DOCKERFILE): Stage[] {
  const logical = fs
    .readFileSync(file, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === 'ARG' && stages.length === 0) {
      const [name, value = ''] = rest.split('=');
      args[name!] = value;
    } else if (upper === 'FROM') {
      const [image = '', as, name] = rest.replace(/\$\{(\w+)\}/g, (_, v: string) => args[v] ?? '').split(/\s+/);
      stages.push({
        name: as?.toUpperCase() === 'AS' && name ? name : String(stages.length),
        base: image,
        instructions: [],
      });
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`${file}: ${keyword} before the first FROM`);
      stage.instructions.push({ keyword: upper, args: rest.replace(/\s+/g, ' ') });
    }
  }
  return stages;
}

/** The instructions of one kind in a stage. */
export function instructions(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

/** An exec-form (JSON array) ENTRYPOINT / CMD / HEALTHCHECK CMD as its words. */
export function execForm(args: string): string[] {
  const words: unknown = JSON.parse(args);
  if (!Array.isArray(words) || !words.every((w) => typeof w === 'string')) throw new Error(`not exec form: ${args}`);
  return words as string[];
}

/** The value after `flag` in a list of words, if any. */
export function flagValue(words: readonly string[], flag: string): string | undefined {
  const at = words.indexOf(flag);
  return at < 0 ? undefined : words[at + 1];
}
