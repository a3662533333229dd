#!/usr/bin/env node
// Last resort of install-tools on a machine without Go but with internet access: let the Temporal
// SDK download the CLI into its cache (by starting and stopping one dev server), then link the
// downloaded binary to .tools/bin/temporal. Usage: download-temporal-cli.js <version> <dir> <target>
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { TestWorkflowEnvironment } = require('@temporalio/testing');

async function main() {
  const [version, downloadDir, target] = process.argv.slice(2);
  if (!version || !downloadDir || !target) throw new Error('usage: download-temporal-cli.js <version> <dir> <target>');
  fs.mkdirSync(downloadDir, { recursive: true });
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'cached-download', version: `v${version}`, downloadDir } },
  });
  await env.teardown();
  const binary = findExecutable(downloadDir);
  if (!binary) throw new Error(`no executable found under ${downloadDir} after the download`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.rmSync(target, { force: true });
  fs.symlinkSync(binary, target);
}

function findExecutable(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findExecutable(full);
      if (found) return found;
    } else if (entry.isFile() && entry.name.startsWith('temporal') && (fs.statSync(full).mode & 0o111) !== 0) {
      return full;
    }
  }
  return undefined;
}

main().catch((err) => {
  console.error(`download-temporal-cli: ${err.message}`);
  process.exit(1);
});
