// What the gateway counts of itself, read from its /metrics before and after the measured window:
// requests, group commits (their size and the time in write and fdatasync) and GC pauses, per second.
import { request } from 'undici';

export const metricsToken = 'bench-metrics-token-0123456789';

const counted = {
  requests: 'siem_gateway_journal_committed_appends_total',
  commits: 'siem_gateway_journal_commits_total',
  writeSeconds: 'siem_gateway_journal_commit_write_seconds_total',
  syncSeconds: 'siem_gateway_journal_commit_sync_seconds_total',
  gcSeconds: 'siem_gateway_nodejs_gc_duration_seconds_sum',
  gcPauses: 'siem_gateway_nodejs_gc_duration_seconds_count',
} as const;

export type Counters = Record<keyof typeof counted, number>;

/** Sums each counter over its series (the delivery thread's GC included, where it is merged in). */
export async function readCounters(admin: string): Promise<Counters> {
  const response = await request(`http://${admin}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
  const text = await response.body.text();
  const sums = Object.fromEntries(Object.keys(counted).map((key) => [key, 0])) as Counters;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    for (const [key, name] of Object.entries(counted) as [keyof Counters, string][]) {
      if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{')) sums[key] += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sums;
}

/** Per second over the window, and per commit: what grows with connections shows here. */
export function counterRates(before: Counters, after: Counters, seconds: number): Record<string, number> {
  const delta = (key: keyof Counters) => after[key] - before[key];
  const round = (value: number, places = 1) => Math.round(value * 10 ** places) / 10 ** places;
  const commits = Math.max(1, delta('commits'));
  return {
    requests_per_s: Math.round(delta('requests') / seconds),
    commits_per_s: Math.round(delta('commits') / seconds),
    requests_per_commit: round(delta('requests') / commits),
    commit_write_ms: round((delta('writeSeconds') / commits) * 1000, 2),
    commit_sync_ms: round((delta('syncSeconds') / commits) * 1000, 2),
    gc_pauses_per_s: Math.round(delta('gcPauses') / seconds),
    gc_ms_per_s: round((delta('gcSeconds') / seconds) * 1000),
  };
}
