/**
 * CPython `multiprocessing.connection` / `multiprocessing.managers` wire
 * pieces, transport-free: framing, the authentication handshake, the
 * request/reply messages and the error mapping.
 */
export { constantTimeEqual, type DigestName, hmacDigest, isDigestName, parseDigestPrefix } from './digests.js';
export { fromPythonException, fromTraceback, PythonException, toPythonException, tracebackText } from './exceptions.js';
export {
  DEFAULT_MAX_FRAME_BYTES,
  encodeFrame,
  FrameDecoder,
  type FrameDecoderOptions,
  frameHeader,
  type NextFrameOptions,
  SHORT_LENGTH_MAX,
  SkippedFrame,
} from './framing.js';
export {
  answerChallenge,
  CHALLENGE,
  CHALLENGE_RANDOM_BYTES,
  type ChallengeForm,
  clientHandshake,
  createResponse,
  deliverChallenge,
  FAILURE,
  type FrameChannel,
  HANDSHAKE_MAX_BYTES,
  type HandshakeOptions,
  LEGACY_CHALLENGE_BYTES,
  serverHandshake,
  WELCOME,
} from './handshake.js';
export {
  decodeReply,
  decodeRequest,
  encodeReply,
  encodeRequest,
  type Reply,
  type ReplyKind,
  type Request,
  type RequestInput,
} from './messages.js';
