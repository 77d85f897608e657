/**
 * Schemes a link may point to: the web and e-mail, as the server accepts (server/src/limits/urls.ts): a
 * `javascript:`, `data:` or `vbscript:` link is neither made, pasted, auto-linked nor rendered by the editor,
 * and a push holding one would be refused (MALFORMED_UPDATE).
 */
const LINK_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/**
 * Whether a link's address is one the editor keeps: read as the browser reads it (spaces, tabs and case in the
 * scheme seen through); a relative address has no scheme and is kept.
 */
export function isSafeLink(href: string | undefined | null): boolean {
  if (typeof href !== 'string') return false;
  try {
    return LINK_PROTOCOLS.has(new URL(href, 'https://relative.invalid/').protocol);
  } catch {
    return false;
  }
}
