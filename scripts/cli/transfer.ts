/**
 * `export` and `import`: the signed bulk export (JSON Lines) is built by node/export; these
 * commands only check arguments and hand over. Until node/export lands they say so and exit 1.
 */
import { CliError, type Output, parse } from './common.ts';

export async function exportCommand(args: string[], _io: Output): Promise<void> {
  parse(
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
  throw new CliError('export: the bulk export module (node/export) is not built yet', 1);
}

export async function importCommand(args: string[], _io: Output): Promise<void> {
  parse('import', args, { data: { type: 'string' }, config: { type: 'string' } }, ['data'], 1);
  throw new CliError('import: the bulk export module (node/export) is not built yet', 1);
}
