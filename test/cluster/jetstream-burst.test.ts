// A burst many times larger than every window on the JetStream path (the consumer's 1,000-message
// pulls, its 10,000 unacknowledged messages, a 500-event batch), posted the way the side-by-side
// load generator posts: a small pool of bodies sent again and again, so event ids repeat. Every
// event that got a 202 reaches the sink; a repeated id is a new event to the events API.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { events, post, singleNodeGateway } from '../helpers/cluster-gateways.js';
import { until } from '../helpers/manual-clock.js';

test('JetStream: a 40,000-event burst of repeated bodies is delivered whole, every event that got a 202', async (t) => {
  const { gateway, ids } = await singleNodeGateway(t, 'burst');

  const pool = Array.from({ length: 8 }, (_, body) => events(`pool-${body}`, 100));
  const requests = 400;
  let next = 0;
  let accepted = 0;
  const connection = async () => {
    for (let request = next++; request < requests; request = next++) {
      const status = await post(gateway.ingestUrl, pool[request % pool.length]);
      assert.equal(status, 202, `request ${request}`);
      accepted += 100;
    }
  };
  await Promise.all(Array.from({ length: 8 }, connection));
  assert.equal(accepted, 40_000);

  await until(() => ids('/siem').length >= accepted, 90_000, `every accepted event at the sink (${ids('/siem').length} of ${accepted} so far)`);
  const counts = new Map<string, number>();
  for (const id of ids('/siem')) counts.set(id, (counts.get(id) ?? 0) + 1);
  assert.equal(counts.size, 800, 'each pooled id');
  assert.ok([...counts.values()].every((count) => count === 50), 'each pooled event delivered once per time it was accepted');
});
