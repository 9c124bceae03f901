// A tiny structured logger: one JSON object per line on stderr. Callers never pass tokens or secrets.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
  /**
   * The least level this logger writes, when it drops the lines below one. A line below it need not be built: the
   * companion log's thread does not send it across (server/log-thread-worker.ts). Unset: every line is written.
   */
  readonly level?: LogLevel;
}

const ORDER: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Whether `logger` writes a line of `level`. */
export const logsAt = (logger: Pick<Logger, 'level'>, level: LogLevel): boolean =>
  logger.level === undefined || ORDER.indexOf(level) >= ORDER.indexOf(logger.level);

/** Lines at `minLevel` and above, each as one JSON line given to `write` (stderr unless told). */
export const consoleLogger = (minLevel: LogLevel = 'info', write: (line: string) => void = (line) => void process.stderr.write(line)): Logger => {
  const logger: Logger = {
    level: minLevel,
    log(level, msg, fields) {
      if (!logsAt(logger, level)) return;
      write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + '\n');
    },
  };
  return logger;
};

export const silentLogger: Logger = { log() {} };

/** A logger that keeps every line, for tests that check what was (and was not) logged. */
export const memoryLogger = (): Logger & { lines: string[] } => {
  const lines: string[] = [];
  return { lines, log: (level, msg, fields) => void lines.push(JSON.stringify({ level, msg, ...fields })) };
};
