import * as fs from 'node:fs';
import * as path from 'node:path';

const PACKAGE_NAME = 'cos-part-uploader';

/**
 * The repository root, found by walking up to our package.json. Test helpers run both as compiled
 * files (out/test/...) and straight from source through tsx (test/...), so a fixed number of `..`
 * would be right for only one of them.
 */
export function findRepoRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) {
      return dir;
    }
    if (path.dirname(dir) === dir) {
      throw new Error(`Cannot find the repository root (a package.json named ${PACKAGE_NAME}) above: ${from}`);
    }
  }
}

/** Where tests put screenshots and logs worth keeping after a run (gitignored). */
export function artifactsDir(repoRoot: string = findRepoRoot()): string {
  const dir = path.join(repoRoot, 'test-artifacts');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
