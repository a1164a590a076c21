/** `cos-upload upload <file>`: its flags and how they become an UploadCommand. */

import * as path from 'node:path';
import type { UploadOptions } from '../core/types';
import { stateDirFrom } from './cliEnvironment';
import type { CliCommand } from './commandTypes';
import { COMMON_OPTIONS, OBJECT_OPTIONS, parseTarget, strictParse, TARGET_OPTIONS, TUNING_OPTIONS, type OptionSpec } from './flagTable';
import { parseByteSize, parseOnCancel, parseOnFileChanged } from './flagValues';
import { parseObjectOptions, parseTuning } from './uploadOptionFlags';
import { UsageError } from './usageError';

const UPLOAD_OPTIONS = {
  ...COMMON_OPTIONS,
  ...TUNING_OPTIONS,
  ...TARGET_OPTIONS,
  key: { type: 'string', short: 'k' },
  'multipart-threshold': { type: 'string' },
  ...OBJECT_OPTIONS,
  'state-dir': { type: 'string' },
  'on-cancel': { type: 'string' },
  'on-file-changed': { type: 'string' },
  verbose: { type: 'boolean' },
} as const satisfies OptionSpec;

export function parseUpload(args: string[], env: NodeJS.ProcessEnv): CliCommand {
  const { values, positionals } = strictParse(args, UPLOAD_OPTIONS);
  if (values.help) return { command: 'help', topic: 'upload' };
  if (values.version) return { command: 'version' };

  if (positionals.length === 0) throw new UsageError('Name the file to upload: cos-upload upload <file> --bucket <name-appid> --region <region>');
  if (positionals.length > 1) throw new UsageError(`Upload takes one file; quote names with spaces: ${positionals.join(' ')}`);
  const target = parseTarget(values);
  const filePath = path.resolve(positionals[0]);

  const options: Partial<UploadOptions> = { ...parseTuning(values), ...parseObjectOptions(values, env) };
  if (values['multipart-threshold'] !== undefined) options.multipartThreshold = parseByteSize('--multipart-threshold', values['multipart-threshold']);

  return {
    command: 'upload',
    filePath,
    key: values.key ?? path.basename(filePath),
    ...target,
    options,
    stateDir: stateDirFrom(values['state-dir'], env),
    onCancel: parseOnCancel(values['on-cancel']),
    onFileChanged: parseOnFileChanged(values['on-file-changed']),
    quiet: values.quiet ?? false,
    json: values.json ?? false,
    verbose: values.verbose ?? false,
  };
}
