import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';

/**
 * A minimal Chrome DevTools Protocol session on a Node process started with `--inspect=127.0.0.1:0`:
 * benchmarks force a garbage collection, read the heap and take CPU profiles without any hook in the server.
 */
export class Inspector {
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  /** Chunks of the heap snapshot being taken (`HeapProfiler.addHeapSnapshotChunk` events). */
  #snapshotChunks: string[] = [];

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as {
        id?: number;
        method?: string;
        params?: { chunk?: string };
        result?: unknown;
        error?: { message: string };
      };
      if (message.method === 'HeapProfiler.addHeapSnapshotChunk') this.#snapshotChunks.push(message.params?.chunk ?? '');
      if (message.id === undefined) return;
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.error) pending?.reject(new Error(message.error.message));
      else pending?.resolve(message.result);
    });
  }

  /** Connects to the `ws://…` address the process printed ("Debugger listening on …"). */
  static async connect(url: string): Promise<Inspector> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new Inspector(socket);
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Used heap in bytes after a full, forced garbage collection. */
  async heapAfterGc(): Promise<number> {
    await this.send('HeapProfiler.collectGarbage');
    await this.send('HeapProfiler.collectGarbage');
    const usage = await this.send<{ usedSize: number }>('Runtime.getHeapUsage');
    return usage.usedSize;
  }

  /**
   * Writes a heap snapshot (`.heapsnapshot`, open it in Chromium's DevTools Memory tab to compare two) to `file`,
   * after a forced collection.
   */
  async writeHeapSnapshot(file: string): Promise<void> {
    await this.send('HeapProfiler.collectGarbage');
    this.#snapshotChunks = [];
    await this.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    writeFileSync(file, this.#snapshotChunks.join(''));
    this.#snapshotChunks = [];
  }

  async startProfile(): Promise<void> {
    await this.send('Profiler.enable');
    await this.send('Profiler.setSamplingInterval', { interval: 200 });
    await this.send('Profiler.start');
  }

  /** Stops the profile and returns it in the `.cpuprofile` format (open it in Chromium's DevTools). */
  async stopProfile(): Promise<unknown> {
    const { profile } = await this.send<{ profile: unknown }>('Profiler.stop');
    return profile;
  }

  close(): void {
    this.socket.close();
  }
}
