/** `start`: runs the node (the same `startServer` the tests listen with). */
import { startServer } from '../../node/server.ts';
import { config, explainOpenError, type Output, parse, positiveInt } from './common.ts';

export async function start(args: string[], io: Output): Promise<void> {
  const { values } = parse('start', args, {
    data: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    origin: { type: 'string' },
    config: { type: 'string' },
  });
  const cfg = config({
    ...(values.data ? { dataDir: values.data as string } : {}),
    ...(values.port !== undefined ? { port: positiveInt('start', 'port', values.port, 65535) } : {}),
    ...(values.host ? { host: values.host as string } : {}),
    ...(values.origin ? { origin: values.origin as string } : {}),
    ...(values.config ? { configFile: values.config as string } : {}),
  });
  const server = await startServer(cfg).catch((error: unknown) => explainOpenError(error, cfg.dataDir));
  io.out(`Cagnotte node listening on ${server.url}; public origin ${cfg.origin}; data in ${cfg.dataDir}`);
}
