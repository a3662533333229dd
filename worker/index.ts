/** The worker process: see ./run.ts. `mlops worker` (client/commands/worker.ts) is its entry point. */
export * from './run';
