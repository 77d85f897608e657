/**
 * Whether a JSON text nests arrays and objects deeper than `maxDepth` levels (`[[1]]` is 2 levels; a scalar is
 * 0). One linear pass over the text, brackets inside strings ignored (escapes included), so a refusal costs
 * far less than `JSON.parse`, whose cost grows by about a microsecond per level and which would build the whole
 * structure first. Works on a string or on UTF-8 bytes (a multi-byte character never contains an ASCII byte).
 * The text need not be valid JSON: what does not parse is `JSON.parse`'s to refuse afterwards.
 */
export function jsonTooDeep(text: string | Uint8Array, maxDepth: number): boolean {
  const length = text.length;
  const at = typeof text === 'string' ? (i: number) => text.charCodeAt(i) : (i: number) => text[i] as number;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < length; i += 1) {
    const c = at(i);
    if (inString) {
      if (c === BACKSLASH) i += 1;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      depth += 1;
      if (depth > maxDepth) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth -= 1;
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
