import pLimit, { type LimitFunction } from 'p-limit';
import type { Limits } from '../config.js';
import { rateLimited } from './refusals.js';

/**
 * Exports on one instance: built `exportConcurrency` at a time, at most `exportQueue` waiting, and at most
 * `exportsPerCaller` in flight (building or waiting) per caller. An export past either bound is refused at once
 * (`RATE_LIMITED`) instead of holding its request, and the memory its file would take, in a queue.
 */
export class ExportGate {
  readonly #slots: LimitFunction;
  readonly #perCaller = new Map<string, number>();

  constructor(readonly limits: Pick<Limits['work'], 'exportConcurrency' | 'exportQueue' | 'exportsPerCaller'>) {
    this.#slots = pLimit(Math.max(1, limits.exportConcurrency));
  }

  /**
   * Runs `build` (the whole export: reading the sections, measuring, building the file) in one of the slots, for
   * `caller` (`callerKey`). Resolves with what it returns.
   * @throws GraphQLError `RATE_LIMITED` (`exportsPerCaller`, `exportQueue`) past a bound; `build` did not run.
   */
  async run<T>(caller: string, build: () => Promise<T>): Promise<T> {
    const mine = this.#perCaller.get(caller) ?? 0;
    if (mine >= this.limits.exportsPerCaller)
      throw rateLimited(
        'exportsPerCaller',
        'Un de vos exports est encore en préparation : attendez-le avant d’en demander un autre.',
      );
    if (this.#slots.activeCount >= this.#slots.concurrency && this.#slots.pendingCount >= this.limits.exportQueue)
      throw rateLimited('exportQueue', 'Le serveur prépare déjà autant d’exports qu’il peut : réessayez dans un instant.', 1_000);
    this.#perCaller.set(caller, mine + 1);
    try {
      return await this.#slots(build);
    } finally {
      const left = (this.#perCaller.get(caller) ?? 1) - 1;
      if (left > 0) this.#perCaller.set(caller, left);
      else this.#perCaller.delete(caller);
    }
  }

  /** Exports building and waiting now (tests, metrics). */
  get inFlight(): number {
    return this.#slots.activeCount + this.#slots.pendingCount;
  }
}

/**
 * Heavy work every caller of an instance shares, run a few at a time so that many callers at once queue
 * instead of multiplying the CPU and memory spent (`Limits['work']`, SECURITY.md): building export files, and
 * recomputing live dashboards.
 */
export interface WorkSlots {
  /** Exports (`EXPORT_CONCURRENCY`, `EXPORT_QUEUE`, `EXPORTS_PER_CALLER`). */
  exports: ExportGate;
  /** Live dashboards recomputed at once (`DASHBOARD_CONCURRENCY`). */
  dashboards: LimitFunction;
}

/** The slots of one instance, sized from its settings (at least one each). */
export function workSlots(limits: Limits['work']): WorkSlots {
  return {
    exports: new ExportGate(limits),
    dashboards: pLimit(Math.max(1, limits.dashboardConcurrency)),
  };
}
