/** `cos-upload resume [file]`: its flags and how they become a ResumeCommand. */

import * as path from 'node:path';
import { stateDirFrom } from './cliEnvironment';
import type { CliCommand } from './commandTypes';
import { COMMON_OPTIONS, OBJECT_OPTIONS, strictParse, TUNING_OPTIONS, type OptionSpec } from './flagTable';
import { parseOnCancel } from './flagValues';
import { parseObjectOptions, parseTuning } from './uploadOptionFlags';
import { UsageError } from './usageError';

const RESUME_OPTIONS = {
  ...COMMON_OPTIONS,
  ...TUNING_OPTIONS,
  ...OBJECT_OPTIONS,
  'state-dir': { type: 'string' },
  all: { type: 'boolean' },
  list: { type: 'boolean' },
  restart: { type: 'boolean' },
  'on-cancel': { type: 'string' },
  verbose: { type: 'boolean' },
} as const satisfies OptionSpec;

export function parseResume(args: string[], env: NodeJS.ProcessEnv): CliCommand {
  const { values, positionals } = strictParse(args, RESUME_OPTIONS);
  if (values.help) return { command: 'help', topic: 'resume' };
  if (values.version) return { command: 'version' };
  if (positionals.length > 1) throw new UsageError(`Resume takes at most one file; quote names with spaces: ${positionals.join(' ')}`);
  const all = values.all ?? false;
  const list = values.list ?? false;
  if (all && positionals.length > 0) throw new UsageError(`Give either a file or --all, not both: ${positionals[0]}`);
  if (list && (all || positionals.length > 0 || values.restart)) throw new UsageError('--list only lists; it takes no file, --all or --restart');
  return {
    command: 'resume',
    stateDir: stateDirFrom(values['state-dir'], env),
    ...(positionals.length === 1 ? { filePath: path.resolve(positionals[0]) } : {}),
    all,
    list,
    restart: values.restart ?? false,
    options: { ...parseTuning(values), ...parseObjectOptions(values, env) },
    onCancel: parseOnCancel(values['on-cancel']),
    quiet: values.quiet ?? false,
    json: values.json ?? false,
    verbose: values.verbose ?? false,
  };
}
