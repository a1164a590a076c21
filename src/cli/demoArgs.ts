/** `cos-upload demo`: its flags and how they become a DemoCommand. */

import type { CliCommand } from './commandTypes';
import { COMMON_OPTIONS, strictParse, TUNING_OPTIONS, type OptionSpec } from './flagTable';
import { parseByteSize } from './flagValues';
import { parseTuning } from './uploadOptionFlags';
import { UsageError } from './usageError';

export const DEFAULT_DEMO_SIZE = 48 * 1024 * 1024;
/** Several parts for the default demo file, so the parallel path is what the demo shows. */
export const DEFAULT_DEMO_PART_SIZE = 8 * 1024 * 1024;

const DEMO_OPTIONS = {
  ...COMMON_OPTIONS,
  ...TUNING_OPTIONS,
  size: { type: 'string' },
} as const satisfies OptionSpec;

export function parseDemo(args: string[]): CliCommand {
  const { values, positionals } = strictParse(args, DEMO_OPTIONS);
  if (values.help) return { command: 'help', topic: 'demo' };
  if (values.version) return { command: 'version' };
  if (positionals.length > 0) throw new UsageError(`The demo command takes no file; it writes its own: ${positionals.join(' ')}`);
  const size = values.size === undefined ? DEFAULT_DEMO_SIZE : parseByteSize('--size', values.size);
  const options = parseTuning(values);
  options.partSize ??= DEFAULT_DEMO_PART_SIZE;
  // The demo exists to show parallel parts: anything bigger than one part goes multipart.
  if (typeof options.partSize === 'number') options.multipartThreshold = options.partSize;
  return { command: 'demo', size, options, quiet: values.quiet ?? false, json: values.json ?? false };
}
