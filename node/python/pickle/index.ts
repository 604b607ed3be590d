/**
 * A pickle codec for the CPython managers protocol: reads protocols 2-5,
 * writes protocol 4, never executes anything. See values.ts for the value
 * mapping and limits.ts for the bounds.
 */
export { type UnpickleOptions, unpickle } from './decode.js';
export { type PickleOptions, pickle } from './encode.js';
export {
  PickleDecodeError,
  PickleEncodeError,
  PickleError,
  PickleForbiddenError,
  PickleLimitError,
  PickleOpcodeError,
} from './errors.js';
export { BUILTIN_EXCEPTIONS, isAllowedException } from './globals.js';
export * from './limits.js';
export {
  DEFAULT_GLOBAL_POLICY,
  GlobalPolicy,
  type GlobalPolicyOptions,
  isGlobalPattern,
  VALUE_TYPES,
} from './policy.js';
export * from './values.js';
