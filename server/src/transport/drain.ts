import type { Plugin } from 'graphql-yoga';

/**
 * Counts the work in flight (HTTP requests, GraphQL executions over any transport) so that a graceful shutdown
 * can wait until none is left. Long-lived streams (SSE, subscriptions) are not counted: they never finish by
 * themselves, and are ended by the shutdown instead.
 */
export class InFlight {
  #count = 0;
  #waiters: Array<() => void> = [];

  get count(): number {
    return this.#count;
  }

  /** One piece of work starts; call the returned function once when it ends (later calls do nothing). */
  enter(): () => void {
    this.#count += 1;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#count -= 1;
      if (this.#count === 0) for (const waiter of this.#waiters.splice(0)) waiter();
    };
  }

  /** Resolves `true` once nothing is in flight, or `false` when `timeoutMs` passes first. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.#count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((other) => other !== waiter);
        resolve(false);
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }
}

/** Envelop plugin: each query and mutation execution (HTTP, SSE or graphql-ws) is in flight until its result is ready. */
export function useInFlight(inFlight: InFlight): Plugin {
  return {
    onExecute: () => {
      const leave = inFlight.enter();
      return { onExecuteDone: () => leave() };
    },
  };
}
