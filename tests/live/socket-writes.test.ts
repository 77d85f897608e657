import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { FanoutSocket } from '../../server/src/transport/websocket.js';

/**
 * Issue 11: the server's sockets (`FanoutSocket`) write a frame at once when it is the socket's first of the turn
 * (a fan-out's one `next` per subscriber reaches the first subscribers while the rest are still being prepared),
 * and hold the frames that follow in the same turn to write them together at its end (a co-editing batch: one
 * system call for several `next` messages). Every frame arrives, in the order sent.
 */
describe('Socket writes', () => {
  let server: WebSocketServer;
  const clients: WebSocket[] = [];

  beforeAll(async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0, WebSocket: FanoutSocket });
    await once(server, 'listening');
  });

  afterAll(async () => {
    for (const client of clients) client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** A server socket and what its client receives (`until(n)`: resolves once n messages have arrived). */
  async function connect() {
    const accepted = once(server, 'connection') as Promise<[FanoutSocket]>;
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    clients.push(client);
    const received: string[] = [];
    const waiters: Array<() => void> = [];
    client.on('message', (data) => {
      received.push(String(data));
      for (const wake of waiters.splice(0)) wake();
    });
    const [[socket]] = await Promise.all([accepted, once(client, 'open')]);
    const until = async (count: number) => {
      while (received.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
      return received;
    };
    return { socket, until };
  }

  it('should write the first frame of a turn at once', async () => {
    const { socket, until } = await connect();
    socket.sendFinal('{"un":1}');
    // Handed to the kernel within the call: nothing waits in the socket's buffer for the end of the turn.
    expect(socket.bufferedAmount).toBe(0);
    expect(await until(1)).toEqual(['{"un":1}']);
  });

  it('should write the later frames of the turn together at its end, every frame in order', async () => {
    const { socket, until } = await connect();
    socket.sendFinal('{"un":1}');
    socket.sendFinal('{"deux":2}');
    socket.send('{"trois":3}');
    // The first went out; the two after it wait for the end of the turn.
    expect(socket.bufferedAmount).toBeGreaterThan(0);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(socket.bufferedAmount).toBe(0);
    // A new turn: its first frame goes out at once again.
    socket.sendFinal('{"quatre":4}');
    expect(socket.bufferedAmount).toBe(0);
    expect(await until(4)).toEqual(['{"un":1}', '{"deux":2}', '{"trois":3}', '{"quatre":4}']);
  });

  it('should end the turn once the promise jobs of the callback that sent them have run, before the event loop runs any other callback', async () => {
    const { socket, until } = await connect();
    // Sent from a promise job, as a mutation's answer is: the frames its later jobs send belong to the same turn.
    await Promise.resolve();
    socket.sendFinal('{"un":1}');
    socket.sendFinal('{"deux":2}');
    await Promise.resolve();
    socket.sendFinal('{"trois":3}');
    expect(socket.bufferedAmount).toBeGreaterThan(0);
    // Ended in a tick queued by the turn's first frame: it runs before this later one, and before any other
    // callback of the loop (ended in an immediate, the frames waited for every other socket's message read with
    // this one: a co-editing acknowledgement waited behind the execution of every other push and presence).
    await new Promise<void>((resolve) => process.nextTick(resolve));
    expect(socket.bufferedAmount).toBe(0);
    expect(await until(3)).toEqual(['{"un":1}', '{"deux":2}', '{"trois":3}']);
  });
});
