import { logger } from './log.js';

/**
 * Logs what escaped every handler instead of letting Node end the process. Each fire-and-forget promise and
 * stream handles its own failure where it starts; these two only catch what a request path still lets slip,
 * so one bad request never takes the server down for everyone. Logged as `error`: each line is a bug to fix.
 */
export function logEscapedErrors(): void {
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, 'Unhandled promise rejection (a promise nobody awaited failed)');
  });
  process.on('uncaughtException', (error, origin) => {
    logger.error({ err: error, origin }, 'Uncaught exception');
  });
}
