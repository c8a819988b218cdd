/**
 * The Web Locks stand-in the unit tests give the background (test/unit/web-locks.ts): that it orders and releases
 * locks as the spec says, since the background's read-modify-write sequences rely on exactly that.
 */
import { describe, expect, it } from 'vitest';
import { LockManagerStandIn } from './web-locks';

/** A promise and the function that resolves it. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('Web Locks stand-in', () => {
  it('grants one name’s lock to one task at a time, in request order', async () => {
    const locks = new LockManagerStandIn();
    const log: string[] = [];
    const first = deferred();
    const runs = ['a', 'b', 'c'].map((task) =>
      locks.request('x', async () => {
        log.push(`${task} start`);
        if (task === 'a') await first.promise;
        log.push(`${task} end`);
        return task;
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(log).toEqual(['a start']);
    first.resolve();
    expect(await Promise.all(runs)).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
  });

  it('runs the callback asynchronously, with the lock', async () => {
    const locks = new LockManagerStandIn();
    let granted: unknown;
    const run = locks.request('x', (lock) => {
      granted = lock;
    });
    expect(granted).toBeUndefined();
    await run;
    expect(granted).toEqual({ name: 'x', mode: 'exclusive' });
  });

  it('settles as the callback does, and releases the lock when it fails', async () => {
    const locks = new LockManagerStandIn();
    await expect(
      locks.request('x', () => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    await expect(locks.request('x', async () => Promise.reject(new Error('async')))).rejects.toThrow('async');
    expect(await locks.request('x', { mode: 'exclusive' }, async () => 'next')).toBe('next');
  });

  it('does not make other names wait', async () => {
    const locks = new LockManagerStandIn();
    const held = deferred();
    const x = locks.request('x', () => held.promise);
    expect(await locks.request('y', async () => 'y')).toBe('y');
    held.resolve();
    await x;
  });

  it('refuses what it does not implement', () => {
    const locks = new LockManagerStandIn();
    expect(() => locks.request('x', { mode: 'shared' } as never, async () => {})).toThrow(TypeError);
    expect(() => locks.request('x', { ifAvailable: true } as never, async () => {})).toThrow(TypeError);
  });

  it('is installed as navigator.locks', () => {
    expect(navigator.locks).toBeInstanceOf(LockManagerStandIn);
  });
});
