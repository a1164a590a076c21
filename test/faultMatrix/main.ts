/**
 * `npm run fault-matrix`: runs the fault matrix against a fresh emulator and prints it as the
 * Markdown table the README shows (faults × points of an upload, faults injected, bytes lost).
 * Progress goes to stderr, the table to stdout. Exits 1 when a cell broke a rule (bytes lost, a
 * secret in a message, resumable state thrown away) or ended other than expected.
 *
 *   node out/test/faultMatrix/main.js [--only 500-once,stall]
 */

import { FAULT_ROWS, formatMatrix, POINTS, runCell, startMatrixEnv, type CellResult } from './matrix';

function selectedRows(argv: readonly string[]): typeof FAULT_ROWS {
  const i = argv.indexOf('--only');
  if (i < 0) return FAULT_ROWS;
  const ids = (argv[i + 1] ?? '').split(',').filter(Boolean);
  const unknown = ids.filter((id) => !FAULT_ROWS.some((row) => row.id === id));
  if (unknown.length) throw new Error(`Unknown fault row; use one of ${FAULT_ROWS.map((r) => r.id).join(', ')}: ${unknown.join(', ')}`);
  return FAULT_ROWS.filter((row) => ids.includes(row.id));
}

async function main(): Promise<number> {
  const rows = selectedRows(process.argv.slice(2));
  const env = await startMatrixEnv();
  const cells: CellResult[] = [];
  const problems: string[] = [];
  const started = Date.now();
  try {
    for (const row of rows) {
      for (const { id: point, label } of POINTS) {
        const expected = row.expect[point];
        if (!expected) continue;
        try {
          const cell = await runCell(env, row, point);
          cells.push(cell);
          if (cell.outcome !== expected) problems.push(`${row.label} at ${label}: ${cell.outcome}, expected ${expected}`);
          if (cell.bytesLost !== 0) problems.push(`${row.label} at ${label}: ${cell.bytesLost} bytes lost`);
          process.stderr.write(`${row.id} @ ${point}: ${cell.outcome} (${cell.seconds.toFixed(2)} s)\n`);
        } catch (error) {
          problems.push(`${row.label} at ${label}: ${error instanceof Error ? error.message : String(error)}`);
          process.stderr.write(`${row.id} @ ${point}: FAILED\n`);
        }
      }
    }
  } finally {
    await env.close();
  }
  process.stdout.write(`${formatMatrix(cells, rows)}\n`);
  process.stderr.write(`\n${cells.length} cells in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  for (const problem of problems) process.stderr.write(`problem: ${problem}\n`);
  return problems.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
