/**
 * The parts of undici the core uses (Pool, EnvHttpProxyAgent and the request() API), loaded
 * without undici's index: the index also loads fetch, WebSocket, EventSource, caches, interceptors
 * and the mock agents, memory this uploader never uses that counts against the budget of every
 * upload (README, "Dependencies and why").
 *
 * These are internal paths: undici is pinned in package.json and every test level goes through
 * here, so a moved file fails loudly rather than silently.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import type * as Undici from 'undici';

type DispatcherClass = { prototype: object };

const Dispatcher = require('undici/lib/dispatcher/dispatcher') as DispatcherClass;
const api = require('undici/lib/api') as object;
// What undici's index does: request() and the other API methods live on Dispatcher.prototype.
if (!('request' in Dispatcher.prototype)) Object.assign(Dispatcher.prototype, api);

export const Pool = require('undici/lib/dispatcher/pool') as typeof Undici.Pool;
export const EnvHttpProxyAgent = require('undici/lib/dispatcher/env-http-proxy-agent') as typeof Undici.EnvHttpProxyAgent;
