// Lint: type-aware rules everywhere, and workflow code kept deterministic (no Node built-ins, no I/O clients).
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

const forbiddenInWorkflows = [
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
  'pg',
  'postgres',
  'drizzle-orm',
  'drizzle-orm/*',
  '@electric-sql/pglite',
  'nodemailer',
  'smtp-server',
  'pino',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  'hono',
  '@hono/*',
];

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', '.tools/', 'dist/', 'coverage/', 'db/migrations/', '**/*.js', '*.mjs'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: forbiddenInWorkflows
            .filter((p) => !p.includes('*'))
            .map((name) => ({
              name,
              message: 'Workflow code must be deterministic: no Node built-ins or I/O clients (use activities).',
            })),
          patterns: [
            {
              group: forbiddenInWorkflows.filter((p) => p.includes('*')),
              message: 'No I/O libraries in workflow code.',
            },
            {
              group: ['../activities/*', '../activities'],
              importNamePattern: '^(?!type )',
              allowTypeImports: true,
              message: 'Workflows import activity types only (import type).',
            },
          ],
        },
      ],
    },
  },
);
