/**
 * Command-line parsing for `cos-upload`. Pure: takes argv and the environment, returns a typed
 * command or throws UsageError, so every rule here is unit-testable without spawning a process.
 * Values the core validates itself (bucket, region, endpoint, part-size ranges) are checked again
 * by the command before any request, through the core's own validators.
 *
 * This file picks the command; each command's flags live in its own `<command>Args.ts`, the
 * shared flag groups in flagTable.ts, value parsers in flagValues.ts and uploadOptionFlags.ts.
 */

import type { CliCommand, HelpTopic } from './commandTypes';
import { parseDemo } from './demoArgs';
import { parseDownload } from './downloadArgs';
import { parseIncomplete } from './incompleteArgs';
import { parseResume } from './resumeArgs';
import { parseUpload } from './uploadArgs';
import { UsageError } from './usageError';

// The parsing surface the command modules and tests import from one place.
export type * from './commandTypes';
export { UsageError } from './usageError';
export { credentialsFromEnv, defaultStateDir } from './cliEnvironment';
export { DEFAULT_DEMO_PART_SIZE, DEFAULT_DEMO_SIZE } from './demoArgs';
export { parseBitRate } from './flagValues';

/**
 * Parses `cos-upload <command> ...`. `env` supplies the defaults that come from the environment
 * (state directory, SSE-C key); credentials are read separately by `credentialsFromEnv`.
 */
export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliCommand {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
      return rest[0] === 'emulator' ? { command: 'emulator', argv: ['--help'] } : { command: 'help', topic: helpTopic(rest[0]) };
    case '-h':
    case '--help':
      return { command: 'help' };
    case '-v':
    case '--version':
    case 'version':
      return { command: 'version' };
    case 'upload':
      return parseUpload(rest, env);
    case 'resume':
      return parseResume(rest, env);
    case 'incomplete':
      return parseIncomplete(rest, env);
    case 'emulator':
      return { command: 'emulator', argv: rest };
    case 'download':
      return parseDownload(rest, env);
    case 'demo':
      return parseDemo(rest);
    default:
      throw new UsageError(
        command.startsWith('-')
          ? `Options go after the command, e.g. cos-upload upload <file> ${command}: ${command}`
          : `Unknown command; use upload, sync, download, resume, incomplete, emulator or demo: ${command}`,
      );
  }
}

const HELP_TOPICS: readonly HelpTopic[] = ['upload', 'demo', 'resume', 'incomplete', 'download'];

function helpTopic(word: string | undefined): HelpTopic | undefined {
  return HELP_TOPICS.find((topic) => topic === word);
}
