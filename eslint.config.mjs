// Lint: type-aware rules everywhere, workflow code kept deterministic (no Node built-ins, no I/O clients), and imports
// kept to one direction: api -> workflows/activities -> db, each of them -> contract; bench and test on top.
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

/** An import of one of the project's top-level folders, by a relative path from anywhere in the tree. */
const intoFolder = (folder) => `^(\\.\\./)+${folder}(/|$)`;

/** no-restricted-imports patterns: importing any of `folders` from here runs against the direction. */
const notInto = (folders, why) => folders.map((folder) => ({ regex: intoFolder(folder), message: why }));

const layering = [
  {
    files: ['api/**/*.ts'],
    patterns: notInto(
      ['activities', 'workers'],
      'api/ starts, signals and queries workflows; shared names live in contract/, shared SQL in db/.',
    ),
  },
  {
    files: ['activities/**/*.ts'],
    patterns: notInto(
      ['api', 'workers', 'workflows', 'bench', 'test'],
      'activities/ may use db/, lib/ and contract/ only; shared names live in contract/.',
    ),
  },
  {
    files: ['db/**/*.ts'],
    patterns: notInto(
      ['api', 'activities', 'workflows', 'workers', 'bench', 'test'],
      'db/ is the bottom layer: it may use contract/ only.',
    ),
  },
  {
    files: ['lib/**/*.ts'],
    patterns: notInto(
      ['api', 'activities', 'workflows', 'workers', 'bench', 'test'],
      'lib/ (config, logging, entry points) sits beside db/ at the bottom: it may use contract/ and db/ only.',
    ),
  },
  {
    files: ['bench/**/*.ts'],
    patterns: notInto(['test'], 'bench/ must not depend on tests; move what both need to db/ or lib/.'),
  },
  {
    files: ['contract/**/*.ts'],
    patterns: [
      { regex: '^\\.\\./', message: 'contract/ is imported by everything, so it imports nothing of the project.' },
      { regex: '^[^.]', message: 'contract/ is pure values and types, safe in the workflow sandbox: no packages.' },
    ],
  },
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
            ...notInto(
              ['api', 'workers', 'db', 'lib', 'bench', 'test'],
              'Workflows orchestrate through activities; shared names live in contract/.',
            ),
          ],
        },
      ],
    },
  },
  ...layering.map(({ files, patterns }) => ({
    files,
    rules: { 'no-restricted-imports': ['error', { patterns }] },
  })),
);
