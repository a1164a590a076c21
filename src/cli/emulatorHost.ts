/**
 * Access to the local COS emulator from the CLI. The emulator lives in test/emulator (it is test
 * infrastructure first), outside the src/ root the product's tsconfig compiles, so it is loaded
 * with a literal require that esbuild still bundles into dist/cli.js, and typed here with the
 * subset of its API the CLI uses. test/unit/cliArgs.test.ts checks this subset against the real
 * module at compile time.
 */

export interface EmulatorCredentials {
  secretId: string;
  secretKey: string;
  sessionToken?: string;
}

export interface RunningEmulator {
  readonly url: string;
  readonly bucket: string;
  readonly region: string;
  readonly credentials: EmulatorCredentials;
  objectSha256(key: string): Promise<string>;
  close(): Promise<void>;
}

export interface EmulatorStartOptions {
  port?: number;
  host?: string;
  dataDir?: string;
}

export interface EmulatorCliIo {
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  signal?: AbortSignal;
  handleSignals?: boolean;
  onStarted?: (emulator: RunningEmulator) => void;
}

export interface EmulatorModule {
  startEmulator(options?: EmulatorStartOptions): Promise<RunningEmulator>;
  /** The emulator's own command line; resolves with an exit code. */
  runEmulatorCli(argv: readonly string[], io?: EmulatorCliIo): Promise<number>;
}

let loaded: EmulatorModule | undefined;

export function loadEmulator(): EmulatorModule {
  if (loaded) return loaded;
  // test/emulator/main.ts starts its own command line when `require.main === module`. Bundled
  // into dist/cli.js it shares this bundle's `module`, so that test would be true and the emulator
  // would parse cos-upload's argv; hiding require.main while the module initialises prevents it.
  const main = require.main;
  require.main = undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- see the file comment: outside rootDir, bundled by esbuild.
    loaded = require('../../test/emulator') as EmulatorModule;
  } finally {
    require.main = main;
  }
  return loaded;
}
