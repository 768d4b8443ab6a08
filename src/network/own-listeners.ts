// The gateway's own listeners as bound, per thread: destinations may never be one of them. Set by
// the gateway once it listens (a port 0 in the file is known only then) and passed on to the
// delivery thread with each configuration it applies.
import type { ListenerAddress } from './destination-policy.js';

let bound: readonly ListenerAddress[] = [];

export function ownListeners(): readonly ListenerAddress[] {
  return bound;
}

export function setOwnListeners(listeners: readonly ListenerAddress[]): void {
  bound = [...listeners];
}
