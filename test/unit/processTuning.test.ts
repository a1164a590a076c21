import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { UPLOAD_PROCESS_V8_FLAGS } from '../../src/core/processTuning';

const repo = path.resolve(__dirname, '..', '..', '..');
const bundle = (name: string): string => readFileSync(path.join(repo, 'dist', name), 'utf8');

/**
 * V8 flags are process-wide: the CLI (a process of its own) sets them, the extension must not,
 * since the extension host runs every other extension's WebAssembly too.
 */
describe('V8 flags for a dedicated upload process', () => {
  it('the CLI bundle sets them', () => {
    for (const flag of UPLOAD_PROCESS_V8_FLAGS) assert.ok(bundle('cli.js').includes(flag), `dist/cli.js lacks ${flag}`);
  });

  it('the extension bundles never do', () => {
    for (const file of ['extension.js', 'extensionCommands.js']) {
      const extension = bundle(file);
      for (const flag of UPLOAD_PROCESS_V8_FLAGS) assert.ok(!extension.includes(flag), `dist/${file} contains ${flag}`);
      assert.ok(!/setFlagsFromString/.test(extension), `dist/${file} calls v8.setFlagsFromString`);
    }
  });

  it('the flags are ones this Node accepts', () => {
    const options = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    for (const flag of UPLOAD_PROCESS_V8_FLAGS) {
      const name = flag.replace(/^--/, '').replace(/=.*$/, '');
      assert.ok(options.includes(`--${name} `), `node --v8-options does not list ${name}`);
    }
  });
});
