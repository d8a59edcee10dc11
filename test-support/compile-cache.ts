/**
 * Preloaded into every test process (package.json, tap `node-arg`): turns on Node's on-disk
 * compile cache, so that the ~90 test files, and the nodes, CLIs and crash children they spawn,
 * do not each parse and compile Fastify, Fedify, tap and the project's modules anew. Loading
 * the node's module graph costs about half the CPU with it.
 *
 * The cache only holds V8 code caches keyed by each file's content: a changed file is compiled
 * again, and nothing the tests check depends on it. `NODE_COMPILE_CACHE` chooses another
 * directory; `NODE_DISABLE_COMPILE_CACHE=1` turns it off.
 */
import { enableCompileCache } from 'node:module';
import { fileURLToPath } from 'node:url';

const directory =
  process.env.NODE_COMPILE_CACHE ?? fileURLToPath(new URL('../.tap/compile-cache', import.meta.url));
// Child processes that inherit the environment use the same cache (Node adds its version to the
// path itself, so the base directory is what they are given).
if (enableCompileCache(directory).directory !== undefined) process.env.NODE_COMPILE_CACHE = directory;
