/**
 * `mlops pipeline apply`'s I/O: the spec files to declare (files, or every *.yaml / *.yml of a
 * folder), the schedules on the cluster, and carrying out a plan.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import type { LoadedConfig } from '../../lib/config';
import { UserError } from '../../common/errors';
import type { BlobStore } from '../../activities/storage/types';
import { InvalidArgumentError } from '../../common/failures';
import { packageSpecCode, type PackagedCode } from '../code-packages';
import { checkPipelineSpec, type SpecIssue } from '../pipeline-spec';
import type { DeclaredPipeline, ExistingSchedule, PlanEntry } from './plan';
import {
  desiredSchedule,
  isManaged,
  pipelineOfSchedule,
  SCHEDULE_ID_PREFIX,
  settingsOf,
  type DesiredSchedule,
} from './settings';

export interface InvalidSpecFile {
  file: string;
  errors: SpecIssue[];
}

export type DeclaredSpecs = { ok: true; declared: DeclaredPipeline[] } | { ok: false; invalid: InvalidSpecFile[] };

/** The spec files of `paths` (a folder: its *.yaml and *.yml files, sorted). */
export function specFilesOf(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      throw new UserError(`${p}: no such file or folder`, 2);
    }
    if (!stat.isDirectory()) {
      files.push(p);
      continue;
    }
    const inDir = fs
      .readdirSync(p)
      .filter((f) => /\.ya?ml$/.test(f) && fs.statSync(path.join(p, f)).isFile())
      .sort()
      .map((f) => path.join(p, f));
    if (inDir.length === 0) throw new UserError(`${p}: no *.yaml or *.yml pipeline specs in this folder`, 2);
    files.push(...inDir);
  }
  return files;
}

/** Checks every spec file; when all are valid, the pipelines they declare and their desired schedules. */
export function declarePipelines(files: readonly string[], config: LoadedConfig): DeclaredSpecs {
  const invalid: InvalidSpecFile[] = [];
  const declared: DeclaredPipeline[] = [];
  for (const file of files) {
    const check = checkPipelineSpec(file, { sourceRoots: config.sourceRoots });
    if (!check.ok) {
      invalid.push({ file, errors: check.errors });
      continue;
    }
    const { spec } = check.loaded;
    const twin = declared.find((d) => d.pipeline === spec.name);
    if (twin) {
      invalid.push({
        file,
        errors: [{ path: 'name', message: `pipeline ${spec.name} is also declared by ${twin.file}` }],
      });
      continue;
    }
    declared.push({
      pipeline: spec.name,
      file: check.loaded.file,
      ...(spec.schedule ? { desired: desiredSchedule(check.loaded, config), loaded: check.loaded } : {}),
    });
  }
  return invalid.length > 0 ? { ok: false, invalid } : { ok: true, declared };
}

/** A packaged code folder of a declared pipeline. */
export type DeclaredPackage = PackagedCode & { pipeline: string };

/**
 * Packages the code of every pipeline that has a schedule (../code-packages.ts), so its desired
 * schedule's spec carries the digests: a scheduled run trains exactly the code applied, and a code
 * change is an update in the plan. `dryRun`: the digests only, nothing uploaded.
 */
export async function packageDeclared(
  store: BlobStore,
  declared: readonly DeclaredPipeline[],
  config: LoadedConfig,
  options: { dryRun?: boolean; onPackage?: (packaged: DeclaredPackage) => void } = {},
): Promise<{ declared: DeclaredPipeline[]; packages: DeclaredPackage[] }> {
  const packages: DeclaredPackage[] = [];
  const out: DeclaredPipeline[] = [];
  for (const d of declared) {
    if (!d.loaded) {
      out.push(d);
      continue;
    }
    const packaged = await packageSpecCode(store, d.loaded.spec, {
      maxBytes: config.codePackageMaxBytes,
      dryRun: options.dryRun,
      onPackage: (p) => {
        const withPipeline = { pipeline: d.pipeline, ...p };
        packages.push(withPipeline);
        options.onPackage?.(withPipeline);
      },
    }).catch((err: unknown) => {
      if (err instanceof InvalidArgumentError) throw new UserError(`${d.file}: ${err.message}`, 2, { cause: err });
      throw err;
    });
    const loaded = { ...d.loaded, spec: packaged.spec };
    out.push({ ...d, loaded, desired: desiredSchedule(loaded, config) });
  }
  return { declared: out, packages };
}

/**
 * The schedules the plan must consider: whatever exists under the ids the declared pipelines want
 * (described directly, so a schedule created a moment ago counts even before the list shows it),
 * and the other schedules this tool made that start runs on `taskQueue`, so deployments sharing a
 * namespace on different task queues (MLOPS_TASK_QUEUE) never prune each other's schedules.
 */
export async function readExistingSchedules(
  client: Client,
  declared: readonly DeclaredPipeline[],
  taskQueue: string,
): Promise<Map<string, ExistingSchedule>> {
  const wanted = new Set(declared.flatMap((d) => (d.desired ? [d.desired.scheduleId] : [])));
  const ids = new Set(wanted);
  for await (const summary of client.schedule.list()) {
    if (summary.scheduleId.startsWith(SCHEDULE_ID_PREFIX) && isManaged(summary.memo)) ids.add(summary.scheduleId);
  }
  const existing = new Map<string, ExistingSchedule>();
  await Promise.all(
    [...ids].map(async (scheduleId) => {
      try {
        const description = await client.schedule.getHandle(scheduleId).describe();
        const managed = isManaged(description.memo);
        if (!wanted.has(scheduleId) && description.action.taskQueue !== taskQueue) return;
        existing.set(scheduleId, {
          scheduleId,
          pipeline: pipelineOfSchedule(scheduleId, description.memo),
          managed,
          settings: managed ? settingsOf(description) : undefined,
        });
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      }
    }),
  );
  return existing;
}

/** Carries out a plan's creates, updates and deletes; a schedule's paused state and note are kept on update. */
export async function applyPlan(
  client: Client,
  plan: readonly PlanEntry[],
  declared: readonly DeclaredPipeline[],
): Promise<void> {
  const desiredById = new Map<string, DesiredSchedule>();
  for (const d of declared) if (d.desired) desiredById.set(d.desired.scheduleId, d.desired);
  for (const entry of plan) {
    const desired = desiredById.get(entry.scheduleId);
    if (entry.action === 'create' && desired) {
      await client.schedule.create(desired.options);
    } else if (entry.action === 'update' && desired) {
      const { spec, action, policies } = desired.options;
      await client.schedule.getHandle(entry.scheduleId).update((previous) => ({
        ...previous,
        spec,
        action,
        policies,
        state: {
          paused: previous.state.paused,
          note: previous.state.note,
          remainingActions: previous.state.remainingActions,
        },
      }));
    } else if (entry.action === 'delete') {
      await client.schedule.getHandle(entry.scheduleId).delete();
    }
  }
}
