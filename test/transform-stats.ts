/**
 * @module One transform's counters as the worker reports them, for tests of every tier: all counters 0, `waiting`,
 * a video receiver unless `overrides` say otherwise.
 */
import type { TransformStats } from '../src/shared/messages';

export function transformStats(overrides: Partial<TransformStats> = {}): TransformStats {
  return {
    id: 'receive-video-1',
    side: 'receive',
    kind: 'video',
    protected: 0,
    unencrypted: 0,
    undecryptable: 0,
    dropped: 0,
    passthrough: 0,
    echoed: 0,
    status: 'waiting',
    ...overrides,
  };
}
