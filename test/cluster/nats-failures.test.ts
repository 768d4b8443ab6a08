// What the gateway does when NATS itself fails: a nats-server restarted mid-run (ingest answers 503
// while it is down, 202 after, nothing acknowledged lost), one SIGKILLed under load (R1), and a
// 3-node cluster with R3 streams losing one node (SIGKILL) under load. Every server runs the
// README's configuration (examples/nats/), so the durability table is what these tests check.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startIdSink } from '../helpers/http-sink.js';
import { NatsServer } from '../helpers/nats-server.js';
import { clusterDir, events, firstOccurrences, post, readiness, singleNodeGateway, startClusterGateway, type RunningGateway } from '../helpers/cluster-gateways.js';
import { until } from '../helpers/manual-clock.js';

test('nats-server restarted mid-run: ingest answers 503 while it is down and 202 after, and every acknowledged event is delivered in order', async (t) => {
  const { nats, gateway, ids } = await singleNodeGateway(t, 'restart');

  const accepted: string[] = [];
  const statuses: number[] = [];
  const send = async (request: number) => {
    const batch = events(`r-${request}`, 10);
    const status = await post(gateway.ingestUrl, batch);
    statuses.push(status);
    if (status === 202) accepted.push(...batch.map((event) => event.id));
    return status;
  };
  let request = 0;
  for (; request < 20; request++) assert.equal(await send(request), 202);

  await nats.stop();
  await until(async () => (await send(request++)) === 503, 10_000, 'a 503 while NATS is down');
  const down = await fetch(`${gateway.ingestUrl}/v1/environments/prod/events`, { method: 'POST', headers: { authorization: 'Bearer ingest-token-for-prod-0123', 'content-type': 'application/json' }, body: JSON.stringify(events('down', 1)) });
  assert.equal(down.status, 503);
  assert.ok(Number(down.headers.get('retry-after')) > 0, 'with Retry-After');
  assert.equal(((await down.json()) as { error: string }).error, 'journal_unavailable');
  const notReady = await readiness(gateway.adminUrl);
  assert.equal(notReady.status, 'not ready');
  assert.equal(notReady.reason, 'jetstream unreachable');

  await nats.run();
  await until(async () => (await send(request++)) === 202, 20_000, 'a 202 once NATS is back');
  for (let more = 0; more < 20; more++) assert.equal(await send(request++), 202);

  await until(() => new Set(ids('/siem')).size >= accepted.length, 30_000, 'every acknowledged event delivered');
  assert.deepEqual(firstOccurrences(ids('/siem')), accepted, 'in the order accepted, nothing acknowledged lost');
  t.diagnostic(`${accepted.length} acknowledged, ${statuses.filter((status) => status === 503).length} requests answered 503 while NATS was down`);
});

test('nats-server (R1, the README configuration) SIGKILLed under load: every event that got a 202 is delivered once it is back', async (t) => {
  const { nats, gateway, ids } = await singleNodeGateway(t, 'killed');

  const accepted = new Set<string>();
  const statuses = new Map<number, number>();
  let running = true;
  let request = 0;
  const connection = async () => {
    while (running) {
      const batch = events(`k-${request++}`, 50);
      const status = await post(gateway.ingestUrl, batch);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status === 202) for (const event of batch) accepted.add(event.id);
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const load = Promise.all(Array.from({ length: 4 }, connection));
  await until(() => accepted.size >= 5_000, 30_000, 'load under way');
  await nats.kill();
  const atKill = accepted.size;
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await nats.run();
  await until(() => accepted.size >= atKill + 5_000, 60_000, '202s again once nats-server is back');
  running = false;
  await load;

  const missing = () => {
    const delivered = new Set(ids('/siem'));
    return [...accepted].filter((id) => !delivered.has(id));
  };
  await until(() => missing().length === 0, 60_000, `every acknowledged event delivered (${missing().length} missing)`);
  assert.deepEqual(missing(), [], 'no event that got a 202 is missing');
  t.diagnostic(`${accepted.size} acknowledged (${atKill} before the kill); answers ${JSON.stringify(Object.fromEntries(statuses))}`);
});

test('a 3-node NATS cluster with R3 streams loses one node under load: ingest goes on and every acknowledged event is delivered', async (t) => {
  const { dir, cleanup } = clusterDir(t, 'siem-gateway-nats-cluster-');
  const nodes = await NatsServer.cluster(dir);
  const { sink, ids } = await startIdSink();
  const gateways: RunningGateway[] = [];
  cleanup(async () => {
    for (const gateway of gateways) gateway.process.kill();
    await Promise.all(gateways.map((gateway) => gateway.process.exited));
    await sink.close();
    await Promise.all(nodes.map((node) => node.stop()));
  });
  const servers = nodes.map((node) => node.url);
  // Wait for the cluster to elect its JetStream leader: the first gateway retries its first connect and stream creation.
  for (const name of ['gw-1', 'gw-2']) gateways.push(await startClusterGateway(dir, { servers, stream: 'replicated', replicas: 3, name, sinkUrl: sink.url, subscriptions: ['siem', 'audit'] }));
  await until(async () => (await readiness(gateways[0]!.adminUrl)).subscriptions.every((subscription) => subscription.owner !== undefined), 20_000, 'owners for both subscriptions');

  const accepted: string[] = [];
  let refused = 0;
  const deadline = Date.now() + 60_000;
  for (let request = 0; request < 60; request++) {
    if (request === 20) await nodes[0]!.kill();
    const batch = events(`c-${request}`, 10);
    // A client retries a 503 (the stream's leader may move): the same ids; part of a refused request may have been stored, so duplicates are allowed, loss is not.
    for (;;) {
      const status = await post(gateways[request % 2]!.ingestUrl, batch);
      if (status === 202) {
        accepted.push(...batch.map((event) => event.id));
        break;
      }
      refused++;
      assert.ok(Date.now() < deadline, `ingest did not recover after losing a node (last status ${status})`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  for (const id of ['siem', 'audit']) {
    await until(() => new Set(ids(`/${id}`)).size >= accepted.length, 30_000, `every acknowledged event delivered to ${id}`);
    assert.deepEqual(firstOccurrences(ids(`/${id}`)), accepted, `${id}: in order, none lost`);
  }
  t.diagnostic(`${accepted.length} acknowledged with one of three nodes killed; ${refused} requests answered 503 and retried`);
});
