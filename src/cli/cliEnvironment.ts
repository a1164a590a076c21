/** What the CLI reads from the environment: the checkpoint folder and the credentials. */

import * as os from 'node:os';
import * as path from 'node:path';
import type { Credentials } from '../core/types';
import { UsageError } from './usageError';

/** $XDG_STATE_HOME/cos-upload/checkpoints when set, else ~/.cos-upload/checkpoints. */
export function defaultStateDir(env: NodeJS.ProcessEnv, home: string = os.homedir()): string {
  const xdg = env.XDG_STATE_HOME?.trim();
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'cos-upload', 'checkpoints');
  return path.join(home, '.cos-upload', 'checkpoints');
}

/** `--state-dir` when given (resolved against the working directory), else the default. */
export function stateDirFrom(value: string | undefined, env: NodeJS.ProcessEnv): string {
  return value !== undefined ? path.resolve(value) : defaultStateDir(env);
}

/** COS_SECRET_ID / COS_SECRET_KEY / COS_SESSION_TOKEN. The message names the variables, never values. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv): Credentials {
  const secretId = env.COS_SECRET_ID?.trim();
  const secretKey = env.COS_SECRET_KEY?.trim();
  if (!secretId || !secretKey) throw new UsageError('COS_SECRET_ID and COS_SECRET_KEY must be set (COS_SESSION_TOKEN too for temporary credentials)');
  const sessionToken = env.COS_SESSION_TOKEN?.trim();
  return { secretId, secretKey, ...(sessionToken ? { sessionToken } : {}) };
}
