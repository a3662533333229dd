#!/usr/bin/env node
// The `mlops` command. Runs the build output (dist/, `npm run build`, which `npm ci` runs through
// `prepare`). A checkout without a build runs the TypeScript sources through tsx (a development
// dependency) with a one-line hint; MLOPS_FROM_SOURCE=1 always runs the sources.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

// The lockfile pins an AWS SDK that supports Node 20; its notice about future releases is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function entry() {
  const built = path.join(__dirname, '..', 'dist', 'client', 'cli.js');
  const fromSource = process.env.MLOPS_FROM_SOURCE === '1';
  if (!fromSource && fs.existsSync(built)) return built;
  try {
    require('tsx/cjs');
  } catch {
    process.stderr.write(
      fromSource
        ? 'mlops: MLOPS_FROM_SOURCE=1 needs tsx (a development dependency): run `npm install`\n'
        : 'mlops: no build found (dist/): run `npm run build`\n',
    );
    process.exit(1);
  }
  if (!fromSource)
    process.stderr.write('mlops: running from the sources (slower): `npm run build` makes a faster CLI\n');
  return path.join(__dirname, '..', 'client', 'cli.ts');
}

require(entry())
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
