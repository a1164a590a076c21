/**
 * The fault matrix (test/faultMatrix/matrix.ts), cell by cell: each fault at each point of an
 * upload either is survived in the same run or fails cleanly and completes on resume, byte-identical,
 * with no secret in anything the upload produced. `npm run fault-matrix` prints the same matrix as
 * the README table.
 */

import { strict as assert } from 'node:assert';
import { FAULT_ROWS, formatMatrix, POINTS, runCell, startMatrixEnv, type CellResult, type MatrixEnv } from '../faultMatrix/matrix';

describe('fault matrix: every fault at every point of an upload', function () {
  this.timeout(30_000);
  let env: MatrixEnv;
  const cells: CellResult[] = [];

  before(async () => {
    env = await startMatrixEnv();
  });
  after(async () => {
    await env?.close();
  });

  for (const row of FAULT_ROWS) {
    describe(row.label, () => {
      for (const { id: point, label } of POINTS) {
        const expected = row.expect[point];
        if (!expected) continue;
        const what = expected === 'survived' ? 'is survived' : 'fails cleanly, then the resume completes';
        it(`at ${label}: ${what}, byte-identical`, async () => {
          const cell = await runCell(env, row, point);
          cells.push(cell);
          assert.equal(cell.outcome, expected, `outcome: ${JSON.stringify(cell)}`);
          assert.equal(cell.bytesLost, 0, 'bytes lost');
          assert.ok(cell.injected > 0, 'the fault was injected');
          if (expected === 'survived' && !row.harmless?.includes(point)) {
            assert.ok(cell.retries > 0 || cell.recoveries.length > 0, `surviving took a retry or a recovery: ${JSON.stringify(cell)}`);
          }
          assert.ok(cell.scannedTexts > 0, 'the secret scan had something to scan');
        });
      }
    });
  }

  // After the rows: mocha runs a suite's own tests before its nested suites.
  describe('the whole matrix', () => {
    it('has every cell, and adds up to no byte lost', () => {
      const expectedCells = FAULT_ROWS.reduce((n, row) => n + Object.keys(row.expect).length, 0);
      assert.equal(cells.length, expectedCells, 'every cell ran');
      const table = formatMatrix(cells);
      assert.match(table, new RegExp(`^${expectedCells} cells, \\d+ faults injected: \\d+ survived in the same run, \\d+ failed cleanly and completed on resume; 0 bytes lost\\.$`, 'm'));
    });
  });
});
