/**
 * `npm run bench`: runs every benchmark, each case side by side with its anchor in one run, and
 * rewrites docs/benchmarks.md with the results and the machine they came from.
 * `tsx bench/run.ts <section>…` (e.g. `gateway`) runs only those sections and prints them,
 * leaving docs/benchmarks.md as it is.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as prettier from 'prettier';
import { CLI_BENCH_NOTES, runCliBench } from './cli.bench';
import { DRIFT_BENCH_NOTES, runDriftBench } from './drift.bench';
import { GATEWAY_BENCH_NOTES, runGatewayBench } from './gateway.bench';
import { rate, type Measurement } from './measure';
import { orchestrationNotes, runOrchestrationBench } from './orchestration.bench';
import { pipelineNotes, runPipelineBench } from './pipeline.bench';
import { ROLLBACK_BENCH_NOTES, runRollbackBench } from './rollback.bench';
import { runScaleBench, SCALE_BENCH_NOTES } from './scale.bench';
import { runSnapshotBench, SNAPSHOT_BENCH_NOTES } from './snapshot.bench';
import { runStoreBench, type Comparison } from './store.bench';
import { runSweepBench, SWEEP_BENCH_NOTES } from './sweep.bench';
import { runUploadBench, uploadNotes } from './upload.bench';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** A benchmark section of docs/benchmarks.md, in page order; `name` picks it on the command line. */
interface SectionSpec {
  name: string;
  title: string;
  source: string;
  /** Static, or rendered after the run (to show what it measured). */
  notes: string | (() => string);
  run: () => Promise<Row[]>;
}

const SECTIONS: SectionSpec[] = [
  {
    name: 'cli',
    title: 'CLI start-up',
    source: 'bench/cli.bench.ts',
    notes: CLI_BENCH_NOTES,
    run: runCliBench,
  },
  {
    name: 'snapshot',
    title: 'Dataset snapshots',
    source: 'bench/snapshot.bench.ts',
    notes: SNAPSHOT_BENCH_NOTES,
    run: runSnapshotBench,
  },
  {
    name: 'scale',
    title: 'Datasets at scale',
    source: 'bench/scale.bench.ts',
    notes: SCALE_BENCH_NOTES,
    run: runScaleBench,
  },
  {
    name: 'sweep',
    title: 'Hyperparameter sweeps',
    source: 'bench/sweep.bench.ts',
    notes: SWEEP_BENCH_NOTES,
    run: runSweepBench,
  },
  {
    name: 'gateway',
    title: 'Inference gateway overhead',
    source: 'bench/gateway.bench.ts',
    notes: GATEWAY_BENCH_NOTES,
    run: runGatewayBench,
  },
  {
    name: 'rollback',
    title: 'Rollback reaction',
    source: 'bench/rollback.bench.ts',
    notes: ROLLBACK_BENCH_NOTES,
    run: runRollbackBench,
  },
  {
    name: 'drift',
    title: 'Drift statistics',
    source: 'bench/drift.bench.ts',
    notes: DRIFT_BENCH_NOTES,
    run: runDriftBench,
  },
  {
    name: 'orchestration',
    title: 'Orchestration overhead and load',
    source: 'bench/orchestration.bench.ts',
    notes: orchestrationNotes,
    run: runOrchestrationBench,
  },
  {
    name: 'pipeline',
    title: 'A lean pipeline',
    source: 'bench/pipeline.bench.ts',
    notes: pipelineNotes,
    run: runPipelineBench,
  },
  {
    name: 'upload',
    title: 'Runs that travel: code and data uploads',
    source: 'bench/upload.bench.ts',
    notes: uploadNotes,
    run: runUploadBench,
  },
  {
    name: 'store',
    title: 'Object store',
    source: 'bench/store.bench.ts',
    notes:
      'The filesystem store makes every write durable and atomic (temp file, fsync, rename) and keeps a ' +
      'content etag record under a per-key lock, so it is compared with a plain and with a durable raw write. ' +
      'The S3 store adds key checks and a streamed multipart upload (memory bounded by a few parts) to the SDK calls.',
    run: runStoreBench,
  },
];

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !SECTIONS.some((s) => s.name === n));
  if (unknown.length > 0) {
    throw new Error(`unknown bench section ${unknown.join(', ')}: pick from ${SECTIONS.map((s) => s.name).join(', ')}`);
  }
  const chosen = names.length === 0 ? SECTIONS : SECTIONS.filter((s) => names.includes(s.name));
  const sections: Section[] = [];
  for (const spec of chosen) {
    const rows = await spec.run();
    sections.push({ ...spec, rows, notes: typeof spec.notes === 'function' ? spec.notes() : spec.notes });
  }
  const doc = render(sections);
  if (names.length === 0) {
    const file = path.join(__dirname, '..', 'docs', 'benchmarks.md');
    // formatted as the repository's other Markdown, so `npm run format:check` stays green
    const options = (await prettier.resolveConfig(file)) ?? {};
    fs.writeFileSync(file, await prettier.format(doc, { ...options, filepath: file }));
  }
  process.stdout.write(doc);
}

/** A row of a section; rows with a `target` (bench/snapshot.bench.ts) get target and detail columns. */
type Row = Comparison & { target?: string; met?: boolean; detail?: string };

type Section = { title: string; source: string; rows: Row[]; notes: string };

function render(sections: Section[]): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    '# Benchmarks',
    '',
    'Each case runs side by side with its anchor in the same run; times are medians of several',
    'repetitions after a warm-up. Reproduce with:',
    '',
    '```sh',
    'npm run setup && npm run bench   # bench also installs its anchors (bench/requirements.txt: dvc, evidently)',
    '```',
    '',
    `Last run: ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${cpu}, ` +
      `${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}.`,
  ];
  for (const section of sections) {
    const targets = section.rows.some((r) => r.target !== undefined);
    lines.push('', `## ${section.title}`, '', `Source: \`${section.source}\`. ${section.notes}`, '');
    lines.push(
      `| scenario | ours | anchor | ours / anchor time |${targets ? ' target | met | notes |' : ''}`,
      `|---|---|---|---|${targets ? '---|---|---|' : ''}`,
    );
    for (const r of section.rows) {
      const extra = targets
        ? ` ${r.target ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'no'} | ${r.detail ?? ''} |`
        : '';
      lines.push(
        `| ${r.scenario} | ${cell(r.ours)} | ${cell(r.anchor)} | ${(r.ours.ms / r.anchor.ms).toFixed(2)} |` + extra,
      );
    }
  }
  return lines.join('\n') + '\n';
}

function cell(m: Measurement): string {
  return m.latency ? `${m.name}: ${m.ms.toFixed(2)} ms` : `${m.name}: ${m.ms.toFixed(0)} ms (${rate(m)})`;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
