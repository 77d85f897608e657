import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { rawRequest } from '../support/raw-http.js';

// A built web app as Vite lays it out: index.html, content-hashed files under assets/, and a root file.
let dist: string;
let t: TestApp;
let url: string;
const SCRIPT = `console.log(${JSON.stringify('Collectifs '.repeat(500))});\n`;
const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/index-Ab12Cd34.js"></script></head><body></body></html>\n';

beforeAll(async () => {
  dist = await mkdtemp(join(tmpdir(), 'collectifs-dist-'));
  await mkdir(join(dist, 'assets'));
  await writeFile(join(dist, 'index.html'), INDEX);
  await writeFile(join(dist, 'assets', 'index-Ab12Cd34.js'), SCRIPT);
  await writeFile(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  t = await createTestApp({ clientDist: dist });
  url = await t.app.start();
});

afterAll(async () => {
  await t?.close();
  await rm(dist, { recursive: true, force: true });
});

describe('Web app files', () => {
  it('should serve hashed assets compressed, with a year of immutable cache', async () => {
    for (const encoding of ['br', 'gzip']) {
      const response = await fetch(`${url}/assets/index-Ab12Cd34.js`, { headers: { 'accept-encoding': encoding } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-encoding')).toBe(encoding);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect(response.headers.get('vary')).toMatch(/accept-encoding/i);
      expect(await response.text()).toBe(SCRIPT);
    }
    const plain = await fetch(`${url}/assets/index-Ab12Cd34.js`, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(Number(plain.headers.get('content-length'))).toBe(Buffer.byteLength(SCRIPT));
  });

  it('should answer a conditional request with 304', async () => {
    const first = await fetch(`${url}/assets/index-Ab12Cd34.js`);
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    // Not through fetch, which adds `Cache-Control: no-cache` to any conditional request.
    const again = await rawRequest(url, [
      `GET /assets/index-Ab12Cd34.js HTTP/1.1\r\nHost: x\r\nIf-None-Match: ${etag}\r\nConnection: close\r\n\r\n`,
    ]);
    expect(again.status).toBe(304);
  });

  it('should serve index.html, revalidated, for the root and for client routes', async () => {
    for (const path of ['/', '/collectives/abc', '/deals/3/response', '/tableau-de-bord']) {
      const response = await fetch(`${url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toMatch(/^text\/html/);
      expect(response.headers.get('cache-control'), path).toBe('no-cache');
      expect(await response.text(), path).toBe(INDEX);
    }
  });

  it('should answer 404 for a missing asset or file, never index.html', async () => {
    for (const path of ['/assets/index-00000000.js', '/assets/', '/assets/deeper/missing.css', '/missing.png', '/robots.txt']) {
      const response = await fetch(`${url}${path}`);
      expect(response.status, path).toBe(404);
      expect(await response.text(), path).not.toContain('<html');
    }
  });

  it('should serve other files of the build revalidated', async () => {
    const response = await fetch(`${url}/favicon.svg`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
  });

  it('should keep files outside the build out of reach', async () => {
    for (const path of ['/../package.json', '/assets/..%2f..%2fpackage.json', '/%2e%2e/%2e%2e/package.json', '/.env']) {
      const response = await fetch(`${url}${path}`);
      expect([400, 403, 404], path).toContain(response.status);
      expect(await response.text(), path).not.toContain('"name"');
    }
  });

  it('should refuse other methods than GET and HEAD', async () => {
    const head = await fetch(`${url}/assets/index-Ab12Cd34.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const response = await fetch(`${url}/`, { method });
      expect(response.status, method).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD');
    }
  });
});

describe('GraphiQL', () => {
  const page = (headers: Record<string, string>) => fetch(`${url}/graphql`, { headers: { accept: 'text/html', ...headers } });

  it('should serve its page compressed (brotli or gzip), revalidated, and whole without any CDN', async () => {
    for (const encoding of ['br', 'gzip']) {
      const response = await page({ 'accept-encoding': encoding });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-encoding')).toBe(encoding);
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(response.headers.get('etag')).toMatch(/^"sha256-/);
      expect(response.headers.get('vary')).toMatch(/accept\b.*accept-encoding/i);
      const html = await response.text();
      expect(html).toContain('Collectifs — GraphiQL');
      // Works offline: nothing it loads comes from elsewhere.
      expect(html).not.toMatch(/<(script|link)\b[^>]*\b(src|href)=["']?(https?:)?\/\//i);
    }
  });

  it('should send a third of its size or less compressed, and answer a revalidation with 304', async () => {
    const plain = await rawRequest(
      url,
      ['GET /graphql HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n'],
      { waitMs: 60_000 },
    );
    const compressed = await rawRequest(
      url,
      ['GET /graphql HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n'],
      { waitMs: 60_000 },
    );
    expect(plain.status).toBe(200);
    expect(compressed.status).toBe(200);
    // The replies read as latin1: one character per byte.
    const sizes = { plain: plain.text.length, gzip: compressed.text.length };
    console.info(`GraphiQL page: ${JSON.stringify(sizes)} bytes on the wire`);
    expect(sizes.gzip * 3).toBeLessThan(sizes.plain);
    const etag = (await page({})).headers.get('etag');
    const again = await rawRequest(url, [
      `GET /graphql HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\nIf-None-Match: ${etag}\r\nConnection: close\r\n\r\n`,
    ]);
    expect(again.status).toBe(304);
    expect(again.text.length).toBeLessThan(2000);
  });
});
