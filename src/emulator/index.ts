/**
 * Local COS emulator: a second, independent server-side implementation of the COS XML API calls
 * the uploader uses. See server.ts for the behaviour, faults.ts for the scripted failures.
 */

export { startEmulator, generateCredentials } from './server';
export type { EmulatorOptions, RunningEmulator, UploadSummary, ObjectInfo, NetworkModel } from './server';
export type { EmulatorCredentials, ExpiredTokenStyle } from './auth';
export type { RequestLogEntry } from './context';
export { FaultController } from './faults';
export type { FaultRule, FaultRuleState, FaultKind, Operation } from './faults';
export { runEmulatorCli, parseEmulatorArgs } from './main';
export type { EmulatorCliOptions } from './main';
