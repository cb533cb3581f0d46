/**
 * The checkout's one compensation routine: each step registers its compensation before it runs; on a failure or a
 * cancel they all run, newest first, in a scope that a Temporal cancellation cannot interrupt. A compensation whose
 * activity fails past its retries is handed to `onFailure` and the others still run; a bug (any error that is not an
 * activity failure) is rethrown, so it fails the workflow task instead of being mistaken for a business outcome.
 */
import { ActivityFailure, CancellationScope } from '@temporalio/workflow';

export type CompensationName = 'closeOrder' | 'releaseInventory' | 'reversePayment';

interface Compensation<A> {
  name: CompensationName;
  run: (arg: A) => Promise<void>;
}

export class Compensations<A> {
  private readonly registered: Compensation<A>[] = [];

  /** Registers a compensation; call it before the step it undoes, so a step that half-happened is undone too. */
  add(name: CompensationName, run: (arg: A) => Promise<void>): void {
    this.registered.push({ name, run });
  }

  /** Runs every registered compensation once, newest first; later calls find none left. */
  async runAll(arg: A, onFailure: (name: CompensationName, err: ActivityFailure) => Promise<void>): Promise<void> {
    const pending = this.registered.splice(0).reverse();
    await CancellationScope.nonCancellable(async () => {
      for (const { name, run } of pending) {
        try {
          await run(arg);
        } catch (err) {
          if (!(err instanceof ActivityFailure)) throw err;
          await onFailure(name, err);
        }
      }
    });
  }
}
