#!/usr/bin/env node
// Builds dist/ (`npm run build`, an incremental tsc) when a source is newer than the last build, so
// the tests and `npm test` run the CLI (bin/mlops.js runs dist/) of the current sources. The check
// compares file times only (tens of milliseconds); the build, when needed, takes a few seconds.
// Usage: build-if-stale.js [--quiet]; as a module: require(...).buildIfStale({ quiet }).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const STAMP = path.join(ROOT, 'dist', '.tsbuildinfo');

/** The folders tsconfig.build.json compiles, and the files that change its output. */
function buildInputs() {
  const config = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8'));
  return {
    folders: config.include.map((f) => path.join(ROOT, f)),
    files: ['tsconfig.build.json', 'tsconfig.json', 'package.json'].map((f) => path.join(ROOT, f)),
  };
}

function newestSource() {
  const { folders, files } = buildInputs();
  let newest = 0;
  for (const f of files) newest = Math.max(newest, fs.statSync(f).mtimeMs);
  const walk = (dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (/\.(ts|json)$/.test(e.name)) newest = Math.max(newest, fs.statSync(full).mtimeMs);
    }
  };
  // a folder's mtime changes when a file in it is added, removed or renamed
  for (const folder of folders) {
    walk(folder);
    if (fs.existsSync(folder)) newest = Math.max(newest, fs.statSync(folder).mtimeMs);
  }
  return newest;
}

/** True when dist/ is missing or older than a source. */
function isStale() {
  let built;
  try {
    built = fs.statSync(STAMP).mtimeMs;
  } catch {
    return true;
  }
  return newestSource() > built;
}

/** Runs the build when stale; returns whether it built. Throws when the build fails. */
function buildIfStale({ quiet = false } = {}) {
  if (!isStale()) return false;
  if (!quiet) process.stderr.write('building dist/ (tsc -p tsconfig.build.json) ...\n');
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  execFileSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
  // an incremental build with nothing to emit leaves the stamp as it was: mark this check done
  const now = new Date();
  fs.utimesSync(STAMP, now, now);
  return true;
}

module.exports = { buildIfStale, isStale };

if (require.main === module) {
  try {
    buildIfStale({ quiet: process.argv.includes('--quiet') });
  } catch (err) {
    process.stderr.write(`build-if-stale: ${err.message}\n`);
    process.exit(1);
  }
}
