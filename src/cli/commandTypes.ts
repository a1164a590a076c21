/** The typed commands that argument parsing returns and the command implementations take. */

import type { UploadOptions } from '../core/types';

import type { OnCancel } from '../core/types';
import type { DownloadCommand } from './downloadArgs';
export type { OnCancel };

export interface UploadCommand {
  command: 'upload';
  filePath: string;
  key: string;
  bucket: string;
  region: string;
  endpoint?: string;
  accelerate: boolean;
  options: Partial<UploadOptions>;
  stateDir: string;
  onCancel: OnCancel;
  onFileChanged: 'fail' | 'restart';
  quiet: boolean;
  json: boolean;
  verbose: boolean;
}

/** `cos-upload emulator ...`: the flags go to the emulator's own command line (src/emulator/main.ts). */
export interface EmulatorCommand {
  command: 'emulator';
  argv: string[];
}

export interface DemoCommand {
  command: 'demo';
  size: number;
  options: Partial<UploadOptions>;
  quiet: boolean;
  json: boolean;
}

/**
 * `cos-upload resume`: picks interrupted uploads up from their checkpoints. Target, key and file
 * come from each checkpoint; only how to send (tuning) and, for SSE-C, the key come from here.
 */
export interface ResumeCommand {
  command: 'resume';
  stateDir: string;
  /** Resume the checkpoints of this file (absolute); undefined with --all or when choosing automatically. */
  filePath?: string;
  all: boolean;
  /** Only list the checkpoints, resume nothing. */
  list: boolean;
  /** When a checkpoint's file changed: abort the old upload and start over (else refuse). */
  restart: boolean;
  options: Partial<UploadOptions>;
  onCancel: OnCancel;
  quiet: boolean;
  json: boolean;
  verbose: boolean;
}

export type IncompleteAction =
  | { type: 'list' }
  | { type: 'abort'; uploadId: string; key?: string; dryRun: boolean }
  | { type: 'abort-older-than'; days: number; dryRun: boolean };

/** `cos-upload incomplete`: the unfinished multipart uploads of a bucket, which COS bills for. */
export interface IncompleteCommand {
  command: 'incomplete';
  bucket: string;
  region: string;
  endpoint?: string;
  accelerate: boolean;
  prefix?: string;
  stateDir: string;
  action: IncompleteAction;
  retries?: number;
  json: boolean;
  verbose: boolean;
}

export type HelpTopic = 'upload' | 'demo' | 'resume' | 'incomplete' | 'download';

export type CliCommand =
  | UploadCommand
  | ResumeCommand
  | IncompleteCommand
  | EmulatorCommand
  | DemoCommand
  | DownloadCommand
  | { command: 'help'; topic?: HelpTopic }
  | { command: 'version' };
