import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const MiB = 1024 * 1024;

/** A file of random bytes in a fresh temp folder, with its SHA-256 for byte-identity checks. */
export async function makeFile(size: number, name = 'data.bin', dir?: string): Promise<{ path: string; sha256: string; dir: string }> {
  const folder = dir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'cos-it-')));
  const file = path.join(folder, name);
  const data = randomBytes(size);
  await fs.writeFile(file, data);
  return { path: file, sha256: createHash('sha256').update(data).digest('hex'), dir: folder };
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function tempDir(prefix = 'cos-it-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}
