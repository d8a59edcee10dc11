/**
 * What every CLI command shares: argument parsing that refuses unknown or missing options with a
 * clear message, configuration through node/config.ts (the only reader of the environment), and
 * opening the node's data directory.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Config, ConfigError, type ConfigInput, loadConfig } from '../../node/config.ts';

/** A usage error (exit 2) or a failure (exit 1), printed without a stack trace. */
export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: number;
  /** Whether the message ends with a pointer to `--help`: a usage error, not a failure to read. */
  readonly usageHint: boolean;
  constructor(message: string, exitCode = 2, usageHint = exitCode === 2) {
    super(message);
    this.exitCode = exitCode;
    this.usageHint = usageHint;
  }
}

export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** Where raw bytes go (an export without `--out`); standard output when absent. */
  stdout?: NodeJS.WritableStream;
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/** Parses `args` strictly against `options`; every name in `required` must be given. */
export function parse<O extends OptionSpec>(
  command: string,
  args: string[],
  options: O,
  required: (keyof O & string)[] = [],
  positionals = 0,
) {
  let parsed: ReturnType<
    typeof parseArgs<{ options: O; allowPositionals: true; strict: true; args: string[] }>
  >;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(`${command}: ${(error as Error).message}`);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const missing = required.filter((name) => values[name] === undefined || values[name] === '');
  if (missing.length > 0)
    throw new CliError(`${command}: missing ${missing.map((m) => `--${m}`).join(', ')}`);
  if (parsed.positionals.length !== positionals) {
    throw new CliError(
      positionals === 0
        ? `${command}: unexpected argument ${JSON.stringify(parsed.positionals[0])}`
        : `${command}: expected ${positionals} file argument${positionals > 1 ? 's' : ''}`,
    );
  }
  return { values, positionals: parsed.positionals };
}

/** The configuration for a command, with flags winning over the file and environment. */
export function config(overrides: ConfigInput & { configFile?: string }): Config {
  const { configFile, ...rest } = overrides;
  try {
    return loadConfig({ ...(configFile ? { file: configFile } : {}), overrides: rest });
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
}

/** Refuses a data directory with no database (commands that need an existing node). */
export function requireDatabase(dataDir: string): void {
  if (!existsSync(join(dataDir, 'db'))) {
    throw new CliError(`no node database in ${dataDir}; run \`cagnotte init\` first`, 1);
  }
}

/** Turns "the database is locked" into advice. */
export function explainOpenError(error: unknown, dataDir: string): never {
  const text = String((error as { cause?: unknown })?.cause ?? error);
  if (/lock/i.test(text) || (error as { code?: string }).code === 'LEVEL_DATABASE_NOT_OPEN') {
    throw new CliError(
      `the database in ${dataDir} is in use (is the node running?); stop it, or use --url`,
      1,
    );
  }
  throw error;
}

/** A positive integer option. */
export function positiveInt(command: string, name: string, value: unknown, max = 10_000_000): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max)
    throw new CliError(`${command}: --${name} must be an integer from 1 to ${max}`);
  return n;
}
