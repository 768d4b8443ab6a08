// Signals against a real gateway process: SIGHUP applies a good file and refuses a bad one;
// SIGTERM and SIGINT stop it with exit 0.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const token = 'admin-token-0123456789';

function configText(dir: string, subscriptionIds: string[], extra = ''): string {
  const subscriptions = subscriptionIds
    .map((id, index) => `  - id: ${id}\n    environment: prod\n    enabled: ${index % 2 === 0}\n    httpEndpoint: { url: "https://127.0.0.1:9/x" }\n    filterOptions: { includedActionTypes: ["*"] }\n`)
    .join('');
  return `server:
  ingest: { listen: "127.0.0.1:0" }
  admin: { listen: "127.0.0.1:0" }
storage: { dir: ${JSON.stringify(join(dir, 'data'))} }
auth: { tokens: [ { name: ops, token: "${token}", scopes: [ingest, admin] } ] }
environments: [ { id: prod } ]
shutdownTimeoutMs: 3000
${extra}subscriptions:${subscriptions === '' ? ' []\n' : `\n${subscriptions}`}`;
}

async function readyz(admin: string): Promise<{ status: string; subscriptions: { id: string; state: string }[] }> {
  const response = await fetch(`http://${admin}/readyz`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200);
  return (await response.json()) as { status: string; subscriptions: { id: string; state: string }[] };
}

test('SIGHUP applies a good file and refuses a bad one, keeping the old configuration', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, configText(dir, ['first']));
  const gateway = GatewayProcess.start(file);
  t.after(() => gateway.kill());
  const { admin } = await gateway.listening();
  assert.deepEqual((await readyz(admin)).subscriptions, [{ id: 'first', environment: 'prod', state: 'ok' }]);

  writeFileSync(file, configText(dir, ['first', 'second']));
  let mark = gateway.lines.length;
  gateway.kill('SIGHUP');
  const reloaded = await gateway.waitFor((l) => l.msg === 'configuration reloaded', 10_000, mark);
  assert.equal(reloaded.subscriptions, 2);
  assert.deepEqual((await readyz(admin)).subscriptions, [
    { id: 'first', environment: 'prod', state: 'ok' },
    { id: 'second', environment: 'prod', state: 'suspended' },
  ]);

  // A bad file: the same problem line validate prints, logged; the old configuration stays.
  writeFileSync(file, configText(dir, ['first', 'second', 'third'], 'logging: { level: chatty }\n'));
  mark = gateway.lines.length;
  gateway.kill('SIGHUP');
  const refused = await gateway.waitFor((l) => l.msg.startsWith('configuration reload refused'), 10_000, mark);
  assert.equal(refused.problems, 1);
  const problem = gateway.lines.slice(mark).find((l) => l.level === 50 && l.msg.startsWith(file));
  assert.equal(problem?.msg, `${file}:8 logging.level: must be one of: fatal, error, warn, info, debug, trace`);
  assert.equal((await readyz(admin)).subscriptions.length, 2);

  // Not YAML at all: refused the same way, still serving.
  writeFileSync(file, 'environments: [ { id: prod }\n');
  mark = gateway.lines.length;
  gateway.kill('SIGHUP');
  await gateway.waitFor((l) => l.msg.startsWith('configuration reload refused'), 10_000, mark);
  assert.equal((await readyz(admin)).subscriptions.length, 2);
  assert.equal(gateway.child.exitCode, null);

  gateway.kill('SIGTERM');
  assert.deepEqual(await gateway.exited, { code: 0, signal: null });
  assert.ok(gateway.lines.some((l) => l.msg === 'stopped'));
});

test('a reload that changes a listener address says it needs a restart; one that restores the bound address does not', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, configText(dir, []));
  const gateway = GatewayProcess.start(file);
  t.after(() => gateway.kill());
  const { admin } = await gateway.listening();
  writeFileSync(file, configText(dir, []).replace('admin: { listen: "127.0.0.1:0" }', 'admin: { listen: "127.0.0.1:1" }'));
  gateway.kill('SIGHUP');
  const warning = await gateway.waitFor((l) => l.key === 'server.admin.listen');
  assert.equal(warning.msg, 'server.admin.listen differs from the value the gateway runs with; it takes effect after a restart');
  assert.equal((await fetch(`http://${admin}/healthz`)).status, 200);
  await gateway.waitFor((l) => l.msg === 'configuration reloaded');
  // Back to the address it is bound to: nothing to restart for.
  const mark = gateway.lines.length;
  writeFileSync(file, configText(dir, []));
  gateway.kill('SIGHUP');
  await gateway.waitFor((l) => l.msg === 'configuration reloaded', 10_000, mark);
  assert.deepEqual(gateway.lines.slice(mark).filter((l) => l.key !== undefined), []);
  gateway.kill('SIGTERM');
  assert.equal((await gateway.exited).code, 0);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} stops gracefully within shutdownTimeoutMs and exits 0`, async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, configText(dir, ['only']));
    const gateway = GatewayProcess.start(file);
    t.after(() => gateway.kill());
    const { admin, ingest } = await gateway.listening();
    assert.equal((await fetch(`http://${admin}/healthz`)).status, 200);
    gateway.kill(signal);
    assert.deepEqual(await gateway.exited, { code: 0, signal: null });
    // Stopped by finishing, not by the shutdownTimeoutMs timer abandoning work.
    assert.ok(gateway.lines.some((l) => l.msg === 'stopped'));
    assert.ok(!gateway.lines.some((l) => l.msg.startsWith('shutdown timed out')));
    assert.ok(gateway.lines.some((l) => l.msg === 'stopping' && l.signal === signal));
    // The listeners are gone.
    await assert.rejects(fetch(`http://${ingest}/`));
    await assert.rejects(fetch(`http://${admin}/healthz`));
  });
}
