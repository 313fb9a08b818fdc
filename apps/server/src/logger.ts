import pino, { type LevelWithSilent, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { currentLogContext } from './observability/log-context';

export interface LoggerOptions {
  level: LevelWithSilent;
  /** `pretty` or `json`; unset: pretty when stdout is a terminal (a person reads it), json otherwise (a collector does). */
  format?: 'pretty' | 'json';
  /** Whether stdout is a terminal. Default process.stdout.isTTY. */
  isTTY?: boolean;
  /** Where lines go. Default stdout. */
  destination?: NodeJS.WritableStream;
}

/**
 * The controller's logger. Pretty lines are formatted in this thread (pino-pretty as a stream, not a transport):
 * a transport's worker thread would cost tens of MB for a few log lines a second.
 */
export function createLogger(options: LoggerOptions): Logger {
  // Every line names the request, run, step and job whose work wrote it (observability/log-context.ts).
  const base = { level: options.level, mixin: () => ({ ...currentLogContext() }) };
  const format = options.format ?? ((options.isTTY ?? process.stdout.isTTY) ? 'pretty' : 'json');
  if (format === 'json') {
    return options.destination ? pino(base, options.destination) : pino(base);
  }
  const stream = pretty({
    destination: options.destination ?? 1,
    colorize: options.isTTY ?? process.stdout.isTTY ?? false,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: true, // one event, one line: a terminal's scrollback stays greppable
    sync: true,
  });
  return pino(base, stream);
}
