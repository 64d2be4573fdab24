#!/usr/bin/env node
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- plain CommonJS: it must run before anything is built */
/* global require, __dirname, process, console */
/**
 * The `ilpd` command as npm links it. This file is checked in, not built: `npm install` links a
 * workspace's bins before any build has run, and a bin pointing into dist/ is then missing on a fresh
 * clone (`npx ilpd` fails with 404 Not Found). It runs the compiled CLI, and builds this package first
 * (with the repository's TypeScript) when dist/ does not exist yet.
 */
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');

const packageDir = join(__dirname, '..');
const cli = join(packageDir, 'dist', 'cli.js');

if (!existsSync(cli)) {
  let tsc;
  try {
    tsc = require.resolve('typescript/bin/tsc', { paths: [packageDir] });
  } catch {
    console.error(`ilpd: ${cli} is missing and TypeScript is not installed to build it; run npm run build`);
    process.exit(1);
  }
  console.error('ilpd: first run: building the connector (npm run build does this too)…');
  const built = spawnSync(process.execPath, [tsc, '-b', packageDir], { stdio: ['ignore', 2, 2] });
  if (built.status !== 0 || !existsSync(cli)) {
    console.error(`ilpd: the build failed (exit ${built.status}); run npm run build to see why`);
    process.exit(1);
  }
}

require(cli).runAsProcess();
