/** A fresh, migrated database per test file (db/throwaway.ts): PostgreSQL when DATABASE_URL is set (CI), else PGlite. */
import type { DbHandle } from '../../db/client';
import { createThrowawayDb } from '../../db/throwaway';

export { dropDatabase } from '../../db/throwaway';

export type TestDb = DbHandle;

export function createTestDb(): Promise<TestDb> {
  return createThrowawayDb({ serverUrl: process.env.DATABASE_URL });
}
