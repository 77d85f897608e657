/**
 * Schemes a link in a section may point to: the web and e-mail. Anything else (`javascript:`, `vbscript:` and
 * `data:` run or show content of the link's choosing in the reader's browser or word processor; `file:` and
 * others open something local) is refused where a link enters (co-editing pushes) and dropped where it leaves
 * (exports). The web app's editor allows the same (client/src/features/editor/links.ts).
 */
export const LINK_PROTOCOLS: ReadonlySet<string> = new Set(['http:', 'https:', 'mailto:']);

/** Where a relative link is resolved to judge it: it has no scheme of its own, so it takes the page's (https). */
const RELATIVE_BASE = 'https://relative.invalid/';

/**
 * Whether a link's `href` leads to an address with one of `LINK_PROTOCOLS`, read with the WHATWG URL parser as
 * browsers read it: leading spaces and control characters, tabs and line breaks inside the scheme
 * (`java\tscript:`) and upper case are all seen through. A relative address (`/page`, `example.org`) has no
 * scheme and is allowed; one the parser refuses is not.
 */
export function isSafeLink(href: unknown): boolean {
  if (typeof href !== 'string') return false;
  try {
    return LINK_PROTOCOLS.has(new URL(href, RELATIVE_BASE).protocol);
  } catch {
    return false;
  }
}
