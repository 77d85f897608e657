import { pino } from 'pino';

/**
 * The server's structured logger: one JSON object per line on stdout (pino), so a log collector can read
 * every field. `LOG_LEVEL` sets the threshold (`info` by default, `silent` to mute, as tests may).
 * Expected refusals (a rule broken, a wrong password) are `info`; `error` is for what an operator must look at.
 */
export const logger = pino({
  // Quiet inside vitest unless asked: test output stays readable, and server processes keep their own.
  level: process.env.LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info'),
  base: { service: 'collectifs' },
  timestamp: pino.stdTimeFunctions.isoTime,
});

export type Logger = typeof logger;
