#!/usr/bin/env node
// The `mlops` command: runs the TypeScript sources through tsx, so a fresh clone needs no build step.
'use strict';
require('tsx/cjs');
require('../client/cli.ts')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
