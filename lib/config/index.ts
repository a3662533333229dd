/** Configuration: the schema (pure) and the loader (reads the environment and the dev stack file). */
export * from './schema';
export * from './load';
export * from './stack-file';
export * from './project';
