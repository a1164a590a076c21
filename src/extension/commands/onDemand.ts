import * as fs from 'node:fs';
import * as path from 'node:path';
import { lastCodeCacheOutcome, requireWithCodeCache } from '../../core/codeCache';
import { markCommandPhase } from '../debugTiming';

/** The second bundle; see handlers.ts. */
export type OnDemand = typeof import('./handlers');

/** Where esbuild.js puts the second bundle: beside extension.js. */
const COMMAND_BUNDLE = 'extensionCommands.js';
/** Long enough for the first command's own code to be compiled, and so cached, too. */
const SAVE_CODE_CACHE_AFTER_MS = 5_000;

let loaded: OnDemand | undefined;
let codeCacheDir: string | undefined;

/** Set at activation (a path, no I/O): the folder of the command bundle's code cache. */
export function useCodeCache(dir: string): void {
  codeCacheDir = dir;
}

/** Loads the command implementations and the uploader core on first use (kept after that). */
export function onDemand(): OnDemand {
  if (loaded) return loaded;
  const bundle = path.join(__dirname, COMMAND_BUNDLE);
  if (codeCacheDir && fs.existsSync(bundle)) {
    loaded = requireWithCodeCache<OnDemand>(bundle, process.env, { dir: codeCacheDir, saveAfterMs: SAVE_CODE_CACHE_AFTER_MS });
    markCommandPhase(`command bundle loaded (code cache: ${lastCodeCacheOutcome()})`);
  } else {
    // Compiled by tsc rather than bundled: esbuild.js points this require at the bundle.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('./handlers') as OnDemand;
    markCommandPhase('command bundle loaded');
  }
  return loaded;
}

/** Whether onDemand() has run in this extension host, for the activation test. */
export function onDemandLoaded(): boolean {
  return loaded !== undefined;
}
