#!/usr/bin/env node
// The published entry point stays plain JavaScript; the CLI itself is TypeScript run by Node's type stripping.
await import('../scripts/cli.ts');
