/** Starting one contender's child process (child.ts) and collecting its one result line. */

import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { RESULT_MARKER, type ChildResult } from './child';

/** Child processes still running, so an interrupted benchmark can end them. */
const running = new Set<ChildProcess>();

/** Ends every child still running (the benchmark was interrupted). */
export function killRunningChildren(): void {
  for (const child of running) child.kill('SIGKILL');
}

function childCommand(): { script: string; execArgv: string[] } {
  // Compiled: out/test/bench/child.js. From source through tsx: test/bench/child.ts.
  const ext = path.extname(__filename);
  return { script: path.join(__dirname, `child${ext}`), execArgv: ext === '.ts' ? ['--import', 'tsx'] : [] };
}

export function runChild(name: string, json: unknown, timeoutMs: number): Promise<ChildResult> {
  const { script, execArgv } = childCommand();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...execArgv, script, name, JSON.stringify(json)], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
      if (line) {
        resolve(JSON.parse(line.slice(RESULT_MARKER.length)) as ChildResult);
        return;
      }
      const why = signal === 'SIGKILL' ? `no result within ${Math.round(timeoutMs / 1000)} s` : `exit ${code ?? signal}`;
      resolve({ ok: false, contender: name, error: `${why}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}` });
    });
  });
}
