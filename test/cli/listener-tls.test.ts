// Listeners serve TLS from server.*.tls and, with clientCaFile, refuse clients without a certificate.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { Agent, request } from 'undici';
import { parseConfigText } from '../../src/config/load-config.js';
import { Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import { createCa } from '../helpers/certificates.js';
import { tempDir, tempDirClosing } from '../helpers/temp-dir.js';

const silent = new Writable({ write: (_chunk, _encoding, done) => done() });

test('TLS listeners, one requiring a client certificate from clientCaFile', async (t) => {
  // Removed only after the gateway stops: it writes under it.
  const started: { gateway?: Gateway } = {};
  const dir = tempDirClosing(t, async () => started.gateway?.stop());
  const ca = createCa();
  const server = ca.issue({ commonName: 'gateway', ips: ['127.0.0.1'] });
  const client = ca.issue({ commonName: 'prometheus', client: true });
  const stranger = createCa('another CA').issue({ commonName: 'stranger', client: true });
  for (const [name, content] of Object.entries({ 'ca.pem': ca.cert, 'server.pem': server.cert, 'server.key': server.key })) writeFileSync(join(dir, name), content);

  const loaded = parseConfigText(`server:
  ingest: { listen: "127.0.0.1:0", tls: { certFile: server.pem, keyFile: server.key } }
  admin: { listen: "127.0.0.1:0", tls: { certFile: server.pem, keyFile: server.key, clientCaFile: ca.pem } }
environments: [ { id: prod } ]
storage: { dir: data }
`, join(dir, 'gateway.yaml'));
  const gateway = (started.gateway = await Gateway.start(loaded, createLogger('silent', silent)));
  const { ingest, admin } = gateway.addresses();

  const get = async (address: string, path: string, connect: Record<string, string>) => {
    const dispatcher = new Agent({ connect: { ca: ca.cert, ...connect } });
    try {
      const response = await request(`https://${address}${path}`, { dispatcher });
      return { status: response.statusCode, body: await response.body.text() };
    } finally {
      await dispatcher.close();
    }
  };

  // Ingest: TLS with the server certificate, verified against the test CA; no client certificate needed.
  assert.equal((await get(ingest, '/nothing-here', {})).status, 404);
  // Admin: a client certificate from the configured CA is required.
  assert.deepEqual(await get(admin, '/healthz', { cert: client.cert, key: client.key }), { status: 200, body: '{"status":"ok"}' });
  await assert.rejects(get(admin, '/healthz', {}));
  await assert.rejects(get(admin, '/healthz', { cert: stranger.cert, key: stranger.key }));
  // Plain HTTP to a TLS listener does not get an answer from the routes.
  await assert.rejects(fetch(`http://${admin}/healthz`));
});

test('an unreadable listener certificate stops start-up with a message naming the file', async (t) => {
  const dir = tempDir(t);
  const loaded = parseConfigText(`server:
  ingest: { listen: "127.0.0.1:0", tls: { certFile: missing.pem, keyFile: missing.key } }
  admin: { listen: "127.0.0.1:0" }
environments: [ { id: prod } ]
storage: { dir: data }
`, join(dir, 'gateway.yaml'));
  await assert.rejects(Gateway.start(loaded, createLogger('silent', silent)), { message: `cannot read listener TLS file ${join(dir, 'missing.pem')} (ENOENT)` });
});
