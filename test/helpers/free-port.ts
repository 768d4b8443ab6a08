// A loopback port nobody listens on (yet): for a destination that is down, or a server started later.
// Chosen below Linux's ephemeral range (ip_local_port_range, 32768–60999 by default): a port from
// that range, once released, can be taken by any listen(0) or outgoing connection of the tests
// running beside this one, and a gateway retrying a "down" destination would then reach someone
// else's server (and the destination could not come back on its port: EADDRINUSE).
import { createServer } from 'node:net';

const lowest = 20_000;
const count = 12_000;

export async function freePort(): Promise<number> {
  for (let tries = 0; ; tries++) {
    const port = lowest + Math.floor(Math.random() * count);
    const probe = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (bound) {
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      return port;
    }
    if (tries === 50) throw new Error(`no free loopback port in ${lowest}–${lowest + count - 1}`);
  }
}
