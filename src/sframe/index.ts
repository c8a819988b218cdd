/**
 * @module SFrame, RFC 9605: the public API of the frame engine. Pure code: WebCrypto only, no DOM, no extension APIs.
 */
export {
  type CounterParity,
  DEFAULT_REPLAY_WINDOW,
  type DecryptedFrame,
  type SealedFrame,
  SFrameContext,
  type SFrameContextOptions,
} from './context';
export { SFrameError, type SFrameErrorReason } from './errors';
export {
  decodeHeader,
  encodeHeader,
  headerLength,
  headerLengthFromConfig,
  isMinimalField,
  type SFrameHeader,
} from './header';
export { deriveFrameKeys, deriveKeyMaterial, importRawFrameKeys } from './key-schedule';
export { ReplayWindow } from './replay';
export { CIPHER_SUITES, type CipherSuite, type FrameKeys, getCipherSuite } from './suites';
