// The README's recipes for an operator's first hour, run as written: the logrotate postrotate
// command signals exactly the gateway through its PID file, the process is named siem-gateway,
// `siem-gateway logs` pretty-prints and follows a log through rotation, and the NDJSON example
// file the curl example posts is accepted, and the webhook recipes are valid configuration.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { prettyLine } from '../../src/cli/logs-command.js';
import { parseConfigText } from '../../src/config/load-config.js';
import { cliPath, GatewayProcess, runCli } from '../helpers/gateway-process.js';
import { ingestToken } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

const repository = fileURLToPath(new URL('../../../', import.meta.url));
const readme = readFileSync(join(repository, 'README.md'), 'utf8');

function gatewayConfig(dir: string): string {
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, `server:
  ingest: { listen: "127.0.0.1:0" }
  admin: { listen: "127.0.0.1:0" }
storage: { dir: ${join(dir, 'data')} }
environments: [ { id: default } ]
auth: { tokens: [ { name: collector, token: "${ingestToken}", scopes: [ingest] } ] }
logging: { deliveryFile: ${join(dir, 'delivery.log')} }
`);
  return file;
}

test("the README's logrotate postrotate command signals the gateway through its PID file; the process is named siem-gateway", async (t) => {
  const postrotate = /postrotate\n\s*(.+)\n\s*endscript/.exec(readme)?.[1];
  assert.ok(postrotate?.includes('gateway.pid'), `the recipe uses the PID file: ${postrotate}`);
  const dir = tempDir(t);
  const gateway = GatewayProcess.start(gatewayConfig(dir));
  t.after(() => gateway.kill());
  await gateway.listening();
  const pidFile = join(dir, 'data', 'gateway.pid');
  assert.equal(readFileSync(pidFile, 'utf8'), `${gateway.child.pid}\n`);
  assert.equal(readFileSync(`/proc/${gateway.child.pid}/comm`, 'utf8').trim(), 'siem-gateway');
  const named = execFileSync('pgrep', ['-x', 'siem-gateway'], { encoding: 'utf8' }).trim().split('\n').map(Number);
  assert.ok(named.includes(gateway.child.pid!), 'pgrep -x siem-gateway finds it');

  const mark = gateway.lines.length;
  execFileSync('sh', ['-c', postrotate!.replace('/var/lib/siem-gateway', join(dir, 'data'))]);
  await gateway.waitFor((line) => line.msg === 'configuration reloaded', 10_000, mark);
  assert.equal(gateway.child.exitCode, null, 'a HUP reloads, it does not stop the gateway');

  gateway.kill('SIGTERM');
  assert.equal((await gateway.exited).code, 0);
  assert.ok(!existsSync(pidFile), 'the PID file goes with the process');
});

test('siem-gateway logs prints one readable line per entry; --follow keeps reading through a rotation', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'delivery.log');
  const delivery = { level: 40, time: Date.parse('2026-11-24T10:15:00.123Z'), service: 'siem-gateway', pid: 1, hostname: 'h', subscription: 'sumo', attempt: 1, status: 503, outcome: 'failed', response: '{"text":"Server busy"}', msg: 'delivery' };
  writeFileSync(file, `${JSON.stringify(delivery)}\nnot json at all\n`);
  const expected = '2026-11-24T10:15:00.123Z WARN  delivery subscription=sumo attempt=1 status=503 outcome=failed response="{\\"text\\":\\"Server busy\\"}"';
  assert.equal(prettyLine(JSON.stringify(delivery)), expected);
  const once = runCli(['logs', file]);
  assert.equal(once.status, 0);
  assert.equal(once.stdout, `${expected}\nnot json at all\n`);
  assert.equal(runCli(['logs', join(dir, 'missing.log')]).status, 1);

  const follower = spawn(process.execPath, [cliPath, 'logs', '--follow', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => follower.kill('SIGKILL'));
  let output = '';
  follower.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  await until(() => output.includes('not json at all'), 5000);
  appendFileSync(file, `${JSON.stringify({ ...delivery, level: 30, attempt: 2, status: 200, outcome: 'delivered', response: undefined })}\n`);
  await until(() => output.includes('attempt=2 status=200 outcome=delivered'), 5000);
  // logrotate moves the file away; the gateway (on SIGHUP) writes a new one at the same path.
  renameSync(file, `${file}.1`);
  writeFileSync(file, `${JSON.stringify({ ...delivery, level: 30, subscription: 'after-rotation', msg: 'delivery' })}\n`);
  await until(() => output.includes('subscription=after-rotation'), 5000);
  follower.kill('SIGTERM');
  assert.equal(await new Promise((resolve) => follower.once('exit', resolve)), 0);
});

test("the README's NDJSON example file is accepted", async (t) => {
  assert.match(readme, /--data-binary @examples\/events\.ndjson/);
  const dir = tempDir(t);
  const gateway = GatewayProcess.start(gatewayConfig(dir));
  t.after(() => gateway.kill());
  const { ingest } = await gateway.listening();
  const response = await fetch(`http://${ingest}/v1/environments/default/events`, { method: 'POST', headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/x-ndjson' }, body: readFileSync(join(repository, 'examples', 'events.ndjson')) });
  assert.deepEqual([response.status, await response.json()], [202, { accepted: 3 }]);
});

test("the README's webhook recipes (templated logout, signed webhook, SET push) are valid configuration as written", (t) => {
  const dir = tempDir(t);
  const keyFile = join(dir, 'set-signing.key');
  writeFileSync(keyFile, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  const env = { SESSIONS_TOKEN: 'sessions-token', SOAR_TOKEN: 'soar-token', SOAR_WEBHOOK_SECRET: `whsec_${Buffer.from('0123456789abcdef0123').toString('base64')}`, SSF_PUSH_TOKEN: 'ssf-token' };
  for (const id of ['am-logout', 'soar-hook', 'caep-receiver']) {
    const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]!).find((yaml) => yaml.includes(`- id: ${id}\n`));
    assert.ok(block !== undefined, `the README has a recipe for ${id}`);
    const loaded = parseConfigText(`environments: [ { id: prod } ]\nauth: { tokens: [ { name: c, token: "${ingestToken}", scopes: [ingest] } ] }\n${block.replace('/etc/siem-gateway/set-signing.key', keyFile)}`, join(dir, `${id}.yaml`), { env });
    assert.equal(loaded.config.subscriptions[0]!.id, id);
    assert.deepEqual(loaded.warnings, []);
  }
});
