/**
 * Many small files through the core sync against the emulator: several files in flight at once
 * over one pool, one Put Object per file (no Initiate/Complete), one log line per file, and an
 * unchanged second sync that sends no object bytes.
 */

import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { staticCredentials, syncFolder, type Logger } from '../../src/core';
import { startEmulator, type RunningEmulator } from '../../src/emulator';

const FILES = 120;

describe('sync of many small files (core)', function () {
  this.timeout(120_000);
  let emu: RunningEmulator;
  let dir: string;

  before(async () => {
    // Every answer 20 ms late, so files in flight overlap measurably in the request log.
    emu = await startEmulator({ discard: true, latencyMs: 20 });
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cos-sync-small-'));
    for (let i = 0; i < FILES; i++) {
      const file = path.join(dir, `d${i % 6}`, `f${i}.txt`);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, randomBytes(1000 + i));
    }
  });
  after(async () => {
    await emu.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('sends files concurrently as single Put Objects, logs one line per file, and re-syncs nothing', async () => {
    const lines: string[] = [];
    const logger: Logger = { debug: () => undefined, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
    const request = {
      folder: dir,
      prefix: 'many',
      target: { bucket: emu.bucket, region: emu.region, endpoint: emu.url },
      credentials: staticCredentials(emu.credentials),
      respectGitignore: false,
      logger,
    };
    emu.clearLog();
    const first = await syncFolder(request);
    assert.equal(first.uploaded.length, FILES);
    assert.equal(first.failed.length, 0);
    assert.ok(first.peakFilesAtOnce > 1, `files went one at a time (${first.peakFilesAtOnce})`);
    const ops = emu.log.map((e) => e.operation);
    assert.equal(ops.filter((o) => o === 'putObject').length, FILES);
    assert.ok(!ops.includes('initiate') && !ops.includes('complete'), 'no multipart round trips for small files');
    // Overlap: some Put Object arrived before an earlier one had been answered.
    const puts = emu.log.filter((e) => e.operation === 'putObject').map((e) => ({ start: Date.parse(e.time), end: Date.parse(e.time) + e.durationMs }));
    assert.ok(puts.some((p, i) => puts.some((q, j) => i !== j && q.start >= p.start && q.start < p.end)), 'no two Put Objects overlapped');
    const fileLines = lines.filter((l) => l.startsWith('sync file '));
    assert.equal(fileLines.length, FILES);
    for (const line of fileLines) assert.match(line, /^sync file key=many\/d\d\/f\d+\.txt action=upload-new bytes=\d+ etag=\S+ crc64=\d+ requestId=\S+$/);
    for (const u of first.uploaded) assert.equal(emu.objectInfo(u.key)?.crc64, u.crc64);

    emu.clearLog();
    const second = await syncFolder(request);
    assert.equal(second.uploaded.length, 0);
    assert.equal(second.summary['skip-unchanged'].count, FILES);
    assert.equal(emu.log.filter((e) => e.operation === 'putObject' || e.operation === 'uploadPart').length, 0, 'an unchanged re-sync sent object bytes');
  });
});
