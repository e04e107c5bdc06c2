// The package as a consumer installs it: built to a scratch node_modules/nestjs-sse-endpoint
// (package.json + dist, no ioredis anywhere on its resolution path), then loaded with require()
// and import(), and type-checked with skipLibCheck: false in CommonJS and ESM projects.
import { execFile } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve('.');
const tsc = join(root, 'node_modules/typescript/bin/tsc');

let scratch: string;
let dist: string;

/** Links a dev dependency of ours into the scratch node_modules. */
function link(into: string, name: string): void {
  mkdirSync(join(into, 'node_modules', name, '..'), { recursive: true });
  symlinkSync(join(root, 'node_modules', name), join(into, 'node_modules', name), 'dir');
}

function declarations(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.d.ts'))
    .map((file) => join(dir, file));
}

/** A Nest 12 `nest new` tsconfig (module nodenext). */
function writeTsconfig(dir: string, overrides: Record<string, unknown> = {}): void {
  const compilerOptions = {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'ES2023',
    strict: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    esModuleInterop: true,
    isolatedModules: true,
    types: ['node'],
    skipLibCheck: true,
    noEmit: true,
    ...overrides,
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['*.ts'] }));
}

async function typeCheck(dir: string): Promise<string> {
  try {
    await run(process.execPath, [tsc, '-p', dir]);
    return '';
  } catch (error) {
    return (error as { stdout: string }).stdout || String(error);
  }
}

const CONSUMER = `
import { Module } from '@nestjs/common';
import { SseEndpoint, SseModule, type SseConnection, type SseModuleOptions } from 'nestjs-sse-endpoint';

@SseEndpoint('/ticks')
export class TicksEndpoint {
  async onConnect(sse: SseConnection) {
    await sse.sendEvent({ event: 'tick', data: 1 });
  }
}

const redis: SseModuleOptions = {
  transport: { type: 'redis', url: 'redis://127.0.0.1:6379', options: { db: 1, lazyConnect: true } },
};

@Module({ imports: [SseModule.forRoot(redis)], providers: [TicksEndpoint] })
export class AppModule {}
`;

// The testing entry, as a test file of the app imports it.
const TEST_CONSUMER = `
import type { INestApplication } from '@nestjs/common';
import { connectSse, type ReceivedSseEvent } from 'nestjs-sse-endpoint/testing';

export async function firstEvent(app: INestApplication): Promise<ReceivedSseEvent> {
  const stream = await connectSse(app, '/ticks', { method: 'POST', body: { a: 1 } });
  try {
    return await stream.next({ timeout: 1000 });
  } finally {
    stream.close();
  }
}
`;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'sse-package-'));
  const pkg = join(scratch, 'node_modules/nestjs-sse-endpoint');
  dist = join(pkg, 'dist');
  await run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', dist]);
  cpSync('package.json', join(pkg, 'package.json'));
  for (const name of [
    '@nestjs/common',
    '@nestjs/core',
    'reflect-metadata',
    'rxjs',
    '@types/node',
    'eventsource-parser', // a dependency: installed beside the package
  ])
    link(scratch, name);
  for (const [dir, type] of [
    ['cjs', undefined],
    ['esm', 'module'],
    ['node10', undefined],
    ['ioredis', 'module'],
  ] as const) {
    mkdirSync(join(scratch, dir));
    writeFileSync(join(scratch, dir, 'package.json'), JSON.stringify({ type }));
    writeFileSync(join(scratch, dir, 'app.ts'), CONSUMER);
    writeFileSync(join(scratch, dir, 'app.spec.ts'), TEST_CONSUMER);
  }
  writeTsconfig(join(scratch, 'cjs'), { skipLibCheck: false });
  writeTsconfig(join(scratch, 'esm'));
  // Nest 10's template and older apps: module commonjs, node10 resolution (no `exports`).
  writeTsconfig(join(scratch, 'node10'), {
    module: 'commonjs',
    moduleResolution: 'node10',
    ignoreDeprecations: '6.0',
  });
  // Where ioredis is installed, its client and options are what the transport accepts.
  link(join(scratch, 'ioredis'), 'ioredis');
  writeTsconfig(join(scratch, 'ioredis'));
  writeFileSync(
    join(scratch, 'ioredis', 'client.ts'),
    `import { Redis, type RedisOptions } from 'ioredis';
import { createBroadcaster } from 'nestjs-sse-endpoint';
const options: RedisOptions = { host: '127.0.0.1', port: 6379, lazyConnect: true };
const client = new Redis(options);
export const fromClient = createBroadcaster({ transport: { type: 'redis', client } });
export const fromOptions = createBroadcaster({ transport: { type: 'redis', options } });
`,
  );
}, 60_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('no emitted declaration imports ioredis (an optional peer dependency)', () => {
  const offenders = declarations(dist).filter((file) =>
    /from ['"]ioredis['"]|import\(['"]ioredis['"]\)/.test(readFileSync(file, 'utf8')),
  );
  expect(offenders).toEqual([]);
});

test('@internal members are stripped from the declarations', () => {
  const connection = readFileSync(join(dist, 'connection/sse-connection.d.ts'), 'utf8');
  expect(connection).toContain('sendEvent(');
  for (const member of ['deliver(', 'terminate(', 'open(', 'takeReplayRequest(', 'flushTick('])
    expect(connection).not.toContain(member);
});

test('a CommonJS app require()s the package, without an ExperimentalWarning', async () => {
  const { stdout, stderr } = await run(
    process.execPath,
    ['-e', "const m = require('nestjs-sse-endpoint'); console.log(typeof m.SseModule.forRoot)"],
    { cwd: join(scratch, 'cjs') },
  );
  expect(stdout.trim()).toBe('function');
  expect(stderr).toBe('');
});

test('a CommonJS app require()s the testing entry, without an ExperimentalWarning', async () => {
  const { stdout, stderr } = await run(
    process.execPath,
    ['-e', "const t = require('nestjs-sse-endpoint/testing'); console.log(typeof t.connectSse)"],
    { cwd: join(scratch, 'cjs') },
  );
  expect(stdout.trim()).toBe('function');
  expect(stderr).toBe('');
});

test('an ES module app imports the testing entry', async () => {
  const { stdout } = await run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "const t = await import('nestjs-sse-endpoint/testing'); console.log(typeof t.connectSse)",
    ],
    { cwd: join(scratch, 'esm') },
  );
  expect(stdout.trim()).toBe('function');
});

test('only the testing entry imports eventsource-parser', () => {
  const importers = readdirSync(dist, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.js'))
    .filter((file) => readFileSync(join(dist, file), 'utf8').includes('eventsource-parser'));
  expect(importers).toEqual([join('testing', 'sse-test-stream.js')]);
});

test('an ES module app imports the package', async () => {
  const { stdout } = await run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "const m = await import('nestjs-sse-endpoint'); console.log(typeof m.SseModule.forRoot)",
    ],
    { cwd: join(scratch, 'esm') },
  );
  expect(stdout.trim()).toBe('function');
});

// skipLibCheck: false makes tsc check every declaration file, @types/node and Nest's too (slow
// on a busy machine): done once here, for a CommonJS app; test:consumers does the whole matrix.
test('a CommonJS app without ioredis type-checks with skipLibCheck: false', async () => {
  expect(await typeCheck(join(scratch, 'cjs'))).toBe('');
}, 90_000);

test.each(['esm', 'node10'])(
  'an app type-checks against the package (%s)',
  async (dir) => {
    expect(await typeCheck(join(scratch, dir))).toBe('');
  },
  60_000,
);

test('an ioredis client and RedisOptions are accepted by the Redis transport options', async () => {
  expect(await typeCheck(join(scratch, 'ioredis'))).toBe('');
}, 60_000);
