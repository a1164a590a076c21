import * as assert from 'node:assert/strict';
import { runAdaptivePool } from '../../src/core/adaptivePool';

describe('runAdaptivePool', () => {
  it('runs every item, never more at once than the target, and grows when told', async () => {
    let target = 2;
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    const counts: number[] = [];
    await runAdaptivePool({
      pending: [1, 2, 3, 4, 5, 6, 7, 8],
      target: () => target,
      run: async (item, grow) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        seen.push(item);
        running--;
        if (item === 2) {
          target = 4;
          grow();
        }
      },
      onFailure: () => assert.fail('no failure expected'),
      onConcurrency: (active) => counts.push(active),
    });
    assert.deepEqual([...seen].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(peak, 4);
    assert.equal(counts[0], 2);
    assert.ok(counts.includes(4), `concurrency reports: ${counts.join(',')}`);
  });

  it('reports the first failure once, starts no new item after it, and throws it when all stopped', async () => {
    const failures: unknown[] = [];
    const started: number[] = [];
    const boom = new Error('part 3 failed');
    await assert.rejects(
      runAdaptivePool({
        pending: [1, 2, 3, 4, 5, 6],
        target: () => 2,
        run: async (item) => {
          started.push(item);
          await new Promise((r) => setTimeout(r, item === 3 ? 1 : 10));
          if (item >= 3) throw item === 3 ? boom : new Error(`later ${item}`);
        },
        onFailure: (error) => failures.push(error),
        onConcurrency: () => undefined,
      }),
      (error) => error === boom,
    );
    assert.deepEqual(failures, [boom]);
    assert.ok(!started.includes(6), `started after the failure: ${started.join(',')}`);
  });
});
