#!/usr/bin/env node
/**
 * Checks that the links of README.md work where the README is read, on GitHub and on the npm
 * registry page alike: absolute `http(s):` or `mailto:` only (npm resolves no relative link);
 * links into this repository (`<REPOSITORY>/blob/main/<file>`, `/tree/main/<dir>`) name files
 * that exist, and `<REPOSITORY>#<anchor>` names a heading of the README.
 *
 *   node scripts/readme-links.mjs [readme]
 *
 * Plain Node, no dependencies. Links inside code blocks and code spans are not links.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPOSITORY = 'https://github.com/nestjs-sse-endpoint/nestjs-sse-endpoint';

const INLINE_LINK = /\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g;
const REFERENCE = /^\s{0,3}\[([^\]]+)\]:\s*<?(\S+?)>?(?:\s|$)/;
const HTML_LINK = /\b(?:href|src)\s*=\s*["']([^"']*)["']/g;
const REFERENCE_USE = /\]\[([^\]]+)\]/g;

/** The problems of a README's links, as `README.md:<line>: …` strings (empty when all are fine). */
export function checkLinks(markdown, root, source = 'README.md') {
  const lines = markdown.split(/\r?\n/);
  const anchors = headingAnchors(lines);
  const problems = [];
  const { links, uses } = linksOf(lines);
  for (const { url, line } of links) {
    const problem = checkUrl(url, root, anchors);
    if (problem) problems.push(`${source}:${line}: ${url}: ${problem}`);
  }
  const defined = new Set(links.filter((link) => link.label).map((link) => link.label));
  for (const { label, line } of uses) {
    if (!defined.has(label))
      problems.push(`${source}:${line}: [${label}]: no such link definition`);
  }
  return problems;
}

function checkUrl(url, root, anchors) {
  if (!/^(https?:|mailto:)/i.test(url)) {
    return `not absolute; npm shows no relative link: use ${REPOSITORY}/blob/main/<file> or ${REPOSITORY}#<heading>`;
  }
  if (!url.startsWith(REPOSITORY)) return null;
  const rest = url.slice(REPOSITORY.length);
  if (rest === '' || rest === '/') return null;
  if (rest.startsWith('#')) {
    return anchors.has(rest.slice(1)) ? null : 'no heading of the README has this anchor';
  }
  const inTree = /^\/(?:blob|tree)\/main\/([^#?]+)/.exec(rest);
  if (inTree) {
    return existsSync(resolve(root, decodeURIComponent(inTree[1])))
      ? null
      : 'no such file in this repository';
  }
  return null;
}

/** Every link outside code (with the label of a definition), and every use of a reference. */
function linksOf(lines) {
  const links = [];
  const uses = [];
  let fence = null;
  lines.forEach((text, index) => {
    const opening = /^\s*(`{3,}|~{3,})/.exec(text);
    if (fence) {
      if (opening && opening[1][0] === fence[0] && opening[1].length >= fence.length) fence = null;
      return;
    }
    if (opening) {
      fence = opening[1];
      return;
    }
    const prose = text.replace(/(`+)[^`]*?\1/g, '');
    const line = index + 1;
    for (const match of [...prose.matchAll(INLINE_LINK), ...prose.matchAll(HTML_LINK)]) {
      links.push({ url: match[1], line });
    }
    for (const match of prose.matchAll(REFERENCE_USE))
      uses.push({ label: normalise(match[1]), line });
    const definition = REFERENCE.exec(prose);
    if (definition) links.push({ url: definition[2], label: normalise(definition[1]), line });
  });
  return { links, uses };
}

/** Link labels match case-insensitively, with runs of white space as one space. */
function normalise(label) {
  return label.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, -1 for repeats. */
function headingAnchors(lines) {
  const anchors = new Set();
  const counts = new Map();
  let fence = null;
  for (const text of lines) {
    const opening = /^\s*(`{3,}|~{3,})/.exec(text);
    if (fence) {
      if (opening && opening[1][0] === fence[0] && opening[1].length >= fence.length) fence = null;
      continue;
    }
    if (opening) {
      fence = opening[1];
      continue;
    }
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!heading) continue;
    const slug = heading[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = counts.get(slug) ?? 0;
    counts.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

const scriptPath = fileURLToPath(import.meta.url);

if (process.argv[1] && resolve(process.argv[1]) === scriptPath) {
  const readme = process.argv[2] ?? resolve(scriptPath, '../../README.md');
  const problems = checkLinks(readFileSync(readme, 'utf8'), dirname(readme), basename(readme));
  if (problems.length > 0) {
    console.error(`readme-links:\n${problems.join('\n')}`);
    process.exitCode = 1;
  } else console.log(`readme-links: every link of ${basename(readme)} is absolute and resolves`);
}
