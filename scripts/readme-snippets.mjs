#!/usr/bin/env node
// Extracts README.md's TypeScript blocks for type-checking. Usage:
//   node scripts/readme-snippets.mjs <outDir>
// A marker on the last non-blank line before a ```ts fence says what the block is:
//   <!-- readme-check: file=<group>/<file> -->  the block is <outDir>/<group>/<file>; the files
//                                             of one group compile together as one project
//   <!-- readme-check: skip -->                 a deliberately partial block: not written
// Unmarked ts blocks compile alone: <outDir>/blocks/block-NN.ts (NN counts them from 01).
// (Prettier puts a blank line between the comment and the fence, hence "last non-blank line".)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const outDir = process.argv[2];
if (!outDir) {
  console.error('Usage: node scripts/readme-snippets.mjs <outDir>');
  process.exit(2);
}
const readme = join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
const lines = readFileSync(readme, 'utf8').split('\n');

const MARKER = /^<!--\s*readme-check:\s*(.*?)\s*-->$/;
const written = new Set();
let unmarked = 0;

function fail(line, message) {
  console.error(`README.md:${line + 1}: ${message}`);
  process.exit(1);
}

function write(file, text, line) {
  if (written.has(file)) fail(line, `${file} is written by two blocks`);
  written.add(file);
  mkdirSync(dirname(join(outDir, file)), { recursive: true });
  writeFileSync(join(outDir, file), text);
}

for (let i = 0; i < lines.length; i++) {
  const fence = /^(`{3,}|~{3,})\s*(\S*)/.exec(lines[i]);
  if (!fence) continue;
  let end = i + 1;
  while (end < lines.length && !lines[end].startsWith(fence[1])) end++;
  if (end === lines.length) fail(i, 'unclosed code fence');
  const language = fence[2];
  if (language === 'ts' || language === 'typescript') {
    const text = lines.slice(i + 1, end).join('\n') + '\n';
    let before = i - 1;
    while (before >= 0 && lines[before].trim() === '') before--;
    const marker = before >= 0 ? MARKER.exec(lines[before].trim()) : null;
    if (!marker) {
      unmarked++;
      write(`blocks/block-${String(unmarked).padStart(2, '0')}.ts`, text, i);
    } else if (marker[1] !== 'skip') {
      const file = /^file=(\S+)$/.exec(marker[1])?.[1];
      const safe = file && normalize(file).split(sep).length === 2 && !file.includes('..');
      if (!safe) fail(before, `expected "file=<group>/<file>" or "skip", got "${marker[1]}"`);
      if (file.startsWith('blocks/')) fail(before, 'group "blocks" is for unmarked blocks');
      write(file, text, i);
    }
  }
  i = end;
}
console.log(`${written.size} block(s) written to ${outDir}`);
