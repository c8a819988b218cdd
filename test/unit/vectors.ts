import { readFileSync } from 'node:fs';
import { hexToBytes } from '../../src/shared/bytes';

const raw = readFileSync(new URL('../vectors/rfc9605-test-vectors.json', import.meta.url), 'utf8');
// JSON.parse would round 64-bit integers: quote long ones first and read them as BigInt below.
const parsed = JSON.parse(raw.replace(/(?<=[:\s[,])(\d{16,})(?=\s*[,\]}])/g, '"$1"')) as {
  header: { kid: number | string; ctr: number | string; encoded: string }[];
  aes_ctr_hmac: Record<string, string | number>[];
  sframe: Record<string, string | number>[];
};

const big = (value: number | string | undefined): bigint => BigInt(value ?? Number.NaN);
const hex = (value: string | number | undefined): Uint8Array => hexToBytes(String(value));

export const headerVectors = parsed.header.map((v) => ({ kid: big(v.kid), ctr: big(v.ctr), encoded: hex(v.encoded) }));

export const aesCtrHmacVectors = parsed.aes_ctr_hmac.map((v) => ({
  suite: Number(v.cipher_suite),
  key: hex(v.key),
  encKey: hex(v.enc_key),
  authKey: hex(v.auth_key),
  nonce: hex(v.nonce),
  aad: hex(v.aad),
  pt: hex(v.pt),
  ct: hex(v.ct),
}));

export const sframeVectors = parsed.sframe.map((v) => ({
  suite: Number(v.cipher_suite),
  kid: big(v.kid),
  ctr: big(v.ctr),
  baseKey: hex(v.base_key),
  keyLabel: hex(v.sframe_key_label),
  saltLabel: hex(v.sframe_salt_label),
  sframeKey: hex(v.sframe_key),
  sframeSalt: hex(v.sframe_salt),
  metadata: hex(v.metadata),
  nonce: hex(v.nonce),
  aad: hex(v.aad),
  pt: hex(v.pt),
  ct: hex(v.ct),
}));
