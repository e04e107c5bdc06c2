#!/usr/bin/env node
/**
 * Extracts every TypeScript code block (```ts or ```typescript) of README.md, for
 * `npm run test:readme` to type-check them (`tsc --noEmit -p tsconfig.readme.json`).
 *
 *   node scripts/readme-snippets.mjs <outDir> [readme]
 *
 * Markers: an HTML comment on the last non-blank line before a fence (Prettier puts a blank line
 * between the comment and the fence):
 *
 *   <!-- readme-check: file=<group>/<file>.ts -->  the block is <outDir>/<group>/<file>.ts; the
 *                                                  blocks of a group form one small project and
 *                                                  import each other as './<file>.js'
 *   <!-- readme-check: skip -->                    a deliberately partial block: not extracted
 *
 * An unmarked block is <outDir>/blocks/block-NN.ts and compiles alone. Blocks nested in a longer
 * fence (a ````md example) are not extracted. A malformed marker, a marker that no TypeScript block
 * follows, and a file named twice are errors (exit code 1). Each file starts with one comment line
 * naming the README line of its fence, so line n of a file is README line <fence> + n - 1.
 * Plain Node, no dependencies.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const OWNED = '.readme-snippets';
const TS_LANGUAGES = new Set(['ts', 'typescript']);
const FENCE = /^(\s*)(`{3,}|~{3,})(.*)$/;
const MARKER = /^\s*<!--\s*readme-check:\s*(.*?)\s*-->\s*$/;
const GROUP = /^[a-z0-9][a-z0-9_-]*$/i;
const FILE = /^[a-z0-9][\w.-]*\.ts$/i;
const UNMARKED_GROUP = 'blocks';

/** The blocks of a README, or throws an Error listing every problem found. */
export function extractSnippets(markdown, source = 'README.md') {
  const lines = markdown.split(/\r?\n/);
  const blocks = [];
  const problems = [];
  let pending = null; // { kind: 'skip' } | { kind: 'file', group, file }, with its line
  let fence = null; // { indent, char, length, language, line, body, marker }

  lines.forEach((text, index) => {
    const line = index + 1;
    if (fence) {
      if (isClosingFence(text, fence)) {
        if (TS_LANGUAGES.has(fence.language))
          blocks.push({ ...fence, code: fence.body.join('\n') });
        fence = null;
      } else fence.body.push(stripIndent(text, fence.indent));
      return;
    }
    const opening = FENCE.exec(text);
    if (opening && !(opening[2][0] === '`' && opening[3].includes('`'))) {
      const language = opening[3].trim().split(/\s+/)[0].toLowerCase();
      if (pending && !TS_LANGUAGES.has(language)) {
        problems.push(`${source}:${pending.line}: a readme-check marker must precede a ts block`);
      }
      fence = {
        indent: opening[1].length,
        char: opening[2][0],
        length: opening[2].length,
        language,
        line,
        body: [],
        marker: pending,
      };
      pending = null;
      return;
    }
    if (text.trim() === '') return;
    if (pending) {
      problems.push(`${source}:${pending.line}: no code block follows this readme-check marker`);
      pending = null;
    }
    if (text.trim().startsWith('<!--') && text.includes('readme-check')) {
      const marker = parseMarker(text);
      if (typeof marker === 'string') problems.push(`${source}:${line}: ${marker}`);
      else pending = { ...marker, line };
    }
  });
  if (fence) problems.push(`${source}:${fence.line}: this code block is never closed`);
  if (pending) problems.push(`${source}:${pending.line}: no code block follows this marker`);

  const seen = new Map();
  let unmarked = 0;
  const files = [];
  for (const block of blocks) {
    if (block.marker?.kind === 'skip') continue;
    let path;
    if (block.marker?.kind === 'file') {
      path = `${block.marker.group}/${block.marker.file}`;
      if (seen.has(path)) {
        problems.push(`${source}:${block.marker.line}: ${path} is already line ${seen.get(path)}`);
        continue;
      }
      seen.set(path, block.marker.line);
    } else {
      unmarked += 1;
      path = `${UNMARKED_GROUP}/block-${String(unmarked).padStart(2, '0')}.ts`;
    }
    files.push({ path, line: block.line, code: block.code });
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return { files, skipped: blocks.length - files.length };
}

function parseMarker(text) {
  const match = MARKER.exec(text);
  const usage =
    'expected <!-- readme-check: file=<group>/<file>.ts --> or <!-- readme-check: skip -->';
  if (!match) return `malformed readme-check marker; ${usage}`;
  if (match[1] === 'skip') return { kind: 'skip' };
  const file = /^file=([^/\s]+)\/([^/\s]+)$/.exec(match[1]);
  if (!file) return `unknown readme-check marker "${match[1]}"; ${usage}`;
  const [, group, name] = file;
  if (!GROUP.test(group) || group === UNMARKED_GROUP) return `invalid group name "${group}"`;
  if (!FILE.test(name)) return `invalid file name "${name}" (letters, digits, . _ -; ends in .ts)`;
  return { kind: 'file', group, file: name };
}

function isClosingFence(text, fence) {
  const trimmed = text.trim();
  return (
    trimmed.length >= fence.length &&
    [...trimmed].every((character) => character === fence.char) &&
    text.length - text.trimStart().length <= fence.indent + 3
  );
}

function stripIndent(text, indent) {
  let cut = 0;
  while (cut < indent && text[cut] === ' ') cut += 1;
  return text.slice(cut);
}

/** Empties outDir if this script made it (or it is empty); refuses to touch anything else. */
function prepareOutDir(outDir) {
  if (existsSync(outDir)) {
    const entries = readdirSync(outDir);
    if (entries.length > 0 && !entries.includes(OWNED)) {
      throw new Error(`${outDir} is not empty and was not made by ${basename(scriptPath)}`);
    }
    rmSync(outDir, { recursive: true, force: true });
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, OWNED),
    'Written by scripts/readme-snippets.mjs; emptied on each run.\n',
  );
}

const scriptPath = fileURLToPath(import.meta.url);

function main([outDir, readme = resolve(scriptPath, '../../README.md')]) {
  if (!outDir) {
    console.error('usage: node scripts/readme-snippets.mjs <outDir> [readme]');
    return 2;
  }
  try {
    const { files, skipped } = extractSnippets(readFileSync(readme, 'utf8'), basename(readme));
    prepareOutDir(outDir);
    for (const { path, line, code } of files) {
      const target = join(outDir, path);
      mkdirSync(join(target, '..'), { recursive: true });
      const header = `// ${basename(readme)} line ${line}: the fence; line n here is README line ${line} + n - 1.`;
      writeFileSync(target, `${header}\n${code}\n`);
    }
    const groups = new Set(files.map(({ path }) => path.split('/')[0]));
    console.log(
      `readme-snippets: ${files.length} blocks in ${groups.size} folders of ${outDir}` +
        (skipped > 0 ? `, ${skipped} skipped` : ''),
    );
    return 0;
  } catch (error) {
    console.error(`readme-snippets: ${error.message}`);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === scriptPath) {
  process.exitCode = main(process.argv.slice(2));
}
