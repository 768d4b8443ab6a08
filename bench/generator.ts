// The bench's load generator: JSON arrays of PingOne-style events over keep-alive connections
// (undici), in a closed loop (each connection sends again when answered) or an open loop at a rate.
import { Pool } from 'undici';
import { pingOneEvent } from './pingone-events.js';

export const batchSize = 100;

export interface LoadOptions {
  token: string;
  connections: number;
  maxEvents: number;
  /** Open loop at this many events/s, ramping up from a tenth over `rampMs`. */
  rate?: number;
  rampMs?: number;
  /** Each request's event ids get a suffix of their own (JetStream dedupes on them). */
  uniqueIds?: boolean;
}

export interface Load {
  accepted: number;
  refused: number;
  /** Request latencies (ms), the time to a 202, while `measuring`. */
  latencies: number[];
  measuring: boolean;
  stop(): Promise<void>;
}

/** Bodies of 100 events with a `sentAt` placeholder, filled in per request (cheap string joins). */
function templatesOf(uniqueIds: boolean): string[][] {
  return Array.from({ length: 32 }, (_, b) => JSON.stringify(Array.from({ length: batchSize }, (_, i) => { const event = pingOneEvent(b * batchSize + i); return { ...event, id: uniqueIds ? `${String(event.id)}-@n@` : event.id, sentAt: -1 }; })).split('"sentAt":-1'));
}

/** Bytes of one request body. */
export const bodyBytes = Buffer.byteLength(templatesOf(false)[0]!.join('"sentAt":1795430000000'));

export function generate(ingests: string | string[], options: LoadOptions): Load {
  const templates = templatesOf(options.uniqueIds ?? false);
  const addresses = typeof ingests === 'string' ? [ingests] : ingests;
  const pools = addresses.map((ingest) => new Pool(`http://${ingest}`, { connections: Math.max(Math.ceil(options.connections / addresses.length), 1), pipelining: 1 }));
  const load = { accepted: 0, refused: 0, latencies: [], measuring: false, stopped: false } as unknown as Load & { stopped: boolean };
  let n = 0;
  const send = async (pool = pools[n % pools.length]!) => {
    const parts = templates[n++ % templates.length]!;
    const joined = parts.join(`"sentAt":${Date.now()}`);
    const body = options.uniqueIds ? joined.replaceAll('@n@', String(n)) : joined;
    const started = performance.now();
    const response = await pool.request({ path: '/v1/environments/prod/events', method: 'POST', headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' }, body });
    await response.body.dump();
    if (response.statusCode === 202) load.accepted += batchSize;
    else load.refused += batchSize;
    if (load.measuring) load.latencies.push(performance.now() - started);
  };
  const running: Promise<void>[] = [];
  if (options.rate === undefined) {
    for (let c = 0; c < options.connections; c++) {
      running.push((async () => {
        while (!load.stopped && load.accepted < options.maxEvents) await send(pools[c % pools.length]);
      })());
    }
  } else {
    // Open loop: requests leave on a fixed schedule whatever the answers (bounded in flight). The
    // rate ramps up from a tenth over the warm-up, so a cold (not yet optimised) gateway does not
    // start with a queue that the measured window then inherits.
    const rate = options.rate;
    const rampMs = options.rampMs ?? 0;
    const started = performance.now();
    /** When request `k` is due: ∫ rate(t) dt = k · batchSize, with rate(t) rising linearly from rate/10 over the ramp. */
    const dueAt = (k: number): number => {
      const events = k * batchSize;
      const rampEvents = ((rate * 0.1 + rate) / 2) * (rampMs / 1000);
      if (rampMs === 0 || events >= rampEvents) return rampMs + ((events - rampEvents) / rate) * 1000;
      // Solve 0.1·r·t + 0.45·r·t²/ramp = events (t in seconds) for t.
      const a = (0.45 * rate) / (rampMs / 1000);
      const b = 0.1 * rate;
      return ((-b + Math.sqrt(b * b + 4 * a * events)) / (2 * a)) * 1000;
    };
    let inFlight = 0;
    running.push((async () => {
      for (let k = 0; !load.stopped && load.accepted < options.maxEvents; k++) {
        const due = started + dueAt(k) - performance.now();
        if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
        if (inFlight >= 256) continue;
        inFlight++;
        void send().finally(() => inFlight--);
      }
    })());
  }
  load.stop = async () => {
    load.stopped = true;
    await Promise.all(running);
    await Promise.all(pools.map((pool) => pool.close()));
  };
  return load;
}
