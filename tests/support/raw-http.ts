import { connect } from 'node:net';

/** What a raw exchange ended with: the status line's code (null when no response came) and the raw reply. */
export interface RawReply {
  status: number | null;
  text: string;
  /** True when the server closed the connection (rather than the client giving up waiting). */
  closedByServer: boolean;
}

/**
 * Sends bytes as they are over TCP (no HTTP client in between, so malformed requests stay malformed) and
 * collects the reply until the server closes the connection, a full response arrived, or `waitMs` passed.
 * `chunks` are written one after the other, `gapMs` apart. `localAddress` sends from another loopback address
 * (`127.0.0.2`: Linux routes all of 127.0.0.0/8 to the loopback interface), for limits counted per address.
 */
export function rawRequest(
  url: string,
  chunks: Array<string | Buffer>,
  options: { waitMs?: number; gapMs?: number; localAddress?: string } = {},
): Promise<RawReply> {
  const { port, hostname } = new URL(url);
  const waitMs = options.waitMs ?? 5_000;
  return new Promise((resolve) => {
    const socket = connect({ port: Number(port), host: hostname, localAddress: options.localAddress });
    const received: Buffer[] = [];
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(received).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: match ? Number(match[1]) : null, text, closedByServer });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk) => {
      received.push(chunk);
      if (complete(Buffer.concat(received).toString('latin1'))) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', async () => {
      for (const [index, chunk] of chunks.entries()) {
        if (done || socket.destroyed) return;
        if (index > 0 && options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
        if (!socket.destroyed) socket.write(chunk);
      }
    });
  });
}

/** A response whose head and (Content-Length) body have fully arrived. */
function complete(text: string): boolean {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = text.slice(0, end);
  if (/^HTTP\/1\.1 101/.test(head)) return true;
  const length = /\r\ncontent-length: *(\d+)/i.exec(head);
  if (length) return text.length - end - 4 >= Number(length[1]);
  return false;
}
