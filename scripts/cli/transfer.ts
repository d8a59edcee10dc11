/**
 * `export` and `import`: the signed bulk export (JSON Lines, node/export/bulk.ts) of one actor's
 * ledger, and its restoration into a data directory. An export goes to a temporary file renamed
 * into place, so `--out` never names a half-written file; an import verifies the whole file before
 * it writes anything, and into a data directory that does not exist yet it creates nothing until
 * the file has verified.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { access, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { nativeBackend } from '../../node/crypto/native.ts';
import { AppError } from '../../node/errors.ts';
import { exportLedger, importLedger, splitLines, verifyExport } from '../../node/export/bulk.ts';
import { openNode } from '../../node/server.ts';
import { CliError, config, explainOpenError, type Output, parse, requireDatabase } from './common.ts';

/** Writes `chunks` to `stream`, waiting whenever its buffer is full. */
async function pipeTo(chunks: AsyncIterable<Uint8Array>, stream: NodeJS.WritableStream): Promise<number> {
  let lines = 0;
  for await (const chunk of chunks) {
    lines++;
    if (!stream.write(chunk)) await once(stream, 'drain');
  }
  return lines;
}

async function openExisting(dataDir: string, cfg: ReturnType<typeof config>) {
  requireDatabase(dataDir);
  try {
    return await openNode(cfg);
  } catch (error) {
    explainOpenError(error, dataDir);
  }
}

export async function exportCommand(args: string[], io: Output): Promise<void> {
  const { values } = parse(
    'export',
    args,
    {
      data: { type: 'string' },
      actor: { type: 'string' },
      out: { type: 'string' },
      config: { type: 'string' },
    },
    ['data', 'actor'],
  );
  const cfg = config({
    dataDir: values.data as string,
    ...(values.config ? { configFile: values.config as string } : {}),
  });
  const name = values.actor as string;
  const out = values.out === undefined ? undefined : resolve(values.out as string);
  const node = await openExisting(cfg.dataDir, cfg);
  try {
    const actor = await node.actors.get(name);
    if (actor === undefined) throw new CliError(`export: no actor named ${name} in ${cfg.dataDir}`, 1);
    if (out === undefined) {
      await pipeTo(exportLedger(actor.ledger), io.stdout ?? process.stdout);
      return;
    }
    const temporary = `${out}.${process.pid}.partial`;
    const file = createWriteStream(temporary, { flags: 'wx', mode: 0o644 });
    try {
      await once(file, 'open');
      const lines = await pipeTo(exportLedger(actor.ledger), file);
      file.end();
      await once(file, 'finish');
      await rename(temporary, out);
      io.out(`Exported ${name}: ${lines - 2} entries and the checkpoint to ${out}`);
    } catch (error) {
      file.destroy();
      await rm(temporary, { force: true });
      throw error;
    }
  } finally {
    await node.close();
  }
}

export async function importCommand(args: string[], io: Output): Promise<void> {
  const { values, positionals } = parse(
    'import',
    args,
    { data: { type: 'string' }, config: { type: 'string' } },
    ['data'],
    1,
  );
  const file = resolve(positionals[0] as string);
  try {
    await access(file);
  } catch {
    throw new CliError(`import: cannot read ${file}`, 1);
  }
  const cfg = config({
    dataDir: values.data as string,
    ...(values.config ? { configFile: values.config as string } : {}),
  });
  const open = () => createReadStream(file, { highWaterMark: 1 << 16 });
  try {
    // A bad file must not leave even an empty database behind: verify before creating one.
    if (!existsSync(join(cfg.dataDir, 'db'))) await verifyExport(splitLines(open()), nativeBackend);
    let node: Awaited<ReturnType<typeof openNode>>;
    try {
      node = await openNode(cfg);
    } catch (error) {
      explainOpenError(error, cfg.dataDir);
    }
    try {
      const { record, size } = await importLedger({
        store: node.store,
        dataDir: cfg.dataDir,
        backend: nativeBackend,
        open,
      });
      io.out(`Imported ${record.name} (${record.id}): ${size} entries, verified, into ${cfg.dataDir}`);
      if (!existsSync(join(cfg.dataDir, 'keys', `${record.name}.json`))) {
        io.out('No key file for it here: the ledger is served read-only.');
      }
    } finally {
      await node.close();
    }
  } catch (error) {
    if (error instanceof AppError && error.code === 'IMPORT_INVALID')
      throw new CliError(`import: ${error.message}`, 1);
    if (error instanceof AppError && error.code === 'ACTOR_EXISTS') {
      throw new CliError('import: this data directory already has an actor of that name', 1);
    }
    throw error;
  }
}
