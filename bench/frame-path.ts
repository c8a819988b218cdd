/**
 * Which source files one frame runs code in, measured rather than read: V8's precise coverage (call counts) around a
 * single steady-state frame, sent and then received by the worker's sessions, with keys in place (the common case of
 * every frame of a call). Setup (the first frames, key requests, derivation) runs before the counters are reset.
 *
 *   npx tsx bench/frame-path.ts            # this tree
 *   npx tsx bench/frame-path.ts --json     # the same, as JSON
 *
 * Issue 20 asked how many files a newcomer following one frame passes through; this counts the files whose functions
 * run for it (a barrel or a type-only import runs nothing and is not counted).
 */
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { SUITE_FOR_KIND } from '../src/codecs';
import { deriveFrameKeys } from '../src/sframe';
import { ControlOutbox } from '../src/worker/control-outbox';
import { Keyring } from '../src/worker/keyring';
import { ReceiveSession } from '../src/worker/receive-session';
import { SendSession } from '../src/worker/send-session';
import type { EncodedFrame, SessionHost } from '../src/worker/session';
import { fixtures } from '../test/unit/fixtures';

type Kind = 'audio' | 'video';

/** A worker in a call as participant `pid`, whose key requests `serve` answers as the bridge would (one sender key). */
function participant(pid: bigint) {
  const requests: { kid: bigint; kind: Kind }[] = [];
  const keyring = new Keyring((kid, kind) => requests.push({ kid, kind }));
  let nextTrack = 0;
  const host: SessionHost = {
    keyring,
    call: () => ({ number: 1, participant: pid, generation: 0 }),
    newTrack: () => nextTrack++,
    outbox: new ControlOutbox({ onSent: () => {}, onDropped: () => {} }),
    onControl: () => {},
    requestKeyFrame: () => {},
  };
  const serve = async () => {
    for (const { kid, kind } of requests.splice(0)) {
      await keyring.install(kind, kid, await deriveFrameKeys(SUITE_FOR_KIND[kind], new Uint8Array(16).fill(42), kid));
    }
  };
  return { host, serve };
}

const frame = (data: Uint8Array, mimeType: string, type?: 'key' | 'delta'): EncodedFrame => {
  const encoded: EncodedFrame = { data: data.slice().buffer, getMetadata: () => ({ mimeType }) };
  return type === undefined ? encoded : Object.assign(encoded, { type });
};

const root = fileURLToPath(new URL('..', import.meta.url));
const inspector = new Session();
inspector.connect();
await inspector.post('Profiler.enable');
await inspector.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });

/** The source files (under src/) with a function that ran since the last call. */
async function filesRun(): Promise<string[]> {
  const { result } = await inspector.post('Profiler.takePreciseCoverage');
  const files = new Set<string>();
  for (const script of result) {
    if (!script.url.startsWith('file://')) continue;
    const path = fileURLToPath(script.url).slice(root.length);
    if (!path.startsWith('src/')) continue;
    // The module's own top-level code is the nameless first function: it ran at import, not for this frame.
    if (script.functions.some((f) => f.functionName !== '' && (f.ranges[0]?.count ?? 0) > 0)) files.add(path);
  }
  return [...files].sort();
}

const results: Record<string, { send: string[]; receive: string[] }> = {};
for (const [name, kind, mime] of [
  ['vp8-320x180', 'video', 'video/VP8'],
  ['opus-48k', 'audio', 'audio/opus'],
] as const) {
  const frames = fixtures.find((f) => f.name === name)?.frames;
  if (frames === undefined || frames.length < 8) throw new Error(`no fixture ${name}`);
  const alice = participant(0x0a1_1ce0_0001n);
  const bob = participant(0x0b0_b000_0002n);
  const sender = new SendSession(`send-${kind}-1`, kind as Kind, alice.host);
  const receiver = new ReceiveSession(`receive-${kind}-1`, kind as Kind, bob.host);
  // Warm up: keys asked for and installed on both sides, a few frames through.
  for (const [i, f] of frames.slice(0, 6).entries()) {
    const out = frame(f.data, mime, kind === 'video' ? (i === 0 || f.type === 'key' ? 'key' : 'delta') : undefined);
    const sent = await sender.process(out);
    await alice.serve();
    if (sent) await receiver.process(frame(new Uint8Array(out.data), mime));
    await bob.serve();
  }
  const data = frames[6]?.data as Uint8Array;
  await filesRun();
  const out = frame(data, mime, kind === 'video' ? 'delta' : undefined);
  if (!(await sender.process(out))) throw new Error('the measured frame was not sent');
  const send = await filesRun();
  const received = frame(new Uint8Array(out.data), mime);
  if (!(await receiver.process(received))) throw new Error('the measured frame was not received');
  const receive = await filesRun();
  results[kind] = { send, receive };
}

if (process.argv.includes('--json')) {
  console.log(JSON.stringify(results, null, 2));
} else {
  for (const [kind, { send, receive }] of Object.entries(results)) {
    console.log(`${kind}: send ${send.length} files, receive ${receive.length} files`);
    console.log(`  send:    ${send.join(' ')}`);
    console.log(`  receive: ${receive.join(' ')}`);
  }
}
inspector.disconnect();
