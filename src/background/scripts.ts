/**
 * Built paths of the scripts the background injects into enabled sites. `?iife` makes Vite/crxjs emit each as a
 * classic, self-contained script: a module loader would run after the page's first scripts (DESIGN.md §2).
 */
import bridgeScript from '../content/bridge.ts?iife';
import pageScript from '../page/main.ts?iife';
import workerScript from '../worker/transform.ts?iife';

export const BRIDGE_SCRIPT: string = bridgeScript;
export const PAGE_SCRIPT: string = pageScript;
/** Loaded by the page-origin worker through importScripts, so it must be web-accessible (manifest). */
export const WORKER_SCRIPT: string = workerScript;
