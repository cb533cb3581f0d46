/** pino, one logger per process; children carry request, order and workflow ids, and lines the active trace's id. */
import { trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from './config';

export type { Logger };

export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  /** `json` (the default, and production's) or `pretty` (pino-pretty). */
  format?: LogFormat;
  /** Where lines go instead of stdout (tests). */
  destination?: DestinationStream;
}

/** LOG_FORMAT, with `auto` resolved: pretty on a terminal outside production, JSON otherwise. */
export function logFormatFor(config: Pick<Config, 'logFormat' | 'env'>, isTty = !!process.stdout.isTTY): LogFormat {
  if (config.logFormat !== 'auto') return config.logFormat;
  return isTty && config.env !== 'production' ? 'pretty' : 'json';
}

/**
 * The ids of the span active where the line is logged (an HTTP request, an activity), so a log line leads to its
 * trace. Without tracing there is never an active span and the mixin adds nothing.
 */
function traceIds(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  return { trace_id: traceId, span_id: spanId, trace_flags: `0${traceFlags.toString(16)}` };
}

/** pino-pretty, loaded only when asked for: a JSON logger never pays for it. */
function prettyStream(): DestinationStream | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pretty = require('pino-pretty') as (opts: object) => DestinationStream;
    return pretty({
      colorize: true,
      sync: true,
      singleLine: true,
      ignore: 'pid,hostname',
      translateTime: 'SYS:HH:MM:ss.l',
    });
  } catch {
    return undefined;
  }
}

export function createLogger(
  level: string = process.env.LOG_LEVEL ?? 'info',
  name = 'orderly',
  opts: LoggerOptions = {},
): Logger {
  const destination = opts.destination ?? (opts.format === 'pretty' ? prettyStream() : undefined);
  const options = { name, level, base: { pid: process.pid }, mixin: traceIds };
  return destination ? pino(options, destination) : pino(options);
}
