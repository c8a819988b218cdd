/**
 * @module Messages between execution contexts, one discriminated union per direction. Everything that arrives from a
 * less trusted context is validated at runtime by its receiver; one file per channel declares its messages.
 *
 * ```
 * options / popup ──UiRequest──▶ background          (chrome.runtime.sendMessage, JSON)
 * content bridge ◀──BackgroundToBridge── background   (runtime port "framelock-bridge", JSON: bytes as base64)
 * content bridge ──BridgeToBackground──▶ background
 * side panel ──PanelToBackground──▶ background          (runtime port "framelock-chat", JSON: the call chat)
 * side panel ◀──BackgroundToPanel── background
 * transform worker ──WorkerToBridge──▶ bridge         (private MessagePort, structured clone)
 * transform worker ◀──BridgeToWorker── bridge
 * page script ──TransformOptions, PagePortHandoff──▶ transform worker   (page-worker.ts)
 * page script ◀──WorkerToPage── transform worker
 * ```
 */
export * from './bridge';
export * from './chat';
export * from './data-channels';
export * from './page-worker';
export * from './problems';
export * from './rejections';
export * from './schema';
export * from './stats';
export * from './ui';
export * from './worker';
