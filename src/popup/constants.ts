/**
 * @module The popup's timings, each with its reason.
 */

/**
 * How often the call panel asks for the tab's status, in ms. The counters change with every frame; once a second is
 * what a person reads, and `storage.session` changes refresh it in between anyway.
 */
export const STATUS_REFRESH_MS = 1_000;
