// Baselines with nothing but `ws` and `node:http`, in a process of their own like the server:
//  - broadcast: POST /broadcast sends the request body, as is, to every connected socket;
//  - relay: every binary message from one socket of a room goes to the room's other sockets, and the sender
//    gets a one-byte acknowledgement once it has been handed to them (the floor of a co-editing relay).
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { serveCommands } from '../lib/processes.js';

async function listen(handler: Parameters<typeof createServer>[1]) {
  const http = createServer(handler);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { http, port: (http.address() as { port: number }).port };
}

/**
 * The browser floor: a bare editable block whose whole text goes over a WebSocket to the relay on every input,
 * and is shown as it comes by the other page.
 */
const TYPING_PAGE = `<!doctype html><meta charset="utf-8"><title>relay</title>
<style>.ProseMirror { min-height: 200px; border: 1px solid #888; padding: 8px }</style>
<div data-testid="editor"><div class="ProseMirror" contenteditable="true"><p id="text">&nbsp;</p></div></div>
<script>
  const text = document.getElementById('text');
  const socket = new WebSocket('ws://' + location.host + '/page');
  socket.onopen = () => document.body.dataset.connected = 'true';
  socket.onmessage = async (event) => { if (typeof event.data !== 'string') text.textContent = await event.data.text(); };
  text.parentElement.addEventListener('input', () => socket.send(new Blob([text.parentElement.textContent])));
</script>`;

serveCommands({
  broadcast: async () => {
    let wss: WebSocketServer | null = null;
    const { http, port } = await listen((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const payload = Buffer.concat(chunks).toString();
        for (const client of wss?.clients ?? []) client.send(payload);
        response.end('{"sent":true}');
      });
    });
    wss = new WebSocketServer({ server: http });
    return { ws: `ws://127.0.0.1:${port}/`, http: `http://127.0.0.1:${port}/broadcast` };
  },
  relay: async () => {
    const { http, port } = await listen((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(TYPING_PAGE);
    });
    const wss = new WebSocketServer({ server: http });
    const rooms = new Map<string, Set<import('ws').WebSocket>>();
    wss.on('connection', (socket, request) => {
      const room = request.url ?? '/';
      const members = rooms.get(room) ?? new Set();
      rooms.set(room, members);
      members.add(socket);
      socket.on('message', (data, isBinary) => {
        for (const other of members) if (other !== socket) other.send(data, { binary: isBinary });
        socket.send('a');
      });
      socket.on('close', () => members.delete(socket));
    });
    return { ws: `ws://127.0.0.1:${port}` };
  },
  heap: () => {
    (globalThis as { gc?: () => void }).gc?.();
    return process.memoryUsage().heapUsed;
  },
});
