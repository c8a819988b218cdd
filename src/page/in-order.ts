/**
 * @module An in-order queue of asynchronous steps: each input is processed as soon as the queue runs (several may be in
 * flight, and finish in any order), and the results are delivered strictly in the order the inputs came. A data
 * channel has two (data-channels.ts): what the page sends goes out in the page's order after sealing, and what arrives
 * reaches the page in arrival order after opening.
 *
 * Pure, and hardened for the page's realm: no Array (whose index setters and iterator the page can replace); slots live
 * in an object without a prototype, indexed by a counter.
 */

/** What a queue does with each input: `process` it (calling `done` once; a second call is ignored), then `deliver`. */
export interface InOrderSteps<In, Out> {
  process(input: In, done: (out: Out) => void): void;
  deliver(out: Out, input: In): void;
}

export interface InOrder<In> {
  /** Queues `input`: processed now if the queue runs, delivered after every input before it. */
  push(input: In): void;
  /** Runs the queue: processes everything queued, in order, and every later input as it comes. Idempotent. */
  start(): void;
  /** Drops every input not yet delivered (answers still to come for them are ignored). Returns how many. */
  clear(): number;
  /** How many inputs are queued: pushed and not yet delivered. */
  readonly length: number;
  /** Whether {@link InOrder.start} was called. */
  readonly running: boolean;
}

interface Slot<In, Out> {
  readonly input: In;
  out: Out | undefined;
  done: boolean;
}

export function inOrder<In, Out>(steps: InOrderSteps<In, Out>): InOrder<In> {
  let slots = { __proto__: null } as unknown as Record<number, Slot<In, Out> | undefined>;
  /** The next slot to deliver, the next to process, and the next free one. */
  let head = 0;
  let next = 0;
  let tail = 0;
  let running = false;
  /** Bumped by clear(): answers for what it dropped find a later generation and are ignored. */
  let generation = 0;
  let delivering = false;
  let again = false;

  function deliverReady(): void {
    if (delivering) {
      again = true; // a step answered synchronously from inside deliver(): the outer loop goes on
      return;
    }
    delivering = true;
    try {
      do {
        again = false;
        for (let slot = slots[head]; slot?.done === true; slot = slots[head]) {
          slots[head] = undefined;
          head++;
          steps.deliver(slot.out as Out, slot.input);
        }
      } while (again);
    } finally {
      delivering = false;
    }
  }

  function processQueued(): void {
    while (running && next < tail) {
      const index = next++;
      const slot = slots[index] as Slot<In, Out>;
      const mine = generation;
      steps.process(slot.input, (out) => {
        if (mine !== generation || slot.done) return;
        slot.out = out;
        slot.done = true;
        if (index === head) deliverReady();
      });
    }
  }

  return {
    push(input) {
      slots[tail] = { input, out: undefined, done: false };
      tail++;
      processQueued();
    },
    start() {
      if (running) return;
      running = true;
      processQueued();
    },
    clear() {
      const dropped = tail - head;
      generation++;
      slots = { __proto__: null } as unknown as Record<number, Slot<In, Out> | undefined>;
      head = next = tail = 0;
      return dropped;
    },
    get length() {
      return tail - head;
    },
    get running() {
      return running;
    },
  };
}
