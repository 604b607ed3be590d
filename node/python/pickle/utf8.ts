/**
 * UTF-8 with Python's `surrogatepass`: pickle writes a str's lone surrogates
 * (legal in Python and JS strings) as 3-byte sequences that strict UTF-8
 * forbids. The fast paths use TextEncoder/TextDecoder; only strings that hold
 * lone surrogates take the slow ones.
 */
import { PickleDecodeError } from './errors.js';

// A variable, not a literal: the isomorphic TextDecoder typing lacks `ignoreBOM`,
// which we need so a leading U+FEFF stays part of the string.
const STRICT_OPTIONS = { fatal: true, ignoreBOM: true };
const strictDecoder = new TextDecoder('utf-8', STRICT_OPTIONS);
const encoder = new TextEncoder();
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function encodeUtf8(text: string): Uint8Array {
  if (!LONE_SURROGATE.test(text)) return encoder.encode(text);
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (code < 0x80) out.push(code);
    else if (code < 0x800) out.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000) out.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    else {
      out.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    }
  }
  return Uint8Array.from(out);
}

export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return decodeSurrogatePass(bytes);
  }
}

/** Strict UTF-8 except that encoded surrogates (ED A0..BF xx) are accepted, as Python's surrogatepass does. */
function decodeSurrogatePass(bytes: Uint8Array): string {
  const units: number[] = [];
  let out = '';
  const flush = (): void => {
    out += String.fromCharCode(...units);
    units.length = 0;
  };
  const cont = (i: number): number => {
    const b = bytes[i];
    if (b === undefined || (b & 0xc0) !== 0x80) throw new PickleDecodeError(`invalid UTF-8 in a str at byte ${i}`);
    return b & 0x3f;
  };
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i] as number;
    let code: number;
    if (b < 0x80) {
      code = b;
      i += 1;
    } else if (b >= 0xc2 && b <= 0xdf) {
      code = ((b & 0x1f) << 6) | cont(i + 1);
      i += 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      code = ((b & 0x0f) << 12) | (cont(i + 1) << 6) | cont(i + 2);
      if (code < 0x800) throw new PickleDecodeError(`overlong UTF-8 in a str at byte ${i}`);
      i += 3;
    } else if (b >= 0xf0 && b <= 0xf4) {
      code = ((b & 0x07) << 18) | (cont(i + 1) << 12) | (cont(i + 2) << 6) | cont(i + 3);
      if (code < 0x10000 || code > 0x10ffff) throw new PickleDecodeError(`invalid UTF-8 in a str at byte ${i}`);
      i += 4;
    } else {
      throw new PickleDecodeError(`invalid UTF-8 in a str at byte ${i}`);
    }
    if (code >= 0x10000) units.push(0xd800 + ((code - 0x10000) >> 10), 0xdc00 + ((code - 0x10000) & 0x3ff));
    else units.push(code);
    if (units.length >= 4096) flush();
  }
  flush();
  return out;
}
