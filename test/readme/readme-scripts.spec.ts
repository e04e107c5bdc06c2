import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const scratch = mkdtempSync(join(tmpdir(), 'readme-scripts-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let cases = 0;
/** A README of the given lines, in a folder of its own. */
function writeReadme(lines: string[]): string {
  const dir = join(scratch, `case-${++cases}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'README.md'), lines.join('\n'));
  return join(dir, 'README.md');
}

/** Runs a script of scripts/ as CI does. */
function node(script: string, args: string[]) {
  return spawnSync(process.execPath, [`scripts/${script}`, ...args], { encoding: 'utf8' });
}

function extract(lines: string[], outDir?: string) {
  const readme = writeReadme(lines);
  const out = outDir ?? join(dirname(readme), 'out');
  return { ...node('readme-snippets.mjs', [out, readme]), out };
}

const checkLinks = (lines: string[]) => node('readme-links.mjs', [writeReadme(lines)]);

describe('scripts/readme-snippets.mjs', () => {
  it('writes marked blocks to their group, unmarked ones to blocks/, and leaves skipped ones out', () => {
    const { status, out, stderr } = extract([
      '# Title',
      '<!-- readme-check: file=demo/a.module.ts -->',
      '',
      '```ts',
      "export const a = 'a';",
      '```',
      '',
      '```ts',
      'const alone = 1;',
      '```',
      '',
      '- in a list:',
      '',
      '  <!-- readme-check: file=demo/b.ts -->',
      '',
      '  ```ts',
      "  import { a } from './a.module.js';",
      '  ```',
      '',
      '<!-- readme-check: skip -->',
      '',
      '```ts',
      '{ partial: true }',
      '```',
      '',
      '````md',
      '```ts',
      'not extracted: inside a longer fence',
      '```',
      '````',
      '',
      '```bash',
      'echo not checked',
      '```',
      '',
      '```typescript',
      'const second = 2;',
      '```',
    ]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['.readme-snippets', 'blocks', 'demo']);
    expect(readdirSync(join(out, 'demo')).sort()).toEqual(['a.module.ts', 'b.ts']);
    expect(readdirSync(join(out, 'blocks')).sort()).toEqual(['block-01.ts', 'block-02.ts']);
    expect(readFileSync(join(out, 'demo', 'a.module.ts'), 'utf8')).toBe(
      "// README.md line 4: the fence; line n here is README line 4 + n - 1.\nexport const a = 'a';\n",
    );
    expect(readFileSync(join(out, 'demo', 'b.ts'), 'utf8')).toContain(
      "\nimport { a } from './a.module.js';\n",
    );
    expect(readFileSync(join(out, 'blocks', 'block-02.ts'), 'utf8')).toContain('const second = 2;');
  });

  it.each([
    [
      ['<!-- readme-check: file=demo -->', '```ts', 'x', '```'],
      /README.md:1: unknown readme-check/,
    ],
    [['<!-- readme-check:skip', '```ts', 'x', '```'], /README.md:1: malformed readme-check marker/],
    [['<!-- readme-check: skip -->', '', 'Prose.', '```ts', 'x', '```'], /README.md:1: no code/],
    [['<!-- readme-check: skip -->', '```bash', 'ls', '```'], /must precede a ts block/],
    [['<!-- readme-check: file=blocks/x.ts -->', '```ts', '```'], /invalid group name "blocks"/],
    [['<!-- readme-check: file=g/../x.ts -->', '```ts', '```'], /unknown readme-check marker/],
    [
      [
        '<!-- readme-check: file=g/x.ts -->',
        '```ts',
        '```',
        '<!-- readme-check: file=g/x.ts -->',
        '```ts',
        '```',
      ],
      /README.md:4: g\/x.ts is already line 1/,
    ],
    [['```ts', 'never closed'], /README.md:1: this code block is never closed/],
  ])('fails on %j', (lines, message) => {
    const { status, stderr } = extract(lines);
    expect(status).toBe(1);
    expect(stderr).toMatch(message);
  });

  it('empties its own output folder on each run, and refuses to empty any other', () => {
    const out = join(scratch, 'owned');
    expect(extract(['```ts', 'const one = 1;', '```'], out).status).toBe(0);
    expect(extract(['<!-- readme-check: file=g/x.ts -->', '```ts', '```'], out).status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['.readme-snippets', 'g']);

    const foreign = join(scratch, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'keep.txt'), 'mine');
    const { status, stderr } = extract(['```ts', '```'], foreign);
    expect(status).toBe(1);
    expect(stderr).toMatch(/is not empty and was not made by readme-snippets.mjs/);
    expect(readdirSync(foreign)).toEqual(['keep.txt']);
  });

  it('extracts the real README', () => {
    const out = join(scratch, 'real');
    const result = node('readme-snippets.mjs', [out]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readdirSync(join(out, 'quickstart')).sort()).toEqual([
      'app.module.ts',
      'main.ts',
      'notifications.endpoint.ts',
      'notify.controller.ts',
      'users.service.ts',
    ]);
  });
});

describe('scripts/readme-links.mjs', () => {
  const R = 'https://github.com/nestjs-sse-endpoint/nestjs-sse-endpoint';

  it('accepts absolute links, files of the repository and headings of the README', () => {
    const { status, stderr } = checkLinks([
      '# Quick start',
      `See [it](${R}#quick-start), [a site](https://example.org), [ref][#quick-start].`,
      '`[not a link](relative)` and:',
      '```md',
      '[not a link either](relative.md)',
      '```',
      `[#quick-start]: ${R}#quick-start`,
    ]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });

  it('refuses relative links, unknown anchors, missing files and undefined references', () => {
    const { status, stderr } = checkLinks([
      '# Title',
      '[bench](BENCHMARKS.md) [up](#title) [gone](' + R + '#nowhere)',
      `[file](${R}/blob/main/NO-SUCH-FILE.md) [dangling][nothing]`,
    ]);
    expect(status).toBe(1);
    expect(stderr).toMatch(/README.md:2: BENCHMARKS.md: not absolute/);
    expect(stderr).toMatch(/README.md:2: #title: not absolute/);
    expect(stderr).toMatch(/README.md:2: .*#nowhere: no heading of the README has this anchor/);
    expect(stderr).toMatch(/README.md:3: .*NO-SUCH-FILE.md: no such file in this repository/);
    expect(stderr).toMatch(/README.md:3: \[nothing\]: no such link definition/);
  });
});
