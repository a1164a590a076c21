/**
 * `cos-upload demo`: the whole product in one command with no cloud account. Starts the emulator in
 * this process, writes a file of random bytes, uploads it through the real core (signing, parallel
 * parts, CRC64 checks, checkpoint), then compares the stored object's SHA-256 with the file's.
 */

import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { finished } from 'node:stream/promises';
import { FileCheckpointStore, IntegrityError, staticCredentials, throwIfAborted, uploadFile, formatBytes } from '../core';
import { startEmulator, type RunningEmulator } from '../emulator';
import type { DemoCommand } from './args';
import { EXIT_OK, exitCodeFor, UploadReporter } from './output';
import type { CommandContext } from './upload';

const DEMO_KEY = 'demo/random.bin';
const WRITE_CHUNK = 1024 * 1024;

export async function runDemo(command: DemoCommand, context: CommandContext): Promise<number> {
  const { signal } = context;
  const reporter = new UploadReporter(context.streams, {
    json: command.json,
    quiet: command.quiet,
    destination: `emulator:${DEMO_KEY}`,
  });
  // Under --json stdout carries only JSON lines, so the narration goes to stderr.
  const narrate = (line: string) => void (command.json ? context.streams.stderr : context.streams.stdout).write(`${line}\n`);
  const say = (line: string) => {
    if (!command.quiet) narrate(line);
  };

  let emulator: RunningEmulator | undefined;
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cos-upload-demo-'));
  try {
    emulator = await startEmulator({ port: 0 });
    say(`emulator on ${emulator.url} (bucket ${emulator.bucket}, region ${emulator.region})`);

    const filePath = path.join(workDir, 'random.bin');
    const fileSha256 = await writeRandomFile(filePath, command.size, signal);
    say(`wrote ${formatBytes(command.size)} of random bytes to ${filePath}`);
    say(`sha256 ${fileSha256}`);

    const result = await uploadFile({
      filePath,
      key: DEMO_KEY,
      target: { bucket: emulator.bucket, region: emulator.region, endpoint: emulator.url },
      credentials: staticCredentials(emulator.credentials),
      options: command.options,
      checkpoints: new FileCheckpointStore(path.join(workDir, 'checkpoints')),
      onCancel: 'abort',
      signal,
      onEvent: reporter.onEvent,
    });

    const storedSha256 = await emulator.objectSha256(DEMO_KEY);
    if (storedSha256 !== fileSha256) {
      throw new IntegrityError('SHA-256 of the object the emulator stored', fileSha256, storedSha256);
    }
    reporter.summary(result);
    say(`stored object sha256 ${storedSha256} equals the file's`);
    narrate('demo OK');
    return EXIT_OK;
  } catch (error) {
    reporter.error(error);
    narrate('demo FAILED');
    return exitCodeFor(error);
  } finally {
    reporter.clearProgress();
    await emulator?.close().catch(() => undefined);
    await fs.rm(workDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Writes `size` random bytes and returns their SHA-256 (hex), hashed as written. */
export async function writeRandomFile(filePath: string, size: number, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(filePath);
  try {
    for (let written = 0; written < size; ) {
      throwIfAborted(signal);
      const chunk = randomBytes(Math.min(WRITE_CHUNK, size - written));
      hash.update(chunk);
      if (!out.write(chunk)) await once(out, 'drain'); // rejects if the stream fails
      written += chunk.length;
    }
  } finally {
    out.end();
  }
  await finished(out);
  return hash.digest('hex');
}
