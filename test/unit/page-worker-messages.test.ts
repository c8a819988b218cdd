/**
 * The page script ↔ transform worker channel (src/shared/messages/page-worker.ts): the worker accepts what the page
 * script sends (src/page/patch.ts, main.ts) and refuses anything else, so a transform whose options were tampered
 * with starts no session (fail closed).
 */
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  PagePortHandoffSchema,
  type TransformOptions,
  TransformOptionsSchema,
  WorkerToPageSchema,
} from '../../src/shared/messages';

const options = (value: unknown) => v.is(TransformOptionsSchema, value);

describe('transform options', () => {
  it.each<TransformOptions>([
    { side: 'send', kind: 'video', id: 'send-video-1' },
    { side: 'receive', kind: 'audio', id: 'receive-audio-12', trackId: '0c4d2f1e-8a8b-4c36-9f3e-1f2a3b4c5d6e' },
    { side: 'receive', kind: 'video', id: 'receive-video-3', trackId: 'janus0' },
    { side: 'send', kind: 'audio' },
  ])('accepts what the page script makes: %o', (value) => {
    expect(options(value)).toBe(true);
  });

  it.each([
    ['no object', null],
    ['an array', ['send', 'video']],
    ['a side of no kind', { side: 'both', kind: 'video', id: 'send-video-1' }],
    ['a kind of no kind', { side: 'send', kind: 'data', id: 'send-data-1' }],
    ['an id of another shape', { side: 'send', kind: 'video', id: 'send-video-0' }],
    ['an id that is not a string', { side: 'send', kind: 'video', id: 1 }],
    ['a track id too long', { side: 'receive', kind: 'video', id: 'receive-video-1', trackId: 'x'.repeat(65) }],
    ['an extra field', { side: 'send', kind: 'video', id: 'send-video-1', key: 'x' }],
  ])('refuses %s', (_, value) => {
    expect(options(value)).toBe(false);
  });
});

describe('the worker to the page script', () => {
  it('is a stop (null) or the id of a session to renew', () => {
    expect(v.is(WorkerToPageSchema, null)).toBe(true);
    expect(v.is(WorkerToPageSchema, 'receive-video-7')).toBe(true);
    expect(v.is(WorkerToPageSchema, 'anything')).toBe(false);
    expect(v.is(WorkerToPageSchema, undefined)).toBe(false);
  });
});

describe("the page script's port hand-off", () => {
  const nonce = '0123456789abcdef0123456789abcdef';
  it('accepts the first and the replacing worker’s', () => {
    expect(v.is(PagePortHandoffSchema, { type: 'framelock/port', nonce })).toBe(true);
    expect(v.is(PagePortHandoffSchema, { type: 'framelock/port', nonce, resumed: true })).toBe(true);
  });

  it('refuses another type, a missing nonce or extra fields', () => {
    expect(v.is(PagePortHandoffSchema, { type: 'framelock/other', nonce })).toBe(false);
    expect(v.is(PagePortHandoffSchema, { type: 'framelock/port' })).toBe(false);
    expect(v.is(PagePortHandoffSchema, { type: 'framelock/port', nonce, resumed: 'yes' })).toBe(false);
    expect(v.is(PagePortHandoffSchema, { type: 'framelock/port', nonce, port: 1 })).toBe(false);
  });
});
