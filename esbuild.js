// Bundles the extension and the CLI. A failed build exits non-zero so CI and `npm test` stop.
const esbuild = require('esbuild');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Prints errors in the shape VS Code's esbuild problem matcher reads, for watch tasks. */
const problemMatcherPlugin = {
  name: 'esbuild-problem-matcher',
  setup(build) {
    build.onStart(() => console.log('[watch] build started'));
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log('[watch] build finished');
    });
  },
};

/**
 * undici loads node:http2 at start for HTTP/2, which the uploader never enables (it leaves allowH2
 * off, so ALPN offers http/1.1 only); undici falls back by itself when that require throws. For
 * the CLI, whose every run pays for what it loads.
 */
const noHttp2Plugin = {
  name: 'no-http2',
  setup(build) {
    build.onResolve({ filter: /^(node:)?http2$/ }, (args) =>
      /[\\/]undici[\\/]/.test(args.importer) ? { path: 'http2', namespace: 'no-http2' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'no-http2' }, () => ({
      contents: "throw new Error('HTTP/2 is left out of this bundle: the uploader never enables it');",
      loader: 'js',
    }));
  },
};

/**
 * mime-db's table, as mime-types reads it: only the types with file extensions or a charset, with
 * only those fields and `source` (which breaks ties between types for an extension); the rest
 * (about two thirds of the types) changes no lookup. Each run of the CLI pays for what it parses.
 */
function trimMimeDb(db) {
  const trimmed = {};
  for (const [type, entry] of Object.entries(db)) {
    if (!entry.extensions && !entry.charset) continue;
    trimmed[type] = {
      ...(entry.source ? { source: entry.source } : {}),
      ...(entry.charset ? { charset: entry.charset } : {}),
      ...(entry.extensions ? { extensions: entry.extensions } : {}),
    };
  }
  return trimmed;
}

/** Loads the trimmed table through JSON.parse, which V8 reads faster than the same object as JavaScript. */
const mimeDbPlugin = {
  name: 'trimmed-mime-db',
  setup(build) {
    build.onLoad({ filter: /[\\/]mime-db[\\/]db\.json$/ }, async (args) => {
      const db = JSON.parse(await require('node:fs').promises.readFile(args.path, 'utf8'));
      return { contents: `module.exports = JSON.parse(${JSON.stringify(JSON.stringify(trimMimeDb(db)))});`, loader: 'js' };
    });
  },
};

/**
 * The extension is two bundles: extension.js (activation: status bar, profiles, settings, the
 * command table) requires extensionCommands.js (commands, core, HTTP, XML, CRC64) at run time,
 * through src/extension/commands/onDemand.ts, on the first command that needs it.
 */
const onDemandPlugin = {
  name: 'extension-on-demand',
  setup(build) {
    build.onResolve({ filter: /^\.\/handlers$/ }, (args) =>
      /[\\/]commands[\\/]onDemand\.ts$/.test(args.importer) ? { path: './extensionCommands.js', external: true } : undefined,
    );
  },
};

const shared = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  // Error classes and the CRC engine name are reported by name; keep them readable.
  keepNames: true,
  // The native CRC64 binding is loaded at run time when it fits the host's ABI (see src/core/crc64.ts).
  external: ['vscode', 'crc64-ecma182'],
  logLevel: 'silent',
  plugins: watch ? [problemMatcherPlugin] : [],
};

const entries = [
  { entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', plugins: [...shared.plugins, onDemandPlugin] },
  { entryPoints: ['src/extension/commands/handlers.ts'], outfile: 'dist/extensionCommands.js', plugins: [...shared.plugins, noHttp2Plugin, mimeDbPlugin] },
  // The CLI is three bundles: cli.js parses arguments and prints help; it requires cliUpload.js (the
  // upload command alone) or cliCommands.js (every command: uploader, HTTP client, emulator) only to
  // run a command, so `--help` and usage errors load little and an upload loads no emulator.
  // Both are minified in every build: each run of the command reads and compiles them (source maps keep traces readable).
  {
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
    external: [...shared.external, './cliCommands', './cliUpload'],
    minify: true,
  },
  { entryPoints: ['src/cli/cliCommands.ts'], outfile: 'dist/cliCommands.js', minify: true, plugins: [...shared.plugins, noHttp2Plugin, mimeDbPlugin] },
  { entryPoints: ['src/cli/cliUpload.ts'], outfile: 'dist/cliUpload.js', minify: true, plugins: [...shared.plugins, noHttp2Plugin, mimeDbPlugin] },
  // Loaded by src/core/hashPool.ts from the bundle's own folder.
  { entryPoints: ['src/core/hashWorker.ts'], outfile: 'dist/hashWorker.js' },
  // The local COS emulator, for the extension's "Local emulator" endpoint: its own bundle, loaded
  // by src/extension/emulator/emulatorEndpoint.ts only when a user picks it (the CLI bundles it in cli.js).
  { entryPoints: ['src/emulator/index.ts'], outfile: 'dist/emulator.js' },
];

async function main() {
  const contexts = await Promise.all(entries.map((entry) => esbuild.context({ ...shared, ...entry })));
  if (watch) {
    await Promise.all(contexts.map((ctx) => ctx.watch()));
    return;
  }
  try {
    for (const ctx of contexts) {
      const result = await ctx.rebuild();
      for (const warning of result.warnings) console.warn(`warning: ${warning.text}`);
    }
  } finally {
    await Promise.all(contexts.map((ctx) => ctx.dispose()));
  }
}

module.exports = { shared, entries, trimMimeDb };

// Required (not run) by test/integration/cliHarness.ts, which rebuilds the CLI bundles with these entries.
if (require.main === module) {
  main().catch((error) => {
    for (const e of error.errors ?? [error]) {
      const where = e.location ? ` (${e.location.file}:${e.location.line})` : '';
      console.error(`build failed: ${e.text ?? e.message}${where}`);
    }
    process.exit(1);
  });
}
