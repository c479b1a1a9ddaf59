#!/usr/bin/env node
/** The `openai-ops` binary. */
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv.slice(2));
