/**
 * Every command, in a file named for it (`mlops deploy` in deploy.ts, `mlops runs …` in runs.ts);
 * each registers itself on the program. A subcommand big enough for a file of its own is named for
 * its whole command (`pipeline-apply.ts`) and registered by its group. Helpers several commands share
 * live in client/, named for what they hold. `mlops --help` lists the commands in this order.
 */
import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { registerAbTest } from './abtest';
import { registerApprove } from './approve';
import { registerBundle } from './bundle';
import { registerCancel } from './cancel';
import { registerCodecServer } from './codec-server';
import { registerData } from './data';
import { registerDemo } from './demo';
import { registerDeploy } from './deploy';
import { registerDev } from './dev';
import { registerDoctor } from './doctor';
import { registerEndpoints } from './endpoints';
import { registerExperiments } from './experiments';
import { registerGateway } from './gateway';
import { registerHealth } from './health';
import { registerHistory } from './history';
import { registerLogs } from './logs';
import { registerModels } from './models';
import { registerMonitor } from './monitor';
import { registerOpen } from './open';
import { registerPipeline } from './pipeline';
import { registerPredict } from './predict';
import { registerReject } from './reject';
import { registerReport } from './report';
import { registerRollout } from './rollout';
import { registerRun } from './run';
import { registerRuns } from './runs';
import { registerSchedule } from './schedule';
import { registerStatus } from './status';
import { registerSweep } from './sweep';
import { registerTrain } from './train';
import { registerTrials } from './trials';
import { registerWorker } from './worker';

export type RegisterCommand = (program: Command, ctx: () => CommandContext) => void;

export const commands: RegisterCommand[] = [
  registerDemo,
  registerDev,
  registerWorker,
  registerBundle,
  registerHealth,
  registerDoctor,
  registerData,
  registerModels,
  registerExperiments,
  registerTrain,
  registerSweep,
  registerTrials,
  registerLogs,
  registerPipeline,
  registerSchedule,
  registerRun,
  registerStatus,
  registerApprove,
  registerReject,
  registerCancel,
  registerOpen,
  registerReport,
  registerDeploy,
  registerRollout,
  registerAbTest,
  registerMonitor,
  registerRuns,
  registerHistory,
  registerEndpoints,
  registerPredict,
  registerGateway,
  registerCodecServer,
];
