import pLimit, { type LimitFunction } from 'p-limit';
import type { Limits } from '../config.js';

/**
 * Heavy work every caller of an instance shares, run a few at a time so that many callers at once queue
 * instead of multiplying the CPU and memory spent (`Limits['work']`, SECURITY.md): building export files, and
 * recomputing live dashboards.
 */
export interface WorkSlots {
  /** Export files built at once (`EXPORT_CONCURRENCY`). */
  exports: LimitFunction;
  /** Live dashboards recomputed at once (`DASHBOARD_CONCURRENCY`). */
  dashboards: LimitFunction;
}

/** The slots of one instance, sized from its settings (at least one each). */
export function workSlots(limits: Limits['work']): WorkSlots {
  return {
    exports: pLimit(Math.max(1, limits.exportConcurrency)),
    dashboards: pLimit(Math.max(1, limits.dashboardConcurrency)),
  };
}
