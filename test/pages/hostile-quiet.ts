/**
 * @module A hostile page script, for tests (`?hostile=quiet`): it silences Framelock's problem reports. Framelock's
 * page script tells its content bridge about a problem (a CSP that blocks its worker, a site that processes protected
 * media itself) with a `framelock:problem` event on window, which page listeners see too; a capturing listener added
 * by the page's first script runs before the bridge's and stops it. What it stopped is kept on window.__quiet.
 */

// A module, so that its names stay its own (the bundle wraps it in a function, as the script it was).
export {};

const stopped: string[] = [];
Object.defineProperty(window, '__quiet', { value: stopped });
window.addEventListener(
  'framelock:problem',
  (event) => {
    event.stopImmediatePropagation();
    stopped.push(JSON.stringify((event as CustomEvent).detail));
  },
  true,
);
