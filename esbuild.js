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
 * mime-types, as its answers: the extension → type map it builds at load (scoring every type in
 * mime-db) is computed here, at build time, and the bundles get a module with the same API
 * (lookup, charset, contentType, extension, types, extensions) over that finished map, so no run
 * parses mime-db or scores its types.
 */
function mimeTypesModuleSource() {
  const real = require('mime-types');
  const db = require('mime-db');
  const charsets = {};
  for (const [type, entry] of Object.entries(db)) if (entry.charset) charsets[type] = entry.charset;
  const table = { types: real.types, extensions: real.extensions, charsets };
  // The functions are mime-types' own (MIT), reading the precomputed maps instead of mime-db.
  return `'use strict';
var extname = require('path').extname;
var table = JSON.parse(${JSON.stringify(JSON.stringify(table))});
var EXTRACT_TYPE_REGEXP = /^\\s*([^;\\s]*)(?:;|\\s|$)/;
var TEXT_TYPE_REGEXP = /^text\\//i;
exports.types = table.types;
exports.extensions = table.extensions;
exports.charset = function charset(type) {
  if (!type || typeof type !== 'string') return false;
  var match = EXTRACT_TYPE_REGEXP.exec(type);
  var found = match && table.charsets[match[1].toLowerCase()];
  if (found) return found;
  if (match && TEXT_TYPE_REGEXP.test(match[1])) return 'UTF-8';
  return false;
};
exports.charsets = { lookup: exports.charset };
exports.contentType = function contentType(str) {
  if (!str || typeof str !== 'string') return false;
  var mime = str.indexOf('/') === -1 ? exports.lookup(str) : str;
  if (!mime) return false;
  if (mime.indexOf('charset') === -1) {
    var charset = exports.charset(mime);
    if (charset) mime += '; charset=' + charset.toLowerCase();
  }
  return mime;
};
exports.extension = function extension(type) {
  if (!type || typeof type !== 'string') return false;
  var match = EXTRACT_TYPE_REGEXP.exec(type);
  var exts = match && table.extensions[match[1].toLowerCase()];
  if (!exts || !exts.length) return false;
  return exts[0];
};
exports.lookup = function lookup(path) {
  if (!path || typeof path !== 'string') return false;
  var extension = extname('x.' + path).toLowerCase().slice(1);
  if (!extension) return false;
  return table.types[extension] || false;
};
`;
}

const mimeTablePlugin = {
  name: 'mime-types-table',
  setup(build) {
    build.onLoad({ filter: /[\\/]mime-types[\\/]index\.js$/ }, () => ({ contents: mimeTypesModuleSource(), loader: 'js' }));
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
  { entryPoints: ['src/extension/commands/handlers.ts'], outfile: 'dist/extensionCommands.js', plugins: [...shared.plugins, noHttp2Plugin, mimeTablePlugin] },
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
  { entryPoints: ['src/cli/cliCommands.ts'], outfile: 'dist/cliCommands.js', minify: true, plugins: [...shared.plugins, noHttp2Plugin, mimeTablePlugin] },
  { entryPoints: ['src/cli/cliUpload.ts'], outfile: 'dist/cliUpload.js', minify: true, plugins: [...shared.plugins, noHttp2Plugin, mimeTablePlugin] },
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

module.exports = { shared, entries, mimeTypesModuleSource };

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
