/**
 * @module Sends the frame's data-channel report (DataService.report) to the background, for the popup: at most once
 * every {@link DATA_REPORT_INTERVAL_MS}, only when it changed, and at once when it becomes empty (the connections went).
 */
import type { Timers } from '../timers';
import type { ChannelReport } from './channel-counts';

/** The most often a frame's data-channel report goes to the background. */
export const DATA_REPORT_INTERVAL_MS = 1_000;

export interface DataReporterOptions {
  timers: Pick<Timers, 'setTimeout'>;
  /** The frame's channels now. */
  report(): ChannelReport[];
  /** Sends them (replacing what the frame reported before; an empty list clears it). */
  send(channels: ChannelReport[]): void;
}

export class DataReporter {
  readonly #options: DataReporterOptions;
  /** What was sent last, as JSON (a report is small: at most 64 short entries). */
  #last = '[]';
  #due = false;

  constructor(options: DataReporterOptions) {
    this.#options = options;
  }

  /** Something may have changed: a report within the interval, if it did. */
  changed(): void {
    if (this.#due) return;
    this.#due = true;
    this.#options.timers.setTimeout(() => {
      this.#due = false;
      this.#sendIfChanged();
    }, DATA_REPORT_INTERVAL_MS);
  }

  /** The frame's channels went (its keys were dropped): an empty report now, if it was not empty. */
  cleared(): void {
    this.#sendIfChanged();
  }

  /** The runtime port was opened again (the background restarted): the report again, unless it is empty. */
  resend(): void {
    this.#last = '[]';
    this.#sendIfChanged();
  }

  #sendIfChanged(): void {
    const channels = this.#options.report();
    const json = JSON.stringify(channels);
    if (json === this.#last) return;
    this.#last = json;
    this.#options.send(channels);
  }
}
