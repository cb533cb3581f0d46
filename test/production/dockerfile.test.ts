/**
 * The Dockerfile stays in step with the production build (Docker cannot run here): parsed with dockerfile-ast, it has
 * the deps, build and runtime stages, runs as a non-root user on the Node LTS that scripts/node-lts.ts provisions,
 * installs production dependencies only in the runtime stage, and its command runs a compiled entry point.
 */
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { DockerfileParser, type Copy, type Instruction } from 'dockerfile-ast';
import ts from 'typescript';
import { ENTRY_POINTS } from '../../scripts/build';
import { NODE_LTS_VERSION } from '../../scripts/node-lts';

const root = path.resolve(__dirname, '..', '..');
const dockerfile = DockerfileParser.parse(fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8'));
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

/** The instructions of each stage, by stage name, in order. */
const stages = new Map<string, Instruction[]>();
{
  let current: Instruction[] | undefined;
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      current = [];
      stages.set(
        dockerfile
          .getFROMs()
          .find((f) => f === instruction)
          ?.getBuildStage() ?? '',
        current,
      );
    }
    current?.push(instruction);
  }
}
interface ImportEdge {
  specifier: string;
  /** A project file, or undefined for a package. */
  file?: string;
  /** `import()`: loaded only when that code runs. */
  dynamic: boolean;
}

/** Modules the build emits that run only in development, loaded with `import()` (PGlite when DATABASE_URL is unset). */
const DEVELOPMENT_ONLY = [path.join('db', 'pglite.ts')];

/**
 * Every project source file the build compiles (tsconfig.build.json's roots and the files they import, resolved as
 * tsc resolves them), with its value imports: type-only imports are left out, as tsc erases them. Parsing only,
 * so this takes milliseconds where a whole program would take half a minute.
 */
function buildSources(): Map<string, ImportEdge[]> {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(root, 'tsconfig.build.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  )!;
  const sources = new Map<string, ImportEdge[]>();
  const queue = [...parsed.fileNames];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    const rel = path.relative(root, file);
    if (sources.has(rel)) continue;
    const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const edges: ImportEdge[] = [];
    const add = (specifier: string, dynamic: boolean) => {
      const resolved = ts.resolveModuleName(specifier, file, parsed.options, ts.sys).resolvedModule;
      const local = resolved && !resolved.isExternalLibraryImport ? resolved.resolvedFileName : undefined;
      edges.push({ specifier, dynamic, file: local && path.relative(root, local) });
      if (local) queue.push(local);
    };
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier))
        add(node.moduleSpecifier.text, false);
      else if (
        ts.isExportDeclaration(node) &&
        !node.isTypeOnly &&
        node.moduleSpecifier &&
        ts.isStringLiteral(node.moduleSpecifier)
      )
        add(node.moduleSpecifier.text, false);
      else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0]!)) {
        const callee = node.expression.getText(source);
        if (node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0].text, true);
        else if (callee === 'require' || callee === 'require.resolve') add(node.arguments[0].text, false);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    sources.set(rel, edges);
  }
  return sources;
}

const args = (i: Instruction) => i.getArgumentsContent() ?? '';
const of = (stage: string, keyword: string) => (stages.get(stage) ?? []).filter((i) => i.getKeyword() === keyword);

test('three named stages: deps, build from deps, runtime last', () => {
  expect([...stages.keys()]).toEqual(['deps', 'build', 'runtime']);
  expect(dockerfile.getFROMs().map((f) => f.getImage())).toEqual([
    `node:${NODE_LTS_VERSION}-trixie-slim`,
    'deps',
    `node:${NODE_LTS_VERSION}-trixie-slim`,
  ]);
});

test('base images are the provisioned Node LTS, pinned to an exact version (and a digest when one is given)', () => {
  const external = dockerfile.getFROMs().filter((f) => !stages.has(f.getImage() ?? ''));
  expect(external.length).toBeGreaterThan(0);
  for (const from of external) {
    expect(from.getImageName()).toBe('node');
    expect(from.getImageTag()).toMatch(new RegExp(`^${NODE_LTS_VERSION.replace(/\./g, '\\.')}-`));
    const digest = from.getImageDigest();
    if (digest) expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  }
});

test('the build stage runs make build, the runtime stage installs production dependencies only', () => {
  const buildRuns = of('build', 'RUN').map(args);
  expect(buildRuns).toContain('npm run build');
  expect(pkg.scripts.build).toBe('tsx scripts/build.ts');
  const runtimeRuns = of('runtime', 'RUN').map(args).join('\n');
  expect(runtimeRuns).toMatch(/npm ci .*--omit=dev/);
  expect(runtimeRuns).not.toMatch(/npm run|tsx/);
  const copies = (of('runtime', 'COPY') as Copy[]).map((c) => ({ from: c.getFromFlag()?.getValue(), args: args(c) }));
  expect(copies).toContainEqual({ from: 'build', args: '/app/dist ./dist' });
});

test('the runtime runs as a non-root user, in production mode, listening on all interfaces', () => {
  const users = of('runtime', 'USER').map(args);
  expect(users.length).toBeGreaterThan(0);
  expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
  // The last USER comes before the command, so the command runs as that user.
  const runtime = stages.get('runtime')!;
  const lastUser = runtime.lastIndexOf(of('runtime', 'USER').at(-1)!);
  expect(runtime.findIndex((i) => i.getKeyword() === 'CMD')).toBeGreaterThan(lastUser);
  const env = of('runtime', 'ENV').map(args).join(' ');
  expect(env).toMatch(/NODE_ENV=production/);
  expect(env).toMatch(/HOST=0\.0\.0\.0/);
});

test('the default command runs the compiled API with plain node (exec form, so SIGTERM reaches it)', () => {
  const cmds = of('runtime', 'CMD');
  expect(cmds).toHaveLength(1);
  const command = JSON.parse(args(cmds[0]!)) as string[];
  expect(command).toEqual(['node', path.posix.join('dist', ENTRY_POINTS.api)]);
  expect(of('runtime', 'ENTRYPOINT')).toEqual([]);
});

test('.dockerignore keeps local state and build output out, and nothing the build compiles or reads', () => {
  const ignored = fs
    .readFileSync(path.join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.data', '.tools', 'dist', '.git']));
  const compiled = [...buildSources().keys()];
  expect(compiled).toEqual(expect.arrayContaining([path.join('api', 'main.ts'), path.join('workers', 'main.ts')]));
  const needed = [
    ...compiled,
    'package.json',
    'package-lock.json',
    '.npmrc',
    'tsconfig.json',
    'tsconfig.build.json',
    path.join('db', 'migrations'),
  ];
  const excluded = needed.filter((file) => ignored.includes(file.split(path.sep)[0]!));
  expect(excluded).toEqual([]);
});

test('code the image runs imports only production dependencies; development-only modules load with import()', () => {
  const full = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const sources = buildSources();
  const missing: string[] = [];
  const staticDevImports: string[] = [];
  for (const [file, edges] of sources) {
    if (DEVELOPMENT_ONLY.includes(file)) continue;
    for (const edge of edges) {
      if (edge.file) {
        if (DEVELOPMENT_ONLY.includes(edge.file) && !edge.dynamic) staticDevImports.push(`${file}: ${edge.specifier}`);
        continue;
      }
      const spec = edge.specifier;
      if (spec.startsWith('node:') || builtinModules.includes(spec)) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
      if (!(name in full.dependencies)) missing.push(`${file}: ${spec}`);
    }
  }
  expect({ missing, staticDevImports }).toEqual({ missing: [], staticDevImports: [] });
  // The walk saw the real thing: the entry points, and PGlite behind its dynamic import.
  expect([...sources.keys()]).toEqual(
    expect.arrayContaining([path.join('api', 'main.ts'), path.join('workers', 'main.ts'), ...DEVELOPMENT_ONLY]),
  );
  expect(sources.get(DEVELOPMENT_ONLY[0]!)!.map((e) => e.specifier)).toContain('@electric-sql/pglite');
});
