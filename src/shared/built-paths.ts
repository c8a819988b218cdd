/**
 * Where the build puts the scripts the background injects into enabled sites (scripts/injected-scripts.ts emits
 * them; src/background/scripts.ts registers them). Neither is web-accessible: no page can load or detect them.
 */
/** The content bridge (ISOLATED world). */
export const BRIDGE_SCRIPT_FILE = 'src/content/bridge.js';
/** The page script (MAIN world), which carries the transform worker's code inside it. */
export const PAGE_SCRIPT_FILE = 'src/page/main.js';
