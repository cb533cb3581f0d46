/**
 * The checkout's one compensation routine: each step registers its compensation before it runs; on a failure or a
 * cancel they all run, newest first, in a scope that a Temporal cancellation cannot interrupt. A compensation whose
 * activity fails past its retries is handed to `onFailure` and the others still run; it is kept, so that an operator
 * can have it run again (retryFailed). A bug (any error that is not an activity failure) is rethrown, so it fails the
 * workflow task instead of being mistaken for a business outcome.
 */
import { ActivityFailure, CancellationScope } from '@temporalio/workflow';

export type CompensationName = 'closeOrder' | 'releaseInventory' | 'reversePayment';

interface Compensation<A> {
  name: CompensationName;
  run: (arg: A) => Promise<void>;
}

export class Compensations<A> {
  private readonly registered: Compensation<A>[] = [];
  /** Those that ran out of retries, newest first, as they ran. */
  private readonly failures: Compensation<A>[] = [];

  /** Registers a compensation; call it before the step it undoes, so a step that half-happened is undone too. */
  add(name: CompensationName, run: (arg: A) => Promise<void>): void {
    this.registered.push({ name, run });
  }

  /** Runs every registered compensation once, newest first; later calls find none left. */
  async runAll(arg: A, onFailure: (name: CompensationName, err: ActivityFailure) => Promise<void>): Promise<void> {
    await this.run(this.registered.splice(0).reverse(), arg, onFailure);
  }

  /** The names of the compensations that ran out of retries and have not succeeded since. */
  failed(): CompensationName[] {
    return this.failures.map((c) => c.name);
  }

  /** Runs the failed compensations again, in the order they first ran; those that fail again stay failed. */
  async retryFailed(arg: A, onFailure: (name: CompensationName, err: ActivityFailure) => Promise<void>): Promise<void> {
    await this.run(this.failures.splice(0), arg, onFailure);
  }

  private async run(
    pending: Compensation<A>[],
    arg: A,
    onFailure: (name: CompensationName, err: ActivityFailure) => Promise<void>,
  ): Promise<void> {
    await CancellationScope.nonCancellable(async () => {
      for (const compensation of pending) {
        try {
          await compensation.run(arg);
        } catch (err) {
          if (!(err instanceof ActivityFailure)) throw err;
          this.failures.push(compensation);
          await onFailure(compensation.name, err);
        }
      }
    });
  }
}
