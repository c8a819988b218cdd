/** crxjs: `?iife` / `?script` imports resolve to the built file's path inside the extension. */
declare module '*?iife' {
  const path: string;
  export default path;
}
