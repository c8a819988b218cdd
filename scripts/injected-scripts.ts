/**
 * Builds the two scripts the background injects into enabled sites, each one classic, self-contained script: the
 * content bridge (src/content/bridge.ts) and the page script (src/page/main.ts), which carries the transform worker's
 * code inside it.
 *
 * Why not `importScripts(<extension URL>)` from a Blob URL worker, as before: that fetch is made from the page's
 * origin, so the site's service worker sees it and can answer it with code of its own, which then runs inside our
 * worker and gets its port (docs/threat-model.md, "the page's origin"). The page script itself is injected by the
 * browser from the extension package (never fetched by the page), so code carried inside it reaches the worker
 * through no request at all: the page script makes the worker from a Blob of this source at document_start.
 *
 * crxjs's `?iife` imports would build these too, but its bundler takes no define or plugin of ours (so it could not
 * put the worker inside the page script), and it lists what it builds in `web_accessible_resources` for every http(s)
 * page, which lets any site detect the extension. Injected content scripts need no such listing: built here, emitted
 * at the paths of src/shared/built-paths.ts, nothing of ours is web-accessible. The bench uses
 * {@link buildWorkerSource} to run exactly the worker that ships.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Rolldown } from 'vite';
import { BRIDGE_SCRIPT_FILE, PAGE_SCRIPT_FILE } from '../src/shared/built-paths.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The `define` of the shipped build (vite.config.ts): what the bench needs to run the worker that ships. */
export const SHIPPED_DEFINE: Readonly<Record<string, string>> = {
  __FRAMELOCK_EPOCH_MS__: 'undefined',
  __FRAMELOCK_REKEY_INTERVAL_MS__: 'undefined',
  __FRAMELOCK_TEST_BUILD__: 'false',
};

/** How {@link bundleClassicScript} builds: the shipped scripts take the defaults. */
export interface ClassicScriptOptions {
  /** The folder `entry` is relative to and vite's root (the repository by default). */
  root?: string;
  define?: Readonly<Record<string, string>>;
  /** Minified (the default), or readable for tests whose failures should point at the source. */
  minify?: boolean;
  /**
   * Strict mode for the whole script (the default, as vite emits it). A page's own scripts are sloppy; test pages that
   * imitate them turn it off.
   */
  strict?: boolean;
}

/** Bundles `entry` as one self-contained classic script (an IIFE: no module, no import). */
export async function bundleClassicScript(
  entry: string,
  { root = ROOT, define = {}, minify = true, strict = true }: ClassicScriptOptions = {},
): Promise<string> {
  const result = await build({
    root,
    configFile: false,
    logLevel: 'warn',
    define: { ...define },
    build: {
      write: false,
      target: 'chrome118',
      minify,
      sourcemap: false,
      copyPublicDir: false,
      emptyOutDir: false,
      rollupOptions: {
        input: path.resolve(root, entry),
        output: { format: 'iife', entryFileNames: 'out.js', ...(strict ? {} : { strict: false }) },
      },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[];
  const chunks = outputs.flatMap((o) => o.output).filter((item) => item.type === 'chunk');
  const [chunk] = chunks;
  if (chunk === undefined || chunks.length !== 1 || !chunk.isEntry) {
    throw new Error(`${entry}: expected one self-contained script, got ${chunks.length} chunks`);
  }
  return chunk.code;
}

/** The transform worker (src/worker/transform.ts) as one classic script: what the page script starts. */
export function buildWorkerSource(define: Readonly<Record<string, string>> = SHIPPED_DEFINE): Promise<string> {
  return bundleClassicScript('src/worker/transform.ts', { define });
}

/** The injected scripts by their path in the extension; the page script holds the worker's source as a string. */
export async function buildInjectedScripts(
  define: Readonly<Record<string, string>> = SHIPPED_DEFINE,
): Promise<Record<string, string>> {
  const worker = await buildWorkerSource(define);
  const withWorker = { ...define, __FRAMELOCK_WORKER_SOURCE__: JSON.stringify(worker) };
  return {
    [BRIDGE_SCRIPT_FILE]: await bundleClassicScript('src/content/bridge.ts', { define }),
    [PAGE_SCRIPT_FILE]: await bundleClassicScript('src/page/main.ts', { define: withWorker }),
  };
}
