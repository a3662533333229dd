// ESLint flat config. The override on workflows/** mirrors the Temporal workflow sandbox:
// workflow code may import only @temporalio/workflow, common/ and *types* of activities.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importPlugin from 'eslint-plugin-import';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.filter((m) => !['assert', 'url', 'util'].includes(m));

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
  {
    files: ['workflows/**/*.ts', 'bench/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.flatMap((name) => [
              { name, message: 'Workflow code runs in the Temporal sandbox: no Node built-ins.' },
              { name: `node:${name}`, message: 'Workflow code runs in the Temporal sandbox: no Node built-ins.' },
            ]),
            { name: '@temporalio/activity', message: 'Workflows call activities through proxyActivities.' },
            { name: '@temporalio/client', message: 'Workflows may not use the client.' },
            { name: '@temporalio/worker', message: 'Workflows may not use the worker.' },
          ],
          patterns: [
            {
              group: ['**/activities', '**/activities/**'],
              allowTypeImports: true,
              message: 'Import activities as types only: `import type * as acts from ...`.',
            },
            { group: ['**/worker/**', '**/client/**'], message: 'Workflows may not import worker or client code.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'No process in workflow code.' }],
    },
  },
);
