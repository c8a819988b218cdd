/**
 * @module MessageChannel and Worker replaced by constructors that remember what they made: the page's own channels,
 * ports and workers are no news when a hook sees them (log.ts, `mine`), unlike any Framelock hands the page.
 */
import { mine } from './log.ts';
import { apply, construct, defineProperty, NativeMessageChannel, page, weakAdd, weakHas } from './natives.ts';
import { hooks } from './replace.ts';

export function hookOwnChannels(): void {
  if (!apply(weakHas, hooks, [window.MessageChannel])) {
    const HostileChannel: typeof MessageChannel = new Proxy(NativeMessageChannel, {
      construct(target, args, newTarget) {
        const channel = construct(target, args, newTarget === HostileChannel ? target : newTarget) as MessageChannel;
        apply(weakAdd, mine, [channel]);
        apply(weakAdd, mine, [channel.port1]);
        apply(weakAdd, mine, [channel.port2]);
        return channel;
      },
    });
    apply(weakAdd, hooks, [HostileChannel]);
    defineProperty(window, 'MessageChannel', { value: HostileChannel, writable: true, configurable: true });
  }
  if (page.Worker && !apply(weakHas, hooks, [window.Worker])) {
    const NativeWorker = page.Worker;
    const HostileWorker: typeof Worker = new Proxy(NativeWorker, {
      construct(target, args, newTarget) {
        const worker = construct(target, args, newTarget === HostileWorker ? target : newTarget) as Worker;
        apply(weakAdd, mine, [worker]);
        return worker;
      },
    });
    apply(weakAdd, hooks, [HostileWorker]);
    defineProperty(window, 'Worker', { value: HostileWorker, writable: true, configurable: true });
  }
}
