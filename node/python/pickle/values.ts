/**
 * The JavaScript forms of Python values the codec reads and writes. They
 * live in shared/python/values.ts, since JS peers (browsers included) receive
 * them too; see the mapping table there.
 *
 * Decoding: a float with an integral value (2.0) becomes `PyFloat`, so it is
 * written back as a float; a bytearray becomes `PyByteArray`; a global the
 * policy allows (globals.ts) becomes `PyGlobal` (named as a value) or
 * `PyOpaque` (called or instantiated), kept as the pickle gave it.
 */
export * from '../../../shared/python/values.js';
