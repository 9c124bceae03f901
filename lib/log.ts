// A tiny structured logger: one JSON object per line on stderr. Callers never pass tokens or secrets.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
}

export const consoleLogger = (minLevel: LogLevel = 'info'): Logger => {
  const order: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  const min = order.indexOf(minLevel);
  return {
    log(level, msg, fields) {
      if (order.indexOf(level) < min) return;
      process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + '\n');
    },
  };
};

export const silentLogger: Logger = { log() {} };

/** A logger that keeps every line, for tests that check what was (and was not) logged. */
export const memoryLogger = (): Logger & { lines: string[] } => {
  const lines: string[] = [];
  return { lines, log: (level, msg, fields) => void lines.push(JSON.stringify({ level, msg, ...fields })) };
};
