import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BuildOptions, Metafile } from 'esbuild';
import { findRepoRoot } from '../repoRoot';

const ROOT = findRepoRoot();

/** Builds one entry of esbuild.js in memory and returns what went into it. */
async function inputsOf(outfile: string): Promise<{ inputs: string[]; imports: string[]; emitted: string[] }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- esbuild.js is the build script itself (CommonJS).
  const config = require(path.join(ROOT, 'esbuild.js')) as { shared: BuildOptions; entries: BuildOptions[] };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  const entry = config.entries.find((e) => e.outfile === outfile);
  assert.ok(entry, `esbuild.js has no entry for ${outfile}`);
  const result = await esbuild.build({ ...config.shared, ...entry, absWorkingDir: ROOT, write: false, metafile: true, sourcemap: false });
  const metafile = result.metafile as Metafile;
  const output = Object.values(metafile.outputs)[0];
  // `inputs` is every file read; `emitted` those with code left after tree shaking (a few bytes are an empty module stub).
  const emitted = Object.entries(output.inputs).filter(([, v]) => v.bytesInOutput > 100).map(([file]) => file);
  return { inputs: Object.keys(metafile.inputs), imports: output.imports.map((i) => i.path), emitted };
}

describe('the extension bundles: activation loads no HTTP, XML or CRC64 code', function () {
  this.timeout(60_000);

  it('leaves the core client, XML, CRC64, hashing, undici and the command implementations out of dist/extension.js', async () => {
    const { inputs, imports } = await inputsOf('dist/extension.js');
    const forbidden = [
      /^src\/core\/(index|cosClient|xml|crc64|hashPool|hashWorker|multipartUpload|transport|undiciParts|signer|integrity)\.ts$/,
      /node_modules\/(undici|fast-xml-parser|crc64-ecma182|mime-types)\//,
      /^src\/extension\/commands\/(handlers|upload|profiles|incomplete|testConnection|uploads)\.ts$/,
      // The COS view's listing and actions; only its provider and nodes load at activation.
      /^src\/extension\/bucketView\/(bucketTree|viewActions|viewObject|viewUploads|viewNavigation)\.ts$/,
      // State that must live in one bundle only: the test API's prompt hooks, the per-profile clock offsets.
      /^src\/extension\/(ui\/prompts|profiles\/sessionClock)\.ts$/,
    ];
    const loaded = inputs.filter((input) => forbidden.some((re) => re.test(input)));
    assert.deepEqual(loaded, [], `dist/extension.js bundles code only commands need:\n${loaded.join('\n')}`);
    assert.ok(imports.includes('./extensionCommands.js'), `dist/extension.js does not require the command bundle: ${imports.join(', ')}`);
  });

  it('puts the command implementations and the core in dist/extensionCommands.js', async () => {
    const { inputs } = await inputsOf('dist/extensionCommands.js');
    for (const wanted of ['src/extension/commands/upload.ts', 'src/core/cosClient.ts', 'src/core/multipartUpload.ts', 'src/extension/ui/prompts.ts']) {
      assert.ok(inputs.includes(wanted), `dist/extensionCommands.js lacks ${wanted}`);
    }
  });
});

describe('the CLI bundles: an upload loads only what uploading needs', function () {
  this.timeout(60_000);

  it('leaves the emulator and the other commands out of dist/cliUpload.js', async () => {
    const { emitted: inputs } = await inputsOf('dist/cliUpload.js');
    const forbidden = [/^src\/emulator\//, /^src\/cli\/(sync|download|resume|incomplete|demo|emulator)\.ts$/, /^src\/core\/(download|sync)\//];
    const loaded = inputs.filter((input) => forbidden.some((re) => re.test(input)));
    assert.deepEqual(loaded, [], `dist/cliUpload.js bundles code an upload never runs:\n${loaded.join('\n')}`);
    assert.ok(inputs.includes('src/cli/upload.ts') && inputs.includes('src/core/multipartUpload.ts'), 'dist/cliUpload.js lacks the uploader');
  });

  it('keeps the uploader out of dist/cli.js, which requires cliUpload.js and cliCommands.js by name', async () => {
    const { inputs, imports } = await inputsOf('dist/cli.js');
    const loaded = inputs.filter((input) => /^src\/core\/(cosClient|multipartUpload|xml|crc64)\.ts$|node_modules\/(undici|fast-xml-parser|mime-db|mime-types)\//.test(input));
    assert.deepEqual(loaded, [], `dist/cli.js bundles the uploader or the MIME table:\n${loaded.join('\n')}`);
    for (const bundle of ['./cliUpload', './cliCommands']) assert.ok(imports.includes(bundle), `dist/cli.js does not require ${bundle}: ${imports.join(', ')}`);
  });
});

describe("hash-wasm's CRC64 in the bundles", function () {
  this.timeout(60_000);

  it('is bundled where sync runs (cliCommands.js, extensionCommands.js) and in the hash worker, not into the single upload (cliUpload.js)', async () => {
    const module = 'node_modules/hash-wasm/dist/crc64.umd.min.js';
    for (const outfile of ['dist/cliCommands.js', 'dist/extensionCommands.js', 'dist/hashWorker.js']) assert.ok((await inputsOf(outfile)).emitted.includes(module), `${outfile} lacks ${module}`);
    assert.ok(!(await inputsOf('dist/cliUpload.js')).emitted.includes(module), 'dist/cliUpload.js bundles hash-wasm');
  });

  /** Starts dist/hashWorker.js, returns the engine it reports and its answer to one CRC job. */
  async function askBundledWorker(env: NodeJS.ProcessEnv): Promise<{ engine: string | undefined; answer: unknown }> {
    const worker = new Worker(path.join(ROOT, 'dist', 'hashWorker.js'), { env });
    try {
      const next = (): Promise<{ id: number; ready?: { name: string }; crc64?: string }> =>
        new Promise((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
        });
      const ready = await next();
      const buffer = new SharedArrayBuffer(16);
      Buffer.from(buffer).write('xx123456789', 'ascii');
      const answer = next();
      worker.postMessage({ id: 7, buffer, offset: 2, length: 9, md5: false });
      return { engine: ready.ready?.name, answer: await answer };
    } finally {
      await worker.terminate();
    }
  }

  it('the bundled hash worker, without the compiled engines (as in the .vsix), hashes with it and answers a job', async () => {
    const { engine, answer } = await askBundledWorker({ ...process.env, COS_UPLOAD_NATIVE_CRC64: '0' });
    assert.equal(engine, 'wasm');
    assert.deepEqual(answer, { id: 7, crc64: String(0x995dc9bbdf1939fan) });
  });

  it('the bundled hash worker hashes with the liblzma binding npm install built', async () => {
    const { engine, answer } = await askBundledWorker(process.env);
    assert.equal(engine, 'liblzma');
    assert.deepEqual(answer, { id: 7, crc64: String(0x995dc9bbdf1939fan) });
  });

  it('compiles and computes the CRC-64/XZ check value when bundled and minified as the CLI is', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- esbuild.js is the build script itself (CommonJS).
    const config = require(path.join(ROOT, 'esbuild.js')) as { shared: BuildOptions };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require('esbuild') as typeof import('esbuild');
    const result = await esbuild.build({
      ...config.shared,
      stdin: { contents: "export { startWasmCrc64 } from './src/core/wasmCrc64';", resolveDir: ROOT, loader: 'ts' },
      absWorkingDir: ROOT,
      write: false,
      minify: true,
      sourcemap: false,
    });
    const bundled = { exports: {} as { startWasmCrc64(): Promise<{ name: string; update(crc: bigint, data: Uint8Array): bigint } | undefined> } };
    new Function('exports', 'require', 'module', result.outputFiles[0].text)(bundled.exports, require, bundled);
    const engine = await bundled.exports.startWasmCrc64();
    assert.ok(engine, 'the bundled hash-wasm did not compile');
    assert.equal(engine.name, 'wasm');
    assert.equal(engine.update(0n, Buffer.from('123456789')), 0x995dc9bbdf1939fan);
  });
});

describe('the build-time mime-types table in the bundles', () => {
  it('answers lookup, charset, contentType and extension exactly as mime-types does', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { mimeTypesModuleSource } = require(path.join(ROOT, 'esbuild.js')) as { mimeTypesModuleSource(): string };
    const built = { exports: {} as typeof import('mime-types') };
    // The module text esbuild.js puts in the bundles, run as a CommonJS module.
    new Function('exports', 'require', 'module', mimeTypesModuleSource())(built.exports, require, built);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const real = require('mime-types') as typeof import('mime-types');
    const mime = built.exports;
    const extensions = Object.keys(real.types);
    assert.ok(extensions.length > 500, 'mime-types knows suspiciously few extensions');
    for (const ext of extensions) {
      for (const name of [`file.${ext}`, `DIR/Name.${ext.toUpperCase()}`, ext]) {
        assert.equal(mime.lookup(name), real.lookup(name), name);
        assert.equal(mime.contentType(name), real.contentType(name), name);
      }
    }
    const types = [...new Set(Object.values(real.types))];
    for (const type of [...types, 'text/x-unknown', 'application/x-unknown', ' text/html ; charset=latin1', '']) {
      assert.equal(mime.charset(type), real.charset(type), type);
      assert.equal(mime.extension(type), real.extension(type), type);
      assert.equal(mime.contentType(type), real.contentType(type), type);
    }
    for (const odd of ['noextension', 'dir.d/file', '.hidden', 'a.unknownext', '']) assert.equal(mime.lookup(odd), real.lookup(odd), odd);
  });
});
