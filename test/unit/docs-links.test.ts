/**
 * Every relative link of README.md and docs/*.md leads somewhere: the file or folder exists, and an
 * anchor (`page.md#section`, `#section`) names a heading of that page as GitHub slugs it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../lib/tools';

interface Link {
  file: string;
  line: number;
  target: string;
}

/** The markdown pages the test reads: README.md and every page of docs/. */
function pages(): string[] {
  const docs = fs
    .readdirSync(path.join(REPO_ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => path.join('docs', f));
  return ['README.md', ...docs.sort()];
}

/** The text of a page without fenced code blocks and inline code (links there are not links). */
function proseLines(text: string): string[] {
  let fenced = false;
  return text.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line.replace(/`[^`]*`/g, '``');
  });
}

/** Every link and image of a page, with its line. */
function linksOf(file: string): Link[] {
  const lines = proseLines(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8'));
  const found: Link[] = [];
  const pattern = /!?\[(?:[^[\]]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g;
  lines.forEach((line, i) => {
    for (const m of line.matchAll(pattern)) found.push({ file, line: i + 1, target: m[1]! });
  });
  return found;
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a markdown file's headings, numbered as GitHub numbers repeated ones. */
function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of proseLines(fs.readFileSync(file, 'utf8'))) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]!.replace(/``/g, ''));
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** What is wrong with one link, or undefined when it leads somewhere. */
function problem(link: Link): string | undefined {
  const { target } = link;
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto:, …
  const [rawPath, anchor] = target.split('#', 2) as [string, string | undefined];
  const resolved = rawPath
    ? path.resolve(path.dirname(path.join(REPO_ROOT, link.file)), decodeURIComponent(rawPath))
    : path.join(REPO_ROOT, link.file);
  const relative = path.relative(REPO_ROOT, resolved);
  if (relative.startsWith('..')) return `${target} leads out of the repository`;
  if (!fs.existsSync(resolved)) return `${target}: no such file ${relative}`;
  if (anchor === undefined || anchor === '') return undefined;
  if (!resolved.endsWith('.md')) return undefined;
  if (!anchorsOf(resolved).has(anchor)) return `${target}: ${relative} has no heading with anchor #${anchor}`;
  return undefined;
}

describe('the links of README.md and docs/', () => {
  it('slugs headings as GitHub does', () => {
    assert.equal(slug('Workers elsewhere: what travels with a run'), 'workers-elsewhere-what-travels-with-a-run');
    assert.equal(
      slug('A remote Temporal (Temporal Cloud, a self-hosted cluster)'),
      'a-remote-temporal-temporal-cloud-a-self-hosted-cluster',
    );
    assert.equal(slug('A/B tests'), 'ab-tests');
  });

  it('finds the links of a page, not those in code', () => {
    const links = linksOf('README.md').map((l) => l.target);
    assert.ok(links.includes('docs/cli.md'), 'README links docs/cli.md');
    assert.ok(!links.some((t) => t.includes('<')), 'no link from a code block');
  });

  it('every relative link and anchor resolves', () => {
    const problems = pages()
      .flatMap(linksOf)
      .flatMap((link) => {
        const p = problem(link);
        return p ? [`${link.file}:${link.line}: ${p}`] : [];
      });
    assert.deepEqual(problems, []);
  });
});
