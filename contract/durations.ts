/** Durations as configured ('500ms', '30s', '15m', '24h', '7d') and the defaults of the checkout's two waits. */

/** The forms the config accepts (lib/config.ts) and durationMs() reads. */
export const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)$/;

/** How long stock stays held for a card that asks for 3-D Secure (PAYMENT_CONFIRMATION_TIMEOUT). */
export const DEFAULT_PAYMENT_CONFIRMATION_TIMEOUT = '15m';
/** How long a confirmed order can still be cancelled with a refund (CANCELLATION_WINDOW). */
export const DEFAULT_CANCELLATION_WINDOW = '24h';
/** How long a checkout may take to reach its cancellation window or an end before NeedsAttention (ORDER_STUCK_AFTER). */
export const DEFAULT_ORDER_STUCK_AFTER = '1h';

/** How long a cart may sit untouched before housekeeping expires it (CART_IDLE_EXPIRY). */
export const DEFAULT_CART_IDLE_EXPIRY = '7d';
/** How long a cart sits untouched before its one reminder email; off when not shorter than the expiry. */
export const DEFAULT_CART_REMINDER_AFTER = '3d';
/** How often the housekeeping schedule runs (HOUSEKEEPING_INTERVAL). */
export const DEFAULT_HOUSEKEEPING_INTERVAL = '15m';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** '15m' -> 900000. */
export function durationMs(value: string): number {
  const match = DURATION_PATTERN.exec(value);
  if (!match) throw new Error(`not a duration: ${value}`);
  return Number(match[1]) * DURATION_UNITS[match[2]!]!;
}
