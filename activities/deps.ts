/** What activities are built from: production and tests wire the same factories to different parts. */
import type { Db } from '../db/client';
import type { Config } from '../lib/config';

export interface ActivityDeps {
  db: Db;
  config: Config;
  /** Wall clock for timestamps written by activities (tests may pin it). */
  clock: () => Date;
}
