/**
 * `cos-upload emulator`: serve the local COS emulator until Ctrl-C, for trying the uploader offline.
 * Flags and banner belong to the emulator's own command line (src/emulator/main.ts); this adds
 * the cos-upload command that talks to it.
 */

import { runEmulatorCli, type RunningEmulator } from '../emulator';
import type { EmulatorCommand } from './args';
import type { CliStreams } from './output';

/**
 * How to point `cos-upload upload` at the running emulator. The credentials are the emulator's own
 * throwaway pair, the one place the CLI prints credentials: a user needs them to reach it.
 */
export function emulatorHint(emulator: Pick<RunningEmulator, 'url' | 'bucket' | 'region' | 'credentials'>): string[] {
  const { secretId, secretKey, sessionToken } = emulator.credentials;
  return [
    'Upload to it with:',
    `  export COS_SECRET_ID=${secretId}`,
    `  export COS_SECRET_KEY=${secretKey}`,
    ...(sessionToken ? [`  export COS_SESSION_TOKEN=${sessionToken}`] : []),
    `  cos-upload upload <file> --bucket ${emulator.bucket} --region ${emulator.region} --endpoint ${emulator.url}`,
  ];
}

export function runEmulator(command: EmulatorCommand, streams: CliStreams, signal: AbortSignal): Promise<number> {
  // Under --json the emulator prints one JSON line; nothing may follow it on stdout.
  const json = command.argv.includes('--json');
  return runEmulatorCli(command.argv, {
    stdout: (text) => void streams.stdout.write(text),
    stderr: (text) => void streams.stderr.write(text),
    signal,
    // main.ts owns SIGINT/SIGTERM and turns them into `signal`.
    handleSignals: false,
    onStarted: (emulator) => {
      if (!json) streams.stdout.write(`${emulatorHint(emulator).join('\n')}\n`);
    },
  });
}
