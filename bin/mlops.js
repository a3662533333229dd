#!/usr/bin/env node
// The `mlops` command: runs the TypeScript sources through tsx, so a fresh clone needs no build step.
'use strict';
// The lockfile pins an AWS SDK that supports Node 20; its notice about future releases is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
require('../client/cli.ts')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
