/** `cos-upload incomplete`: its flags and how they become an IncompleteCommand. */

import { stateDirFrom } from './cliEnvironment';
import type { CliCommand, IncompleteAction } from './commandTypes';
import { COMMON_OPTIONS, parseTarget, strictParse, TARGET_OPTIONS, type OptionSpec } from './flagTable';
import { parseDays, parseInteger } from './flagValues';
import { UsageError } from './usageError';

const INCOMPLETE_OPTIONS = {
  ...COMMON_OPTIONS,
  ...TARGET_OPTIONS,
  prefix: { type: 'string' },
  'state-dir': { type: 'string' },
  abort: { type: 'string' },
  key: { type: 'string', short: 'k' },
  'abort-older-than': { type: 'string' },
  'dry-run': { type: 'boolean' },
  retries: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
} as const satisfies OptionSpec;

export function parseIncomplete(args: string[], env: NodeJS.ProcessEnv): CliCommand {
  const { values, positionals } = strictParse(args, INCOMPLETE_OPTIONS);
  if (values.help) return { command: 'help', topic: 'incomplete' };
  if (values.version) return { command: 'version' };
  if (positionals.length > 0) throw new UsageError(`incomplete takes no file; use --prefix to narrow the listing: ${positionals.join(' ')}`);
  const target = parseTarget(values);
  const dryRun = values['dry-run'] ?? false;
  const olderThan = values['abort-older-than'];
  let action: IncompleteAction;
  if (values.abort !== undefined && olderThan !== undefined) {
    throw new UsageError('Use either --abort <upload id> or --abort-older-than <days>, not both');
  } else if (values.abort !== undefined) {
    const uploadId = values.abort.trim();
    if (!uploadId) throw new UsageError('--abort takes the upload id to abort, as listed by cos-upload incomplete');
    action = { type: 'abort', uploadId, ...(values.key !== undefined ? { key: values.key } : {}), dryRun };
  } else if (olderThan !== undefined) {
    action = { type: 'abort-older-than', days: parseDays(olderThan), dryRun };
  } else {
    if (values.key !== undefined) throw new UsageError('--key goes with --abort <upload id>; to narrow the listing use --prefix');
    if (dryRun) throw new UsageError('--dry-run goes with --abort or --abort-older-than; listing changes nothing anyway');
    action = { type: 'list' };
  }
  return {
    command: 'incomplete',
    ...target,
    ...(values.prefix !== undefined ? { prefix: values.prefix } : {}),
    stateDir: stateDirFrom(values['state-dir'], env),
    action,
    ...(values.retries !== undefined ? { retries: parseInteger('--retries', values.retries, 0, 100) } : {}),
    json: values.json ?? false,
    verbose: values.verbose ?? false,
  };
}
