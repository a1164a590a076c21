/**
 * Local COS emulator: a second, independent server-side implementation of the COS XML API calls
 * the uploader uses. See server.ts for the behaviour, faults.ts for the scripted failures. The one
 * entry point for the CLI, the extension (as its own bundle, dist/emulator.js) and the tests.
 */

export { startEmulator } from './server';
export { generateCredentials } from './auth';
export type { EmulatorOptions, RunningEmulator, UploadSummary, StoredObject, NetworkModel } from './api';
export type { EmulatorCredentials, ExpiredTokenStyle } from './auth';
export type { RequestLogEntry } from './context';
export { FaultController } from './faults';
export type { FaultRule, FaultRuleState, FaultKind, EmulatedOperation } from './faults';
export { runEmulatorCli, parseEmulatorArgs } from './main';
export type { EmulatorCliIo, EmulatorCliOptions } from './main';
