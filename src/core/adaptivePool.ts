/**
 * Work items in flight, as many as an adaptive target allows: parts of an upload, ranges of a
 * download. The target may grow while items run (the caller calls `grow`) or shrink (a worker
 * then leaves after its item). The first failure aborts the rest and is thrown once all have stopped.
 */
export interface AdaptivePoolOptions<T> {
  pending: T[];
  /** The number of workers wanted now (AdaptiveConcurrency.current). */
  target(): number;
  /** Runs one item; may call `grow` when the target rose. */
  run(item: T, grow: () => void): Promise<void>;
  /** Told of the first failure, to abort the items still running. */
  onFailure(error: unknown): void;
  /** Told how many workers run after each change. */
  onConcurrency(active: number): void;
  /** Called with `grow` before the first workers start (e.g. to schedule a round-trip recheck). */
  beforeStart?(grow: () => void): void;
}

/** Resolves when every item ran, or rejects with the first failure once every worker has stopped. */
export async function runAdaptivePool<T>(options: AdaptivePoolOptions<T>): Promise<void> {
  const { pending } = options;
  let failure: { error: unknown } | undefined;
  let active = 0;
  const running: Array<Promise<void>> = [];
  const worker = async (): Promise<void> => {
    try {
      // A worker leaves when the target shrank below the number running (server pushback).
      while (failure === undefined && pending.length > 0 && active <= options.target()) {
        try {
          await options.run(pending.shift() as T, grow);
        } catch (error) {
          if (failure === undefined) {
            failure = { error };
            options.onFailure(error);
          }
          return;
        }
      }
    } finally {
      active--;
    }
  };
  const grow = (): void => {
    // Each new worker takes an item at once, so start one per pending item up to the target.
    while (active < options.target() && pending.length > 0) {
      active++;
      running.push(worker());
    }
    options.onConcurrency(active);
  };
  options.beforeStart?.(grow);
  grow();
  // Workers may be added while we wait, so wait until the list stops growing.
  for (let waited = 0; waited < running.length; ) {
    const batch = running.slice(waited);
    waited = running.length;
    await Promise.all(batch);
  }
  if (failure !== undefined) throw failure.error;
}
