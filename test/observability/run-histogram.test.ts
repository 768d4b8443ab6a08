// RunHistogram against prom-client's own Histogram: the same observations give the same
// exposition, line for line, whether they come one by one or in runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { RunHistogram } from '../../src/observability/run-histogram.js';

test('a run of n observations of one value is exposed exactly as n observations in a prom-client Histogram', async () => {
  const ours = new Registry();
  const theirs = new Registry();
  const options = { name: 'latency_seconds', help: 'Latency.', labelNames: ['environment', 'subscription'] as const, buckets: [0.01, 0.05, 0.1, 1, 10] };
  const runs = new RunHistogram({ ...options, registers: [ours] });
  const reference = new Histogram({ ...options, registers: [theirs] });
  runs.zero({ environment: 'prod', subscription: 'a' });
  reference.zero({ environment: 'prod', subscription: 'a' });
  runs.zero({ environment: 'prod', subscription: 'gone' });
  reference.zero({ environment: 'prod', subscription: 'gone' });
  const observations: [string, number, number][] = [['a', 0.01, 3], ['a', 0.0100001, 1], ['b', 0.2, 100], ['a', 5, 2], ['b', 10, 1], ['b', 11, 4], ['a', 0, 1]];
  for (const [subscription, value, count] of observations) {
    runs.observe(runs.labels({ environment: 'prod', subscription }), value, count);
    for (let i = 0; i < count; i++) reference.observe({ environment: 'prod', subscription }, value);
  }
  runs.remove({ environment: 'prod', subscription: 'gone' });
  reference.remove({ environment: 'prod', subscription: 'gone' });
  // Line for line; a sum of n equal values may differ from n additions in its last bits.
  const lines = (text: string) => text.split('\n').map((line) => (line.includes('_sum{') ? line.replace(/ ([\d.e+-]+)$/, (_m, v: string) => ` ${Number(v).toPrecision(12)}`) : line));
  assert.deepEqual(lines(await ours.metrics()), lines(await theirs.metrics()));
  assert.match(await ours.metrics(), /latency_seconds_bucket\{le="0.01",environment="prod",subscription="a"\} 4\n/);
});
