// Three gateway processes sharing one real nats-server's JetStream: the work spreads, a change made
// through one gateway applies on all, and when one is SIGKILLed under load the others take its
// subscriptions over and deliver every acknowledged event, in order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { opsToken } from '../helpers/in-process-gateway.js';
import { startIdSink } from '../helpers/http-sink.js';
import { NatsServer } from '../helpers/nats-server.js';
import { clusterDir, events, firstOccurrences, post, readiness, startClusterGateway, type RunningGateway } from '../helpers/cluster-gateways.js';
import { until } from '../helpers/manual-clock.js';

const leaseTtlSeconds = 3;
const subscriptions = ['s1', 's2', 's3', 's4', 's5', 's6'];

test('three gateways: shares of the subscriptions, a subscription created through one delivered by its owner, one SIGKILLed under load and its subscriptions taken over', async (t) => {
  const { dir, cleanup } = clusterDir(t, 'siem-gateway-cluster-');
  const nats = await NatsServer.start(dir);
  const { sink, ids } = await startIdSink();
  const gateways: RunningGateway[] = [];
  cleanup(async () => {
    for (const gateway of gateways) gateway.process.kill();
    await Promise.all(gateways.map((gateway) => gateway.process.exited));
    await sink.close();
    await nats.stop();
  });
  for (const name of ['gw-a', 'gw-b', 'gw-c']) gateways.push(await startClusterGateway(dir, { servers: [nats.url], stream: 'shared', name, sinkUrl: sink.url, subscriptions, leaseTtlSeconds }));
  const [a, b, c] = gateways as [RunningGateway, RunningGateway, RunningGateway];

  // The work spreads: every subscription has an owner, and each process holds its share.
  const owners = async () => new Map((await readiness(a.adminUrl)).subscriptions.map((subscription) => [subscription.id, subscription.owner]));
  await until(async () => {
    const seen = await owners();
    const counts = ['gw-a', 'gw-b', 'gw-c'].map((name) => [...seen.values()].filter((owner) => owner === name).length);
    return subscriptions.every((id) => seen.get(id) !== undefined) && counts.every((count) => count === 2);
  }, 15_000, 'two subscriptions owned by each gateway');
  const readyB = await readiness(b.adminUrl);
  assert.equal(readyB.process, 'gw-b');
  assert.ok(readyB.subscriptions.some((subscription) => subscription.state === 'elsewhere'), 'another gateway\'s subscription shows as delivered elsewhere');

  // A subscription created through A is known to B and C within 1 s, and delivered from its owner.
  const created = await fetch(`${a.adminUrl}/v1/environments/prod/subscriptions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${opsToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'api-made', httpEndpoint: { url: `${sink.url}/api-made` }, filterOptions: { includedActionTypes: ['*'] }, payloadOptions: { flushMs: 20, payloadFormat: { https: { format: 'ND_JSON' } } } }),
  });
  assert.equal(created.status, 201, await created.text());
  const createdAt = Date.now();
  await until(async () => (await readiness(b.adminUrl)).subscriptions.some((subscription) => subscription.id === 'api-made') && (await readiness(c.adminUrl)).subscriptions.some((subscription) => subscription.id === 'api-made'), 5_000, 'the new subscription on B and C');
  const appliedMs = Date.now() - createdAt;
  assert.ok(appliedMs <= 1_000, `applied on every gateway ${appliedMs} ms after the API answered`);
  await until(async () => (await owners()).get('api-made') !== undefined, 10_000, 'an owner for the new subscription');
  assert.equal(await post(c.ingestUrl, events('made', 5)), 202);
  await until(() => ids('/api-made').length >= 5, 10_000, 'delivery of the events sent through C to the subscription created through A');

  // Under load, sequential requests (so acceptance order is seq order) across the three ingest ports.
  const ownedByB = [...(await owners())].filter(([, owner]) => owner === 'gw-b').map(([id]) => id);
  assert.ok(ownedByB.length > 0);
  const accepted: string[] = [];
  let alive = [a, b, c];
  let killedAt = 0;
  for (let request = 0; request < 90; request++) {
    if (request === 30) {
      b.process.kill('SIGKILL');
      killedAt = Date.now();
      alive = [a, c];
    }
    const target = alive[request % alive.length]!;
    const batch = events(`load-${request}`, 20);
    const status = await post(target.ingestUrl, batch);
    if (status === 202) accepted.push(...batch.map((event) => event.id));
  }
  assert.ok(accepted.length >= 80 * 20, `most requests were acknowledged (${accepted.length / 20})`);

  // B's subscriptions are taken over by A or C once its leases run out.
  for (const id of ownedByB) {
    await until(async () => {
      const owner = (await owners()).get(id);
      return owner !== undefined && owner !== 'gw-b';
    }, 20_000, `a new owner for ${id}`);
  }
  const takenOver = [...a.process.lines, ...c.process.lines].filter((line) => typeof line.subscription === 'string' && ownedByB.includes(line.subscription) && /lease of subscription .* taken/.test(line.msg) && Number(line.time) >= killedAt);
  assert.equal(new Set(takenOver.map((line) => line.subscription)).size, ownedByB.length);
  const slowest = Math.max(...takenOver.map((line) => Number(line.time) - killedAt));
  t.diagnostic(`new subscription applied on every gateway after ${appliedMs} ms; B's ${ownedByB.length} subscriptions taken over ${slowest} ms after the kill`);
  assert.ok(slowest <= leaseTtlSeconds * 1000 + 1_500, `taken over ${slowest} ms after the kill (lease TTL ${leaseTtlSeconds} s, renewed every ${leaseTtlSeconds / 3} s)`);

  // Every acknowledged event reaches every subscription at least once, and in order.
  for (const id of subscriptions) {
    await until(() => new Set(ids(`/${id}`)).size >= new Set(accepted).size + 5, 30_000, `every acknowledged event delivered to ${id}`);
    const delivered = firstOccurrences(ids(`/${id}`)).filter((event) => event.startsWith('load-'));
    assert.deepEqual(delivered, accepted, `${id}: every acknowledged event, in the order accepted`);
    const duplicates = ids(`/${id}`).length - new Set(ids(`/${id}`)).size;
    assert.ok(duplicates <= 10_000, `${id}: duplicates bounded by the in-flight window (${duplicates})`);
    t.diagnostic(`${id}: ${accepted.length} acknowledged, ${ids(`/${id}`).length} delivered (${duplicates} twice)`);
  }
});
