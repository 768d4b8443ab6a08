// No secret in any log line, and the delivery log tells the truth: a real gateway process whose
// destination URL carries credentials from `${env:…}` references in its path and query, against a
// real sink that answers 503, then 400, then 200.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GatewayProcess, runCli, type LogLine } from '../helpers/gateway-process.js';
import { HttpSink } from '../helpers/http-sink.js';
import { ingestToken } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/manual-clock.js';
import { writeSinkGatewayConfig } from '../helpers/sink-gateway-config.js';
import { tempDir } from '../helpers/temp-dir.js';

const token = 'path-secret-7f3a9c';
const code = 'query-secret-b81e44';

test('a credential in the URL path and query never reaches stdout or the delivery file; refused and failed lines carry the answer, masked', async (t) => {
  const sink = await HttpSink.start({
    handler: (_request, index) => {
      if (index === 0) return { status: 503, body: `{"text":"Server busy","receiver":"/receiver/v1/http/${token}"}` };
      if (index === 1) return { status: 400, body: '{"text":"Invalid data format","code":6}' };
      return { status: 200, body: '{}' };
    },
  });
  t.after(() => sink.close());
  const dir = tempDir(t);
  const file = writeSinkGatewayConfig(dir, `${sink.url}/receiver/v1/http/\${env:TOKEN}?code=\${env:CODE}&plain=literal-value-99`, { id: 'sumo', logging: '{ deliveryFile: data/delivery.log }' });
  const gateway = GatewayProcess.start(file, { TOKEN: token, CODE: code });
  t.after(() => gateway.kill());
  const { ingest } = await gateway.listening();
  const body = JSON.stringify(['a', 'b'].map((id) => ({ id, recordedAt: '2026-11-24T10:15:00.000Z', action: { type: 'USER.CREATED' } })));
  const response = await fetch(`http://${ingest}/v1/environments/prod/events`, { method: 'POST', headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' }, body });
  assert.equal(response.status, 202);
  const deliveryFile = join(dir, 'data', 'delivery.log');
  const delivered = () => {
    try {
      return readFileSync(deliveryFile, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as LogLine);
    } catch {
      return [];
    }
  };
  await until(() => delivered().filter((line) => line.outcome === 'delivered').length === 2, 15_000);
  await until(() => gateway.lines.some((line) => String(line.msg).includes('the destination recovered')), 10_000);
  gateway.kill('SIGTERM');
  await gateway.exited;
  assert.equal(sink.requests[0]!.url, `/receiver/v1/http/${token}?code=${code}&plain=literal-value-99`, 'the destination gets the resolved URL');

  const everything = `${readFileSync(deliveryFile, 'utf8')}\n${gateway.lines.map((line) => JSON.stringify(line)).join('\n')}\n${gateway.stderr.join('')}`;
  for (const secret of [token, code, 'literal-value-99']) assert.ok(!everything.includes(secret), `${secret} appears in a log`);

  const lines = delivered();
  const destination = `${sink.url}/receiver/v1/http/\${env:TOKEN}?code=\${env:CODE}&plain=[redacted]`;
  assert.ok(lines.every((line) => line.destination === destination), 'the destination as written, references unresolved');
  assert.deepEqual(
    lines.map((line) => [line.attempt, line.status, line.outcome, line.response]),
    [
      [1, 503, 'failed', '{"text":"Server busy","receiver":"/receiver/v1/http/${env:TOKEN}"}'],
      [2, 400, 'refused', '{"text":"Invalid data format","code":6}'],
      [1, 200, 'delivered', undefined],
      [1, 200, 'delivered', undefined],
    ],
  );
  // The main log: one warning when the destination starts failing, one line when it has caught up.
  const failing = gateway.lines.filter((line) => String(line.msg).includes('the destination is failing'));
  assert.equal(failing.length, 1);
  assert.equal(failing[0]!.level, 40);
  assert.match(String(failing[0]!.msg), /subscription sumo: the destination is failing \(HTTP 503\)/);
  const recovered = gateway.lines.filter((line) => String(line.msg).includes('the destination recovered'));
  assert.equal(recovered.length, 1);
  assert.equal(recovered[0]!.level, 30);
  assert.equal(recovered[0]!.caughtUpEvents, 2);
  assert.equal(typeof recovered[0]!.downMs, 'number');
  assert.equal(gateway.lines.filter((line) => line.msg === 'delivery').length, 0, 'nothing per attempt in the main log');
});

test('validate quotes a value from a reference as the reference', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, `environments: [ { id: prod } ]
auth: { tokens: [ { name: collector, token: "${ingestToken}", scopes: [ingest] } ] }
subscriptions:
  - id: s
    environment: "\${env:SECRET_ENVIRONMENT}"
    httpEndpoint: { url: "https://collector.example/x" }
    filterOptions: { includedActionTypes: ["*"] }
`);
  const result = runCli(['validate', '--config', file], { SECRET_ENVIRONMENT: 'value-from-the-secret-store' });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /unknown environment "\$\{env:SECRET_ENVIRONMENT\}"/);
  assert.ok(!`${result.stdout}${result.stderr}`.includes('value-from-the-secret-store'));
});
