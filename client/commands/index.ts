/**
 * Every command, in a file named for it (`mlops deploy` in deploy.ts, `mlops runs …` in runs.ts);
 * each registers itself on the program. A subcommand big enough for a file of its own is named for
 * its whole command (`pipeline-apply.ts`) and registered by its group. Helpers several commands share
 * live in client/, named for what they hold. `mlops --help` lists the commands in this order.
 *
 * The table names each command and its one-line summary without loading it: `mlops --help` and an
 * unknown command need no command module, and `mlops <name> …` loads only that one. A unit test
 * (test/cli/command-table.test.ts) checks that each name and summary is what its module registers.
 */
import type { Command } from 'commander';
import type { CommandContext } from '../context';

export type RegisterCommand = (program: Command, ctx: () => CommandContext) => void;

/** One top-level command: its name, its summary in `mlops --help`, and how to load its module. */
export interface CommandEntry {
  name: string;
  summary: string;
  /** Loads the command's module (only then) and returns its register function. */
  load: () => RegisterCommand;
}

/** Loads `file` (relative to this folder) when first called; the unit test checks every entry loads. */
function lazy(file: string, exported: string): () => RegisterCommand {
  return () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const register = (require(file) as Record<string, unknown>)[exported];
    if (typeof register !== 'function') throw new Error(`${file} exports no function ${exported}`);
    return register as RegisterCommand;
  };
}

export const commands: readonly CommandEntry[] = [
  {
    name: 'demo',
    summary: 'the whole loop on the local stack: train, serve, detect drift, retrain, canary, promote',
    load: lazy('./demo', 'registerDemo'),
  },
  {
    name: 'dev',
    summary: 'the local stack: Temporal dev server, the inference gateway, MinIO for an S3 store, a worker',
    load: lazy('./dev', 'registerDev'),
  },
  {
    name: 'worker',
    summary: 'run a worker: workflows and light activities, training jobs, model-server hosts, or all of them',
    load: lazy('./worker', 'registerWorker'),
  },
  {
    name: 'bundle',
    summary: 'build the workflow bundle once (a worker started with --bundle skips bundling)',
    load: lazy('./bundle', 'registerBundle'),
  },
  {
    name: 'health',
    summary: 'check that workers, the Temporal server and the object store work together',
    load: lazy('./health', 'registerHealth'),
  },
  {
    name: 'doctor',
    summary: 'check the configuration, Temporal, the store, the gateway and the tools, and say what is wrong',
    load: lazy('./doctor', 'registerDoctor'),
  },
  {
    name: 'data',
    summary: 'versioned datasets: snapshots, profiles, diffs',
    load: lazy('./data', 'registerData'),
  },
  {
    name: 'models',
    summary: 'the model registry: versions, lineage, aliases, audit',
    load: lazy('./models', 'registerModels'),
  },
  {
    name: 'experiments',
    summary: 'tracked runs and trials of a pipeline',
    load: lazy('./experiments', 'registerExperiments'),
  },
  {
    name: 'train',
    summary: 'run a training job (a YAML file) on the training backend, tracked as an experiment',
    load: lazy('./train', 'registerTrain'),
  },
  {
    name: 'sweep',
    summary: 'run a hyperparameter sweep (a YAML file): one tracked trial per point of the search space',
    load: lazy('./sweep', 'registerSweep'),
  },
  {
    name: 'trials',
    summary: 'the trials of a training or sweep run, best first by --sort',
    load: lazy('./trials', 'registerTrials'),
  },
  {
    name: 'logs',
    summary:
      "a training run's or sweep trial's (trial/<sweep id>/<k>) job log: the stored log when the job ended, the live tail while it runs",
    load: lazy('./logs', 'registerLogs'),
  },
  {
    name: 'pipeline',
    summary: 'pipeline spec files (YAML in MLOPS_PIPELINES_DIR, default ./pipelines)',
    load: lazy('./pipeline', 'registerPipeline'),
  },
  {
    name: 'schedule',
    summary: 'the retrain schedules made by mlops pipeline apply (retrain/<pipeline>)',
    load: lazy('./schedule', 'registerSchedule'),
  },
  {
    name: 'run',
    summary:
      "run a pipeline: the spec's workflow, else the built-in one (snapshot, train, evaluate against the champion, register, approve)",
    load: lazy('./run', 'registerRun'),
  },
  {
    name: 'status',
    summary: 'the steps of a retrain run, their state and summaries, and its links',
    load: lazy('./status', 'registerStatus'),
  },
  {
    name: 'approve',
    summary: 'approve the candidate of a run that awaits approval',
    load: lazy('./approve', 'registerApprove'),
  },
  {
    name: 'reject',
    summary: 'reject the candidate of a run that awaits approval',
    load: lazy('./reject', 'registerReject'),
  },
  {
    name: 'cancel',
    summary: 'cancel a run: its training jobs stop, partial results are marked, it ends cancelled',
    load: lazy('./cancel', 'registerCancel'),
  },
  {
    name: 'open',
    summary: "open a run's page in the Temporal UI in the browser (and print its URL)",
    load: lazy('./open', 'registerOpen'),
  },
  {
    name: 'report',
    summary: "open a run's HTML report (evaluation, sweep or drift) in the browser, or write it to a file",
    load: lazy('./report', 'registerReport'),
  },
  {
    name: 'deploy',
    summary: 'roll a registered model version out to a serving endpoint, step by step with analysis',
    load: lazy('./deploy', 'registerDeploy'),
  },
  {
    name: 'rollout',
    summary: 'the rollout running on an endpoint',
    load: lazy('./rollout', 'registerRollout'),
  },
  {
    name: 'abtest',
    summary: 'online A/B tests of two model versions on an endpoint',
    load: lazy('./abtest', 'registerAbTest'),
  },
  {
    name: 'monitor',
    summary: 'drift monitors of serving endpoints',
    load: lazy('./monitor', 'registerMonitor'),
  },
  {
    name: 'runs',
    summary: 'find runs by pipeline, stage and status',
    load: lazy('./runs', 'registerRuns'),
  },
  {
    name: 'history',
    summary: "a run's event history",
    load: lazy('./history', 'registerHistory'),
  },
  {
    name: 'endpoints',
    summary: 'serving endpoints: variants, traffic weights, readiness',
    load: lazy('./endpoints', 'registerEndpoints'),
  },
  {
    name: 'predict',
    summary: 'send one inference request to an endpoint through the gateway and print the predictions',
    load: lazy('./predict', 'registerPredict'),
  },
  {
    name: 'gateway',
    summary: 'run the inference gateway (Open Inference Protocol v2) in the foreground',
    load: lazy('./gateway', 'registerGateway'),
  },
  {
    name: 'codec-server',
    summary: 'serve /encode and /decode for the Temporal UI with the payload codec keys (MLOPS_CODEC_KEYS)',
    load: lazy('./codec-server', 'registerCodecServer'),
  },
  {
    name: 'completion',
    summary: 'print a shell completion script (bash, zsh, fish) for mlops',
    load: lazy('./completion', 'registerCompletion'),
  },
];
