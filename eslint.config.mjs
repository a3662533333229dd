// ESLint flat config. The layers of docs/architecture.md are enforced here, one override per layer:
//   workflows/  -> common/ (values, except the zod schemas of common/schemas/), types of activities/
//   common/     -> common/ only: pure and sandbox-safe, no Node built-ins; zod only in common/schemas/
//   lib/        -> common/: Node-only code shared by several processes
//   activities/ -> common/, lib/
//   worker/, gateway/, codec-server/ (processes) -> activities/, common/, lib/
//   client/     -> all of the above, and the processes `mlops` starts (worker, gateway, codec server)
//   examples/   -> what the client may import: an example's code (e.g. churn's demo) runs from the CLI
// Nothing that runs in production imports infra/ (it deploys or installs things) or test/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importPlugin from 'eslint-plugin-import';
import { builtinModules } from 'node:module';

const sandboxBuiltins = builtinModules.filter((m) => !['assert', 'url', 'util'].includes(m));
const noBuiltins = (names, message) =>
  names.flatMap((name) => [
    { name, message },
    { name: `node:${name}`, message },
  ]);

/** A relative import that reaches the top-level folder `folder`, e.g. `../../infra/dev/x`. */
const reaches = (folder, message) => ({ regex: `^(\\.\\./)+${folder}(/|$)`, message });

const notInfra = reaches('infra', 'infra/ deploys or installs things: code that runs may not import it.');
const notTest = reaches('test', 'Code that runs may not import the tests or their fakes.');
const notWorkflows = reaches('workflows', 'Only the client and the worker import workflow code.');
const notClient = reaches('client', 'client/ is the CLI: other layers may not import it.');
const notProcess = (folder) =>
  reaches(folder, `${folder}/ is a process of its own: share code through lib/ or activities/.`);
const notActivities = (layer) => reaches('activities', `${layer} may not import activities/.`);
const notLib = (layer) => reaches('lib', `lib/ is Node-only: ${layer} may not import it.`);
const processes = ['worker', 'gateway', 'codec-server'];

/** The `no-restricted-imports` rule of one layer, with what every layer forbids. */
function layer(files, { paths = [], patterns = [] }, rules = {}) {
  return {
    files,
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { paths, patterns: [...patterns, notInfra, notTest] }],
      ...rules,
    },
  };
}

const zodOnlyInSchemas = {
  name: 'zod',
  message: 'zod is for common/schemas/: workflows import common/, and every new run evaluates its bundle.',
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', '.venv/', '.mlops/', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { import: importPlugin },
    settings: { 'import/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import/no-cycle': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  // workflows/: the Temporal sandbox
  layer(
    // an example's workflows.ts is a pipeline written in TypeScript, bundled as workflow code
    ['workflows/**/*.ts', 'bench/workflows/**/*.ts', 'examples/*/workflows.ts', 'test/fixtures/pipelines/**/*.ts'],
    {
      paths: [
        ...noBuiltins(sandboxBuiltins, 'Workflow code runs in the Temporal sandbox: no Node built-ins.'),
        { name: '@temporalio/activity', message: 'Workflows call activities through proxyActivities.' },
        { name: '@temporalio/client', message: 'Workflows may not use the client.' },
        { name: '@temporalio/worker', message: 'Workflows may not use the worker.' },
        zodOnlyInSchemas,
      ],
      patterns: [
        {
          group: ['**/activities', '**/activities/**'],
          allowTypeImports: true,
          message: 'Import activities as types only: `import type * as acts from ...`.',
        },
        {
          group: ['**/schemas/**'],
          allowTypeImports: true,
          message: 'common/schemas/ holds the zod schemas: workflow code imports their types only.',
        },
        { group: ['**/worker/**', '**/client/**'], message: 'Workflows may not import worker or client code.' },
        notLib('workflow code'),
        ...processes.map(notProcess),
      ],
    },
    { 'no-restricted-globals': ['error', { name: 'process', message: 'No process in workflow code.' }] },
  ),
  // common/: pure and sandbox-safe (workflows import it)
  layer(['common/**/*.ts'], {
    paths: [
      ...noBuiltins(builtinModules, 'common/ is pure and sandbox-safe: Node-only code goes to lib/.'),
      { name: '@temporalio/activity', message: 'common/ is shared with workflows.' },
      { name: '@temporalio/client', message: 'common/ is shared with workflows.' },
      { name: '@temporalio/worker', message: 'common/ is shared with workflows.' },
    ],
    patterns: [notActivities('common/'), notLib('common/'), notWorkflows, notClient, ...processes.map(notProcess)],
  }),
  layer(['common/*.ts', 'common/failures/**/*.ts'], {
    paths: [
      ...noBuiltins(builtinModules, 'common/ is pure and sandbox-safe: Node-only code goes to lib/.'),
      zodOnlyInSchemas,
    ],
    patterns: [notActivities('common/'), notLib('common/'), notWorkflows, notClient, ...processes.map(notProcess)],
  }),
  // lib/: Node-only code shared by several processes
  layer(['lib/**/*.ts'], {
    patterns: [notActivities('lib/'), notWorkflows, notClient, ...processes.map(notProcess)],
  }),
  // activities/: all I/O of workflows
  layer(['activities/**/*.ts'], { patterns: [notWorkflows, notClient, ...processes.map(notProcess)] }),
  // the processes other than the CLI
  ...processes.map((p) =>
    layer([`${p}/**/*.ts`], {
      patterns: [
        notClient,
        ...processes.filter((o) => o !== p).map(notProcess),
        ...(p === 'worker' ? [] : [notWorkflows]),
      ],
    }),
  ),
  // client/: the CLI, which starts the other processes
  layer(['client/**/*.ts'], { patterns: [] }),
  // examples/: an example's own code (churn's demo scenario), which the CLI runs
  { ...layer(['examples/**/*.ts'], { patterns: [] }), ignores: ['examples/*/workflows.ts'] },
);
