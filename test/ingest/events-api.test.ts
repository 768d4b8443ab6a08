// The events API over real HTTP on loopback: what is accepted, exactly what is refused and why,
// that nothing of a refused request is stored, and that every refusal is counted by reason.
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import type { ActivityEvent, JournalRecord } from '../../src/event/activity-event.js';
import { join } from 'node:path';
import { FileJournal } from '../../src/backends/file/file-journal.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { devToken, ingestToken, opsToken, sample, scrape, startGateway } from '../helpers/in-process-gateway.js';

const event = (id: string, extra: Record<string, unknown> = {}): ActivityEvent => ({ id, recordedAt: '2026-11-23T10:15:00.000Z', action: { type: 'USER.CREATED' }, ...extra });

interface Sent {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}, environment = 'prod'): Promise<Sent> {
  const response = await fetch(`${url}/v1/environments/${environment}/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>), headers: response.headers };
}

async function stored(journal: FileJournal): Promise<JournalRecord[]> {
  const out: JournalRecord[] = [];
  const reader = journal.reader(0);
  while (reader.nextSeq <= journal.stats().lastSeq) out.push(...(await reader.read(1000)));
  await reader.close();
  return out;
}

describe('accepted bodies', () => {
  test('one object, an array, NDJSON, and gzip of each: 202 with the count, stored in order', async (t) => {
    const { gateway, ingestUrl, adminUrl } = await startGateway(t);
    const answers = [
      await post(ingestUrl, JSON.stringify(event('one'))),
      await post(ingestUrl, JSON.stringify([event('a1'), event('a2'), event('a3')])),
      await post(ingestUrl, `${JSON.stringify(event('n1'))}\n\n${JSON.stringify(event('n2'))}\r\n${JSON.stringify(event('n3'))}`, { 'content-type': 'application/x-ndjson' }),
      await post(ingestUrl, gzipSync(JSON.stringify([event('g1'), event('g2')])), { 'content-encoding': 'gzip', 'content-type': 'application/json; charset=utf-8' }),
      await post(ingestUrl, gzipSync(`${JSON.stringify(event('gn1'))}\n`), { 'content-encoding': 'gzip', 'content-type': 'application/x-ndjson' }),
    ];
    assert.deepEqual(answers.map((a) => [a.status, a.body]), [
      [202, { accepted: 1 }],
      [202, { accepted: 3 }],
      [202, { accepted: 3 }],
      [202, { accepted: 2 }],
      [202, { accepted: 1 }],
    ]);
    const records = await stored(gateway.journal as FileJournal);
    assert.deepEqual(records.map((r) => r.event.id), ['one', 'a1', 'a2', 'a3', 'n1', 'n2', 'n3', 'g1', 'g2', 'gn1']);
    assert.ok(records.every((r) => r.environment === 'prod'));
    assert.equal(sample(await scrape(adminUrl), 'siem_gateway_events_received_total{environment="prod"}'), 10);
  });

  test('unknown fields are kept verbatim; __proto__ and constructor keys are plain data', async (t) => {
    const { gateway, ingestUrl } = await startGateway(t);
    const body = '{"id":"p1","recordedAt":"2026-11-23T10:15:00Z","action":{"type":"X","extra":[1,{"k":null}]},"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}},"custom":{"nested":true}}';
    assert.equal((await post(ingestUrl, body)).status, 202);
    const [record] = await stored(gateway.journal as FileJournal);
    assert.equal(JSON.stringify(record!.event), body);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(record!.event), Object.prototype);
  });

  test('NDJSON with a UTF-8 byte order mark is accepted like JSON with one, and stored without it; a leap day is a real date', async (t) => {
    const { gateway, ingestUrl, dir } = await startGateway(t);
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const ndjson = Buffer.concat([bom, Buffer.from(`${JSON.stringify(event('b1'))}\n${JSON.stringify(event('b2', { recordedAt: '2028-02-29T23:59:59+14:00' }))}\n`)]);
    assert.deepEqual((await post(ingestUrl, ndjson, { 'content-type': 'application/x-ndjson' })).body, { accepted: 2 });
    assert.deepEqual((await post(ingestUrl, Buffer.concat([bom, Buffer.from(JSON.stringify(event('b3')))]))).body, { accepted: 1 });
    await gateway.journal.close();
    const reopened = await FileJournal.open({ dir: join(dir, 'data'), maxBytes: 1 << 30, maxAgeMs: 3_600_000, whenFull: 'reject', logger: captureLogger().logger });
    t.after(() => reopened.close());
    assert.deepEqual((await stored(reopened)).map((r) => r.event.id), ['b1', 'b2', 'b3'], 'read back from disk');
  });

  test('an empty array is accepted as zero events', async (t) => {
    const { ingestUrl } = await startGateway(t);
    assert.deepEqual((await post(ingestUrl, '[]')).body, { accepted: 0 });
  });
});

// One gateway for every case: each must leave the journal as it found it and count once.
test('refused requests store nothing and are counted by reason', async (t) => {
  const cases: { name: string; send: (url: string) => Promise<Sent>; status: number; reason: string; message: RegExp; problems?: unknown[] }[] = [
    {
      name: 'malformed JSON (the message gives the offset)',
      send: (url) => post(url, '[{"id":"x","recordedAt":"2026-11-23T10:15:00Z","action":{"type":"X"}}\n {"id":"y"}]'),
      status: 400,
      reason: 'malformed_json',
      message: /^malformed JSON at character 71 \(line 2, column 2\): Expected ',' or '\]' after array element; nothing was stored$/,
    },
    {
      name: 'malformed NDJSON (the message gives the line)',
      send: (url) => post(url, `${JSON.stringify(event('ok'))}\n${JSON.stringify(event('ok2'))}\n{"id": oops}\n`, { 'content-type': 'application/x-ndjson' }),
      status: 400,
      reason: 'malformed_json',
      message: /^1 of 3 events are invalid; nothing was stored$/,
      problems: [{ index: 2, line: 3, path: '', message: 'line 3: malformed JSON at character 7 (line 1, column 8): Unexpected character' }],
    },
    {
      name: 'malformed JSON that V8 would echo: only the place is given, never a fragment of the body',
      send: (url) => post(url, `${JSON.stringify(event('ok'))}\n{"name":"jane.doe@example.com","x": secret-fragment}\nundefined\n`, { 'content-type': 'application/x-ndjson' }),
      status: 400,
      reason: 'malformed_json',
      message: /^2 of 3 events are invalid; nothing was stored$/,
      problems: [
        { index: 1, line: 2, path: '', message: 'line 2: malformed JSON at character 36 (line 1, column 37): Unexpected character' },
        { index: 2, line: 3, path: '', message: 'line 3: malformed JSON at character 0 (line 1, column 1): not valid JSON' },
      ],
    },
    {
      name: 'a date that does not exist (February 30) is refused, not shifted to March 2',
      send: (url) => post(url, JSON.stringify([event('fine'), event('feb30', { recordedAt: '2026-02-30T10:15:00Z' }), event('t25', { recordedAt: '2026-11-23T25:00:00Z' }), event('feb29', { recordedAt: '2026-02-29T10:15:00Z' })])),
      status: 400,
      reason: 'invalid_event',
      message: /^3 of 4 events are invalid; nothing was stored$/,
      problems: [
        { index: 1, path: '/recordedAt', message: 'names a day that does not exist (month 2, day 30)' },
        { index: 2, path: '/recordedAt', message: 'must be an ISO-8601 date-time with a zone, for example 2026-11-23T10:15:00.000Z' },
        { index: 3, path: '/recordedAt', message: 'names a day that does not exist (month 2, day 29)' },
      ],
    },
    {
      name: 'missing id, recordedAt and action.type',
      send: (url) => post(url, JSON.stringify([event('fine'), { recordedAt: '2026-11-23T10:15:00Z', action: { type: 'X' } }, { id: 'b', action: { type: 'X' } }, { id: 'c', recordedAt: '2026-11-23T10:15:00Z', action: {} }])),
      status: 400,
      reason: 'invalid_event',
      message: /^3 of 4 events are invalid; nothing was stored$/,
      problems: [
        { index: 1, path: '/id', message: 'is required' },
        { index: 2, path: '/recordedAt', message: 'is required' },
        { index: 3, path: '/action/type', message: 'is required' },
      ],
    },
    {
      name: 'wrong types',
      send: (url) => post(url, JSON.stringify([{ id: 7, recordedAt: 'yesterday', action: 'LOGIN' }, 'a string'])),
      status: 400,
      reason: 'invalid_event',
      message: /^2 of 2 events are invalid; nothing was stored$/,
      problems: [
        { index: 0, path: '/id', message: 'must be a non-empty string, not a number' },
        { index: 0, path: '/recordedAt', message: 'must be an ISO-8601 date-time with a zone, for example 2026-11-23T10:15:00.000Z' },
        { index: 0, path: '/action', message: 'must be an object, not a string' },
        { index: 1, path: '', message: 'must be a JSON object, not a string' },
      ],
    },
    {
      name: '{"__proto__":{"polluted":1}}',
      send: (url) => post(url, '{"__proto__":{"polluted":1}}'),
      status: 400,
      reason: 'invalid_event',
      message: /^1 of 1 events are invalid; nothing was stored$/,
      problems: [
        { index: 0, path: '/id', message: 'is required' },
        { index: 0, path: '/recordedAt', message: 'is required' },
        { index: 0, path: '/action/type', message: 'is required' },
      ],
    },
    {
      name: 'a body over server.maxBodyKB',
      send: (url) => post(url, JSON.stringify([event('big', { pad: 'x'.repeat(70_000) })])),
      status: 413,
      reason: 'too_large',
      message: /^the body is larger than server\.maxBodyKB \(64 KB\)$/,
    },
    {
      name: 'a gzip body that inflates over the limit',
      send: (url) => post(url, gzipSync(JSON.stringify([event('bomb', { pad: '0'.repeat(5_000_000) })])), { 'content-encoding': 'gzip' }),
      status: 413,
      reason: 'too_large',
      message: /^the body inflates to more than server\.maxBodyKB \(64 KB\)$/,
    },
    {
      name: 'a body that is not gzip but says so',
      send: (url) => post(url, JSON.stringify(event('plain')), { 'content-encoding': 'gzip' }),
      status: 400,
      reason: 'bad_gzip',
      message: /^the body is not valid gzip/,
    },
    {
      name: 'nesting depth 1000',
      send: (url) => post(url, `{"id":"deep","recordedAt":"2026-11-23T10:15:00Z","action":{"type":"X"},"d":${'['.repeat(1000)}${']'.repeat(1000)}}`),
      status: 400,
      reason: 'too_deep',
      message: /^the body nests deeper than 64 levels; nothing was stored$/,
    },
    {
      name: 'invalid UTF-8',
      send: (url) => post(url, Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xc3, 0x28]), Buffer.from('","recordedAt":"2026-11-23T10:15:00Z","action":{"type":"X"}}')])),
      status: 400,
      reason: 'invalid_utf8',
      message: /^the body is not valid UTF-8$/,
    },
    {
      name: 'invalid UTF-8 in NDJSON',
      send: (url) => post(url, Buffer.concat([Buffer.from(`${JSON.stringify(event('u1'))}\n{"id":"`), Buffer.from([0xff]), Buffer.from('"}\n')]), { 'content-type': 'application/x-ndjson' }),
      status: 400,
      reason: 'invalid_utf8',
      message: /^the body is not valid UTF-8$/,
    },
    {
      name: 'an empty body',
      send: (url) => post(url, ' \n'),
      status: 400,
      reason: 'empty_body',
      message: /^the body is empty/,
    },
    {
      name: 'a wrong content type',
      send: (url) => post(url, JSON.stringify(event('t')), { 'content-type': 'text/plain' }),
      status: 415,
      reason: 'unsupported_media_type',
      message: /^Content-Type must be application\/json or application\/x-ndjson$/,
    },
    {
      name: 'an unsupported content encoding',
      send: (url) => post(url, JSON.stringify(event('t')), { 'content-encoding': 'br' }),
      status: 415,
      reason: 'unsupported_media_type',
      message: /^Content-Encoding must be gzip or absent$/,
    },
    {
      name: 'no token',
      send: (url) => post(url, JSON.stringify(event('t')), { authorization: '' }),
      status: 401,
      reason: 'unauthorized',
      message: /^a valid bearer token is required/,
    },
    {
      name: 'a wrong token',
      send: (url) => post(url, JSON.stringify(event('t')), { authorization: `Bearer ${ingestToken}x` }),
      status: 401,
      reason: 'unauthorized',
      message: /^a valid bearer token is required/,
    },
    {
      name: 'a token of another environment',
      send: (url) => post(url, JSON.stringify(event('t')), { authorization: `Bearer ${devToken}` }),
      status: 403,
      reason: 'forbidden',
      message: /^this token may not send events to environment prod$/,
    },
    {
      name: 'a token without the ingest scope',
      send: (url) => post(url, JSON.stringify(event('t')), { authorization: `Bearer ${opsToken}` }),
      status: 403,
      reason: 'forbidden',
      message: /^this token does not have the ingest scope$/,
    },
    {
      name: 'an unknown environment',
      send: (url) => post(url, JSON.stringify(event('t')), {}, 'staging'),
      status: 404,
      reason: 'unknown_environment',
      message: /^unknown environment$/,
    },
  ];

  const { gateway, ingestUrl, adminUrl } = await startGateway(t, { maxBodyKB: 64 });
  const rejected = async (reason: string) => sample(await scrape(adminUrl), `siem_gateway_ingest_rejected_total{reason="${reason}"}`);
  for (const item of cases) {
    await t.test(item.name, async () => {
      const storedBefore = gateway.journal.stats().lastSeq;
      const countedBefore = await rejected(item.reason);
      const answer = await item.send(ingestUrl);
      assert.equal(answer.status, item.status);
      assert.equal(answer.body.error, item.reason);
      assert.match(String(answer.body.message), item.message);
      if (item.problems) assert.deepEqual(answer.body.problems, item.problems);
      if (item.status === 401) assert.equal(answer.headers.get('www-authenticate'), 'Bearer');
      assert.equal(gateway.journal.stats().lastSeq, storedBefore, 'nothing of the request was stored');
      assert.equal(await rejected(item.reason), countedBefore + 1, 'counted once, by its reason');
      // The gateway still accepts a good request afterwards.
      assert.equal((await post(ingestUrl, JSON.stringify(event('after')))).status, 202);
      assert.equal(gateway.journal.stats().lastSeq, storedBefore + 1);
    });
  }
});

test('a full journal answers 503 with Retry-After and loses nothing it accepted', async (t) => {
  const { gateway, ingestUrl, adminUrl } = await startGateway(t, {
    extra: `storage: { maxMB: 16, whenFull: reject }
subscriptions:
  - { id: holder, environment: prod, httpEndpoint: { url: "https://127.0.0.1:9/x" }, filterOptions: { includedActionTypes: ["*"] } }
`,
  });
  const pad = 'p'.repeat(1000);
  const accepted: string[] = [];
  let refused: Sent | undefined;
  for (let request = 0; request < 40 && refused === undefined; request++) {
    const batch = Array.from({ length: 1000 }, (_, i) => event(`r${request}-${i}`, { pad }));
    const answer = await post(ingestUrl, JSON.stringify(batch));
    if (answer.status === 202) accepted.push(...batch.map((e) => e.id));
    else refused = answer;
  }
  assert.ok(refused, 'the journal filled up');
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get('retry-after'), '5');
  assert.equal(refused.body.error, 'journal_full');
  assert.deepEqual((await stored(gateway.journal as FileJournal)).map((r) => r.event.id), accepted);
  assert.equal(sample(await scrape(adminUrl), 'siem_gateway_events_rejected_total{environment="prod",reason="journal_full"}'), 1000);
});

test('/metrics needs a token with the metrics scope', async (t) => {
  const { adminUrl } = await startGateway(t);
  assert.equal((await fetch(`${adminUrl}/metrics`)).status, 401);
  assert.equal((await fetch(`${adminUrl}/metrics`, { headers: { authorization: `Bearer ${ingestToken}` } })).status, 403);
  const metrics = await scrape(adminUrl);
  assert.match(metrics, /^# HELP siem_gateway_journal_bytes /m);
  assert.ok(sample(metrics, 'siem_gateway_journal_max_bytes') > 0);
});
