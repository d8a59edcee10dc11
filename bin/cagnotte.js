#!/usr/bin/env node
// The published entry point stays plain JavaScript; the CLI itself is TypeScript run by Node's type stripping.
import module from 'node:module';

// Node's on-disk compile cache (in the system's temp directory unless NODE_COMPILE_CACHE says
// otherwise; NODE_DISABLE_COMPILE_CACHE=1 turns it off): without it every start strips the
// types of and compiles the CLI's whole module graph again, about 0.4 s of CPU. Node versions
// before 22.1 have no such cache and start as before.
module.enableCompileCache?.();

// scripts/cli.ts runs itself only as the main module (import.meta.main), which it is not when
// imported from here: run it as its own main block does.
const { main } = await import('../scripts/cli.ts');
const code = await main(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
// `start` keeps running; every other command ends here.
if (code !== 0 || process.argv[2] !== 'start') process.exitCode = code;
