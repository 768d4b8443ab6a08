// Items 6, 7 and 10 of tenant isolation, on disk: files holding events or secrets are 0600 from
// their first byte (directories 0700), a looser one is fixed and named at start; secrets sent
// through the API are sealed in managed.json (management.encryptionKey, rotated through
// previousEncryptionKeys) and no private key is written as a file; a `${file:…}` naming a FIFO is
// refused without blocking; a PKCS#12 file asking for a million iterations is refused while the
// admin API keeps answering; a lock held by a zombie is taken over at once.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import forge from 'node-forge';
import { createCa, toPkcs12 } from '../helpers/certificates.js';
import { HttpSink } from '../helpers/http-sink.js';
import { until } from '../helpers/manual-clock.js';
import { event, startTenantGateway, subscriptionTo } from './tenant-gateway.js';

const base = '/v1/environments/prod/subscriptions';

/** Every file and directory under `dir` with its permission bits (one renamed away meanwhile, like a cursor's temporary file, is passed over). */
function modes(dir: string): [string, number, boolean][] {
  const found: [string, number, boolean][] = [];
  const visit = (path: string) => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) return;
    found.push([path, stat.mode & 0o777, stat.isDirectory()]);
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(dir);
  return found;
}

/** A loop of /healthz calls while `work` runs: the slowest answer, in milliseconds. */
async function slowestHealthzWhile(adminUrl: string, work: Promise<unknown>): Promise<number> {
  let done = false;
  void work.finally(() => (done = true));
  let slowest = 0;
  for (let calls = 0; !done || calls < 5; calls++) {
    const started = performance.now();
    const answer = await fetch(`${adminUrl}/healthz`, { signal: AbortSignal.timeout(5000) });
    assert.equal(answer.status, 200);
    slowest = Math.max(slowest, performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await work;
  return slowest;
}

test('files under storage.dir are 0600 (directories 0700); a looser one is fixed and named at start', async (t) => {
  const sink = await HttpSink.start({ handler: () => ({ status: 400, body: '{"text":"no"}' }) });
  t.after(() => sink.close());
  const gateway = await startTenantGateway(t);
  assert.equal((await gateway.call('POST', base, subscriptionTo(`${sink.url}/x`, { id: 'refused', basicAuth: { username: 'u', password: 'a-password-1234' } }))).status, 201);
  await gateway.postEvents('prod', [event('e-1')]);
  await until(async () => (await gateway.call('GET', `${base}/refused/dead-letters`)).body.total === 1, 10_000, 'a dead letter');
  const data = join(gateway.dir, 'data');
  const all = modes(data);
  for (const name of ['managed.json', 'dead-letters/', 'journal/', 'cursors/', 'gateway.lock']) assert.ok(all.some(([path]) => path.includes(name)), `${name} is there`);
  for (const [path, mode, directory] of all) assert.equal(mode, directory ? 0o700 : 0o600, `${path} is ${mode.toString(8)}`);

  const managed = join(data, 'managed', 'managed.json');
  chmodSync(managed, 0o644);
  chmodSync(join(data, 'managed'), 0o755);
  await gateway.restart();
  const warned = await gateway.process.waitFor((line) => /could be read by other users/.test(String(line.msg)));
  assert.equal(warned.files, 2);
  assert.equal(statSync(managed).mode & 0o777, 0o600);
});

test('secrets are sealed in managed.json, no private key file is written; the key rotates', async (t) => {
  const sink = await HttpSink.start();
  t.after(() => sink.close());
  const gateway = await startTenantGateway(t, { extra: 'management:\n  encryptionKey: "${env:SEALING_KEY}"\n  previousEncryptionKeys: ["${env:OLD_SEALING_KEY:-unused-old-key-0000}"]\n', env: { SEALING_KEY: 'first-sealing-key-0123456789' } });
  const ca = createCa();
  const client = ca.issue({ commonName: 'client', client: true });
  assert.equal((await gateway.call('POST', '/v1/environments/prod/keys', { id: 'mtls', usage: 'OUTBOUND_MTLS', certificate: client.cert, privateKey: client.key })).status, 201);
  const created = await gateway.call('POST', base, subscriptionTo(`${sink.url}/x`, { id: 'sealed', basicAuth: { username: 'u', password: 'basic-password-5678' }, httpEndpoint: { url: `${sink.url}/x`, headers: { 'X-Api-Key': 'header-secret-9012' } } }));
  assert.equal(created.status, 201, created.text);
  const oauth = await gateway.call('POST', base, subscriptionTo(`${sink.url}/y`, { id: 'sealed-oauth2', enabled: false, oauth2: { tokenUrl: `${sink.url}/token`, clientId: 'app', clientSecret: 'oauth2-secret-3456' } }));
  assert.equal(oauth.status, 201, oauth.text);
  const managed = join(gateway.dir, 'data', 'managed', 'managed.json');
  const stored = () => readFileSync(managed, 'utf8');
  const secretsIn = (text: string) => ['basic-password-5678', 'header-secret-9012', 'oauth2-secret-3456', 'PRIVATE KEY', client.key.split('\n')[1]!].filter((secret) => text.includes(secret));
  assert.deepEqual(secretsIn(stored()), []);
  const sealedWith = () => [...new Set([...stored().matchAll(/"v1:([0-9a-f]{8}):/g)].map((match) => match[1]))];
  assert.equal(sealedWith().length, 1);
  const firstKey = sealedWith()[0];
  const files = modes(gateway.dir).map(([path]) => path).filter((path) => !path.endsWith('managed.json'));
  for (const path of files) if (statSync(path).isFile()) assert.deepEqual(secretsIn(readFileSync(path, 'latin1')), [], `${path} holds a secret`);

  await gateway.postEvents('prod', [event('e-1')]);
  await until(() => sink.requests.length === 1, 10_000, 'delivery with the opened secrets');
  assert.equal(sink.requests[0]!.headers['x-api-key'], 'header-secret-9012');
  assert.equal(sink.requests[0]!.headers.authorization, `Basic ${Buffer.from('u:basic-password-5678').toString('base64')}`);

  // Rotation: the new key in encryptionKey, the old one in previousEncryptionKeys; resealed at start.
  await gateway.restart({ SEALING_KEY: 'second-sealing-key-0123456789', OLD_SEALING_KEY: 'first-sealing-key-0123456789' });
  assert.equal(sealedWith().length, 1);
  assert.notEqual(sealedWith()[0], firstKey);
  assert.deepEqual(secretsIn(stored()), []);
  await gateway.postEvents('prod', [event('e-2')]);
  await until(() => sink.requests.length === 2, 10_000, 'delivery after the rotation');
  assert.equal(sink.requests[1]!.headers['x-api-key'], 'header-secret-9012');

  // A key that opens nothing: the objects are named and not run; the gateway runs.
  await gateway.restart({ SEALING_KEY: 'wrong-sealing-key-0123456789', OLD_SEALING_KEY: 'another-wrong-key-0123456789' });
  const named = await gateway.process.waitFor((line) => line.id === 'sealed' && /neither management\.encryptionKey nor in previousEncryptionKeys/.test(String(line.msg)));
  assert.equal(named.level, 50);
  assert.equal((await gateway.call('GET', `${base}/sealed`)).status, 404);
});

test('a ${file:…} naming a FIFO is refused at once on SIGHUP; the admin API keeps answering', async (t) => {
  const gateway = await startTenantGateway(t);
  execFileSync('mkfifo', [join(gateway.dir, 'fifo')]);
  gateway.rewrite('', '  - { id: fifo-source, type: keycloak, environment: prod, secret: "${file:fifo}" }\n');
  const from = gateway.process.lines.length;
  const refused = gateway.process.waitFor((line) => /not a regular file/.test(String(line.msg)) || /not a regular file/.test(JSON.stringify(line)), 10_000, from);
  gateway.process.child.kill('SIGHUP');
  const slowest = await slowestHealthzWhile(gateway.adminUrl, refused);
  assert.ok(slowest < 100, `the admin API answered within ${Math.round(slowest)} ms`);
  assert.match(JSON.stringify(await refused), /\$\{file:fifo\}/);
});

test('a PKCS#12 file asking for a million iterations is refused naming /pkcs12; the admin API keeps answering; a normal one is accepted', async (t) => {
  const gateway = await startTenantGateway(t);
  const ca = createCa();
  const client = ca.issue({ commonName: 'client', client: true });
  // A file whose MAC and encryption ask for 1,000,000 iterations: written with 2,048 and its visible
  // counts rewritten (deriving a million here would cost the test seconds).
  const asn1 = forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(client.key), [forge.pki.certificateFromPem(client.cert)], 'pw', { algorithm: '3des' });
  const raise = (node: forge.asn1.Asn1) => {
    if (!Array.isArray(node.value)) return;
    node.value.forEach((child, index) => {
      if (child.type === forge.asn1.Type.INTEGER && (node.value as forge.asn1.Asn1[])[index - 1]?.type === forge.asn1.Type.OCTETSTRING) child.value = forge.asn1.integerToDer(1_000_000).getBytes();
      raise(child);
    });
  };
  raise(asn1);
  const heavy = Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
  const posted = gateway.call('POST', '/v1/environments/prod/keys', { id: 'heavy', usage: 'OUTBOUND_MTLS', pkcs12: heavy.toString('base64'), passphrase: 'pw' });
  const slowest = await slowestHealthzWhile(gateway.adminUrl, posted);
  const answer = await posted;
  assert.equal(answer.status, 400, answer.text);
  assert.equal(answer.body.problems![0]!.path, '/pkcs12');
  assert.match(answer.body.problems![0]!.message, /1000000 key-derivation iterations; at most 10000/);
  assert.ok(slowest < 100, `the admin API answered within ${Math.round(slowest)} ms`);
  const normal = await gateway.call('POST', '/v1/environments/prod/keys', { id: 'normal', usage: 'OUTBOUND_MTLS', pkcs12: toPkcs12(client, 'pw').toString('base64'), passphrase: 'pw' });
  assert.equal(normal.status, 201, normal.text);
});

test('a lock whose owner is a zombie is taken over at once', async (t) => {
  // `sleep 0.1 &` becomes a zombie: its parent exec'd into `sleep 30`, which never reaps it.
  const parent = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => parent.kill('SIGKILL'));
  const pid = Number((await new Promise<Buffer>((resolve) => parent.stdout.once('data', resolve))).toString().trim());
  const stat = () => readFileSync(`/proc/${pid}/stat`, 'utf8');
  await until(() => stat().slice(stat().lastIndexOf(')') + 2).startsWith('Z'), 5000, 'the zombie');
  const processStart = stat().slice(stat().lastIndexOf(')') + 2).split(' ')[19];
  const lock = JSON.stringify({ pid, processStart, host: hostname(), since: new Date().toISOString() });
  const gateway = await startTenantGateway(t, { files: { 'data/gateway.lock': `${lock}\n` } });
  const took = await gateway.process.waitFor((line) => line.stalePid === pid);
  assert.match(String(took.msg), /took over the lock/);
});
