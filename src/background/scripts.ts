/**
 * @module Built paths of the scripts the background injects into enabled sites: each a classic, self-contained script
 * (a module loader would run after the page's first scripts, DESIGN.md §2), built by scripts/injected-scripts.ts.
 */
export { BRIDGE_SCRIPT_FILE as BRIDGE_SCRIPT, PAGE_SCRIPT_FILE as PAGE_SCRIPT } from '../shared/built-paths';
