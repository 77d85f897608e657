import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoData } from '../../server/src/seed/demo.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { gid } from '../support/scenario.js';

// Downloading a tender response over HTTP, as the web app does: the file under a name people read (RFC 5987),
// for those who may see the response only.
let t: TestApp;
let url: string;
let responseId: string;
let title: string;

beforeAll(async () => {
  t = await createTestApp();
  await seedDemoData(t.db.prisma);
  url = await t.app.start();
  const response = await t.db.prisma.tenderResponse.findFirstOrThrow({ where: { deal: { isNot: null } } });
  responseId = gid('TenderResponse', response.id);
  title = response.title;
}, 120_000);
afterAll(() => t.close());

async function tokenOf(email: string): Promise<string> {
  const member = await t.db.prisma.member.findUniqueOrThrow({ where: { email } });
  return t.tokenFor(member.id);
}

const download = (query: string, token?: string) =>
  fetch(`${url}/exports/tender-response?${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('Tender response download', () => {
  it('should send the DOCX with its readable name in filename* and an ASCII fallback', async () => {
    const response = await download(
      `id=${encodeURIComponent(responseId)}&format=docx`,
      await tokenOf('camille.martin@collectifs.coop'),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('wordprocessingml');
    const disposition = response.headers.get('content-disposition') ?? '';
    expect(disposition).toMatch(/^attachment; filename="[\x20-\x7e]+\.docx"; filename\*=UTF-8''/);
    const encoded = /filename\*=UTF-8''([^;]+)/.exec(disposition)?.[1] ?? '';
    expect(decodeURIComponent(encoded)).toBe(`${title}.docx`);
    expect(title).toMatch(/[éè—]/);
    const zip = await JSZip.loadAsync(Buffer.from(await response.arrayBuffer()));
    const document = (await zip.file('word/document.xml')?.async('string')) ?? '';
    // The cover names the group's lead.
    expect(document).toContain('Mandataire');
    expect(document).toContain('Sommaire');
  });

  it('should send Markdown too', async () => {
    const response = await download(
      `id=${encodeURIComponent(responseId)}&format=markdown`,
      await tokenOf('camille.martin@collectifs.coop'),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toContain('.md');
    expect(await response.text()).toContain(`# ${title}`);
  });

  it('should refuse the anonymous, hide the response from outsiders and reject a malformed request', async () => {
    expect((await download(`id=${encodeURIComponent(responseId)}&format=docx`)).status).toBe(401);
    const outsider = await tokenOf('vincent.gauthier@collectifs.coop');
    expect((await download(`id=${encodeURIComponent(responseId)}&format=docx`, outsider)).status).toBe(404);
    const token = await tokenOf('camille.martin@collectifs.coop');
    expect((await download('id=nonsense&format=docx', token)).status).toBe(400);
    expect((await download(`id=${encodeURIComponent(responseId)}&format=pdf`, token)).status).toBe(400);
  });

  // Found by an attacker: IDs of the right type whose inside is not a UUID reached the database and answered 500
  // (logged as a server error); the route now reads IDs exactly as the schema does.
  it('should answer 400 BAD_REQUEST, never 500, for a TenderResponse ID whose inside is malformed', async () => {
    const token = await tokenOf('camille.martin@collectifs.coop');
    const inner = responseId && Buffer.from(responseId, 'base64').toString('utf8').split(':')[1];
    const malformed = ['TenderResponse:not-a-uuid', `TenderResponse:${inner}:x`, `TenderResponse:${inner}'`, 'TenderResponse:'];
    for (const raw of malformed) {
      for (const format of ['docx', 'markdown']) {
        const answer = await download(`id=${encodeURIComponent(Buffer.from(raw).toString('base64'))}&format=${format}`, token);
        expect({ raw, format, status: answer.status }).toEqual({ raw, format, status: 400 });
        expect((await answer.json()).errors[0].extensions.code).toBe('BAD_REQUEST');
      }
    }
    // The well-formed ID still downloads.
    expect((await download(`id=${encodeURIComponent(responseId)}&format=markdown`, token)).status).toBe(200);
  });
});
