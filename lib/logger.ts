/** pino, one logger per process; children carry request, order and workflow ids. */
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', name = 'orderly'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}
