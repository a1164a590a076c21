import { markCommandPhase } from '../debugTiming';

/** The second bundle; see handlers.ts. */
export type OnDemand = typeof import('./handlers');

let loaded: OnDemand | undefined;

/** Loads the command implementations and the uploader core on first use (Node caches it after that). */
export function onDemand(): OnDemand {
  // esbuild.js points this require at dist/extensionCommands.js instead of bundling it.
  if (loaded) return loaded;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded = require('./handlers') as OnDemand;
  markCommandPhase('command bundle loaded');
  return loaded;
}

/** Whether onDemand() has run in this extension host, for the activation test. */
export function onDemandLoaded(): boolean {
  return loaded !== undefined;
}
