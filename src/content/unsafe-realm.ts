/**
 * @module The unsafe-realm rule: a frame whose JavaScript realm page script of its origin could have reached before
 * our scripts ran gets no keys (the bridge serves it nothing, posts nothing to its worker port and ignores its
 * reports), and its calls carry no media: fail closed (docs/threat-model.md, "frames the page reached first").
 */

/**
 * True when page script of this origin could have reached this frame's JavaScript realm before our scripts ran in
 * it: a frame below a same-origin ancestor (the parent can hook an iframe's, srcdoc's or about:blank's built-ins
 * while it loads), or a window opened by a same-origin page. There the page script's saved built-ins may be the
 * page's, so the hand-off cannot be trusted: this frame gets no keys and its calls carry no media (fail closed).
 * The isolated world can test this: reading another window's document throws unless it is same-origin.
 */
export function reachableByPage(self: Window): boolean {
  const sameOrigin = (other: Window | null): boolean => {
    try {
      return other !== null && other !== self && other.document !== undefined;
    } catch {
      return false;
    }
  };
  for (let w: Window = self; w !== w.parent; w = w.parent) if (sameOrigin(w.parent)) return true;
  return sameOrigin(self.opener as Window | null);
}
