// Format OCSF end to end: IdP webhooks received by their sources, delivered as OCSF over HTTPS
// (NDJSON) and over TCP (JSON_DOC), each line an OCSF event that validates against the schema
// built from OCSF's own definitions, with the client's address only where it is exposed.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { freePort } from '../helpers/free-port.js';
import { HttpSink } from '../helpers/http-sink.js';
import { startGateway } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/idp/', import.meta.url));
const fixture = (name: string) => readFileSync(join(fixtures, name));
const hmac = (secret: string, body: Buffer) => createHmac('sha256', secret).update(body).digest('hex');
const validate = new Ajv2020({ strict: false }).compile(JSON.parse(readFileSync(fileURLToPath(new URL('../../../test/ocsf/ocsf-1.1.0-iam.schema.json', import.meta.url)), 'utf8')) as object);

test('Keycloak and Asgardeo webhooks out as OCSF over HTTPS and TCP: every line validates, the address only where exposed, the IdP payload only where asked', async (t) => {
  const sink = await HttpSink.start();
  t.after(() => sink.close());
  const tcpLines: string[] = [];
  const sockets = new Set<Socket>();
  const tcp = createServer((socket) => {
    sockets.add(socket);
    let buffered = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      tcpLines.push(...lines.filter((line) => line !== ''));
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => tcp.listen(port, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy();
    tcp.close(() => resolve());
  }));
  const { ingestUrl } = await startGateway(t, {
    extra: `sources:
  - { id: kc, type: keycloak, environment: prod, secret: "kc-secret" }
  - { id: wso2, type: asgardeo, environment: prod, secret: "wso2-secret" }
subscriptions:
  - id: ocsf-https
    environment: prod
    format: OCSF
    httpEndpoint: { url: "${sink.url}/ocsf" }
    ocsf: { includeRaw: true }
    filterOptions: { includedActionTypes: ["*"] }
    payloadOptions: { flushMs: 20, payloadFormat: { https: { format: ND_JSON } } }
  - id: ocsf-tcp
    environment: prod
    protocol: TCP_IP
    format: OCSF
    connectionDetails: { url: "tcp://127.0.0.1:${port}" }
    filterOptions: { includedActionTypes: ["*"], ipAddressExposed: true }
    payloadOptions: { flushMs: 20, payloadFormat: { tcp: { format: JSON_DOC } } }
`,
  });
  const post = async (id: string, body: Buffer, headers: Record<string, string>) => (await fetch(`${ingestUrl}/v1/sources/${id}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })).status;
  const login = fixture('keycloak-user-event-login.phasetwo-docs.json');
  const failed = fixture('asgardeo-registration-failed.json');
  assert.equal(await post('kc', login, { 'x-keycloak-signature': hmac('kc-secret', login) }), 202);
  assert.equal(await post('wso2', failed, { 'x-hub-signature': `sha256=${hmac('wso2-secret', failed)}` }), 202);

  const httpLines = () => sink.requests.flatMap((request) => request.body.trimEnd().split('\n'));
  await until(() => httpLines().length === 2 && tcpLines.length === 2, 10_000);
  for (const [how, lines] of [['https', httpLines()], ['tcp', tcpLines]] as const) {
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown> & { metadata: { product: { name: string } }; src_endpoint?: { ip: string } });
    for (const event of events) assert.ok(validate(event), `${how}: ${JSON.stringify(validate.errors)}`);
    assert.deepEqual(events.map((event) => [event.class_uid, event.activity_id, event.status_id, event.metadata.product.name]), [[3002, 1, 1, 'Keycloak'], [3001, 1, 2, 'Asgardeo']], how);
    if (how === 'https') {
      assert.ok(events.every((event) => event.src_endpoint === undefined), 'not exposed: no address');
      assert.equal(typeof events[0]!.raw_data, 'string', 'includeRaw: the IdP payload');
      assert.doesNotMatch(String(events[0]!.raw_data), /ipAddress/, 'the raw payload carries no address either');
    } else {
      assert.ok(events.every((event) => typeof event.src_endpoint?.ip === 'string'), 'exposed: the address');
      assert.equal(events[0]!.raw_data, undefined);
    }
  }
});
