import * as assert from 'node:assert/strict';
import { LOCK_RETRY_MS, SAVE_DEBOUNCE_MS, type SaveAttempt, SaveScheduler, type SchedulerClock } from '../../src/extension/uploadOnSave/saveScheduler';

/** Timers that fire only when the test advances time. */
class FakeClock implements SchedulerClock {
  private now = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; run: () => void }>();

  setTimeout(run: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.now + ms, run });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Moves time forward, firing due timers in order and letting the promises they start settle. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].run();
      await settle();
    }
    this.now = end;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** An upload the test finishes by hand, recording which job each attempt got. */
class ManualUploads {
  readonly started: string[] = [];
  private readonly finishers: Array<(attempt: SaveAttempt) => void> = [];
  running = 0;
  maxRunning = 0;

  upload = (job: string): Promise<SaveAttempt> => {
    this.started.push(job);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    return new Promise((resolve) =>
      this.finishers.push((attempt) => {
        this.running--;
        resolve(attempt);
      }),
    );
  };

  async finish(attempt: SaveAttempt = { status: 'uploaded' }): Promise<void> {
    const next = this.finishers.shift();
    assert.ok(next, 'no upload is running');
    next(attempt);
    await settle();
  }
}

describe('upload on save: the save scheduler', () => {
  let clock: FakeClock;
  let uploads: ManualUploads;
  let scheduler: SaveScheduler<string>;

  beforeEach(() => {
    clock = new FakeClock();
    uploads = new ManualUploads();
    scheduler = new SaveScheduler<string>({ upload: uploads.upload, clock });
  });

  afterEach(() => scheduler.dispose());

  it('turns ten quick saves into one upload of the last one, after the debounce', async () => {
    for (let i = 1; i <= 10; i++) {
      scheduler.saved('a.txt', `v${i}`);
      await clock.advance(50);
    }
    assert.deepEqual(uploads.started, []);
    await clock.advance(SAVE_DEBOUNCE_MS);
    assert.deepEqual(uploads.started, ['v10']);
    await uploads.finish();
    await clock.advance(5000);
    assert.deepEqual(uploads.started, ['v10']);
    assert.equal(scheduler.state().pending, 0);
  });

  it('never runs two uploads of one key at once, and uploads again after a save during the upload', async () => {
    scheduler.saved('a.txt', 'v1');
    await clock.advance(SAVE_DEBOUNCE_MS);
    assert.deepEqual(uploads.started, ['v1']);
    scheduler.saved('a.txt', 'v2');
    scheduler.saved('a.txt', 'v3');
    await clock.advance(SAVE_DEBOUNCE_MS * 5);
    assert.deepEqual(uploads.started, ['v1'], 'a second upload started while the first ran');
    await uploads.finish();
    await clock.advance(SAVE_DEBOUNCE_MS);
    assert.deepEqual(uploads.started, ['v1', 'v3']);
    assert.equal(uploads.maxRunning, 1);
    await uploads.finish();
    assert.deepEqual(scheduler.state().uploading, []);
  });

  it('runs different keys side by side', async () => {
    scheduler.saved('a.txt', 'a1');
    scheduler.saved('b.txt', 'b1');
    await clock.advance(SAVE_DEBOUNCE_MS);
    assert.deepEqual(uploads.started.sort(), ['a1', 'b1']);
    assert.deepEqual(scheduler.state().uploading.sort(), ['a.txt', 'b.txt']);
    await uploads.finish();
    await uploads.finish();
  });

  it('records a failure once, keeps it through further failures, and clears it on success', async () => {
    const failures: number[] = [];
    scheduler = new SaveScheduler<string>({ upload: uploads.upload, clock, onStateChange: (s) => failures.push(s.failed.size) });
    scheduler.saved('a.txt', 'v1');
    await clock.advance(SAVE_DEBOUNCE_MS);
    await uploads.finish({ status: 'failed', reason: 'SlowDown from COS' });
    assert.equal(scheduler.state().failed.get('a.txt'), 'SlowDown from COS');
    scheduler.saved('a.txt', 'v2');
    await clock.advance(SAVE_DEBOUNCE_MS);
    await uploads.finish({ status: 'failed', reason: 'SlowDown from COS' });
    assert.equal(scheduler.state().failed.size, 1);
    scheduler.saved('a.txt', 'v3');
    await clock.advance(SAVE_DEBOUNCE_MS);
    await uploads.finish();
    assert.equal(scheduler.state().failed.size, 0);
    assert.ok(failures.includes(1) && failures.at(-1) === 0);
  });

  it('does not show a failure that a newer save already retries', async () => {
    scheduler.saved('a.txt', 'v1');
    await clock.advance(SAVE_DEBOUNCE_MS);
    scheduler.saved('a.txt', 'v2');
    await uploads.finish({ status: 'failed', reason: 'the file changed while it was uploaded' });
    assert.equal(scheduler.state().failed.size, 0);
    await clock.advance(SAVE_DEBOUNCE_MS);
    assert.deepEqual(uploads.started, ['v1', 'v2']);
    await uploads.finish();
  });

  it('counts a throwing upload as a failure with its message', async () => {
    scheduler = new SaveScheduler<string>({ upload: () => Promise.reject(new Error('profile missing')), clock });
    scheduler.saved('a.txt', 'v1');
    await clock.advance(SAVE_DEBOUNCE_MS);
    assert.equal(scheduler.state().failed.get('a.txt'), 'profile missing');
  });

  it('waits for another uploader’s lock, retrying every 2 s with the newest save, without a failure', async () => {
    scheduler.saved('a.txt', 'v1');
    await clock.advance(SAVE_DEBOUNCE_MS);
    await uploads.finish({ status: 'locked', reason: 'held by pid 42' });
    assert.equal(scheduler.state().waitingForLock.get('a.txt'), 'held by pid 42');
    assert.equal(scheduler.state().failed.size, 0);
    scheduler.saved('a.txt', 'v2');
    await clock.advance(LOCK_RETRY_MS - 1);
    assert.deepEqual(uploads.started, ['v1'], 'retried before the lock interval');
    await clock.advance(1);
    assert.deepEqual(uploads.started, ['v1', 'v2']);
    assert.equal(scheduler.state().waitingForLock.size, 1, 'a retry in progress stopped counting as a wait');
    await uploads.finish({ status: 'locked', reason: 'held by pid 42' });
    await clock.advance(LOCK_RETRY_MS);
    assert.deepEqual(uploads.started, ['v1', 'v2', 'v2']);
    await uploads.finish();
    assert.equal(scheduler.state().waitingForLock.size, 0);
    assert.equal(scheduler.state().failed.size, 0);
  });

  it('holds saves while paused and uploads the last one per key on resume', async () => {
    scheduler.pause();
    scheduler.saved('a.txt', 'v1');
    scheduler.saved('a.txt', 'v2');
    await clock.advance(SAVE_DEBOUNCE_MS * 10);
    assert.deepEqual(uploads.started, []);
    assert.equal(scheduler.state().pending, 1);
    assert.equal(scheduler.state().paused, true);
    scheduler.resume();
    await clock.advance(0);
    assert.deepEqual(uploads.started, ['v2']);
    await uploads.finish();
  });

  it('lets a running upload finish when paused, and holds its follow-up until resume', async () => {
    scheduler.saved('a.txt', 'v1');
    await clock.advance(SAVE_DEBOUNCE_MS);
    scheduler.pause();
    scheduler.saved('a.txt', 'v2');
    await uploads.finish();
    await clock.advance(SAVE_DEBOUNCE_MS * 10);
    assert.deepEqual(uploads.started, ['v1']);
    scheduler.resume();
    await clock.advance(0);
    assert.deepEqual(uploads.started, ['v1', 'v2']);
    await uploads.finish();
  });

  it('starts nothing after dispose', async () => {
    scheduler.saved('a.txt', 'v1');
    scheduler.dispose();
    await clock.advance(SAVE_DEBOUNCE_MS * 10);
    scheduler.saved('a.txt', 'v2');
    await clock.advance(SAVE_DEBOUNCE_MS * 10);
    assert.deepEqual(uploads.started, []);
  });
});
