// Byte-exact bodies for every format x encoding, through a real pipeline over a real journal.
// UPDATE_GOLDEN=1 rewrites the files; review the diff before committing it.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ActivityEvent } from '../../src/event/activity-event.js';
import { batchOf } from '../../src/contracts/journal.js';
import { pipelineFixture, subscriptionFrom } from '../helpers/pipeline-fixture.js';

const goldenDir = fileURLToPath(new URL('../../../test/golden/', import.meta.url));

const events: ActivityEvent[] = [
  {
    id: '2076da4e-0000-4000-8000-000000000001',
    recordedAt: '2026-11-23T10:15:00.123Z',
    createdAt: '2026-11-23T10:15:00.130Z',
    correlationId: 'c0ffee00-0000-4000-8000-000000000001',
    action: { type: 'USER.CREATED', description: 'User Created' },
    actors: {
      client: { id: 'app-1', name: 'Admin Console', type: 'CLIENT', environment: { id: 'env-1' } },
      user: { id: 'user-1', name: 'admin@example.com', type: 'USER', population: { id: 'pop-admins' } },
    },
    resources: [{ type: 'USER', id: 'user-2', name: 'new@example.com', population: { id: 'pop-1' } }],
    result: { status: 'SUCCESS', description: 'Created user new@example.com' },
    tags: ['adminIdentityEvent'],
    source: { ipAddress: '203.0.113.7', userAgent: 'Mozilla/5.0' },
  },
  { id: 'e-2', recordedAt: '2026-11-23T10:15:01Z', action: { type: 'SESSION.DELETED' }, result: { status: 'FAILED' }, enabled: true, score: 0.5 },
  { id: 'e-3', recordedAt: '2026-11-23T11:15:02.5+01:00', action: { type: 'PASSWORD.CHECK_FAILED', description: 'Wrong password ✗' }, resources: [], note: 'line\nbreak "quoted"' },
];

const subscriptions = {
  ACTIVITY: '    format: ACTIVITY\n',
  SPLUNK: '    format: SPLUNK\n    splunk: { index: audit, source: pingone, sourcetype: "pingone:activity", host: gw-1 }\n',
  NEWRELIC: '    format: NEWRELIC\n',
  'NEWRELIC-events': '    format: NEWRELIC\n    newRelic: { api: events }\n',
};
const encodings = {
  'JSON_ARRAY': '{ format: JSON_ARRAY }',
  'JSON_ARRAY-pretty': '{ format: JSON_ARRAY, prettyPrint: true }',
  'ND_JSON': '{ format: ND_JSON }',
};

describe('golden bodies', () => {
  for (const [format, formatYaml] of Object.entries(subscriptions)) {
    for (const [encoding, encodingYaml] of Object.entries(encodings)) {
      const name = `${format}.${encoding}`;
      test(name, async (t) => {
        const subscription = subscriptionFrom(`${formatYaml}    startAt: earliest\n    filterOptions: { includedActionTypes: ["*"] }\n    payloadOptions:\n      maximumPayloadLimit: { type: EVENTS_PER_PAYLOAD, size: 3 }\n      payloadFormat: { https: ${encodingYaml} }\n`);
        const { journal, transport, pipeline } = await pipelineFixture(t, subscription);
        await journal.append('prod', batchOf(events));
        await pipeline.start();
        await transport.received(1);
        const [batch] = transport.batches;
        assert.equal(batch!.events, 3);
        assert.equal(batch!.contentType, encoding === 'ND_JSON' ? 'application/x-ndjson' : 'application/json');
        const file = `${goldenDir}${name}.txt`;
        if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, batch!.body);
        assert.equal(batch!.body.toString('utf8'), readFileSync(file, 'utf8'));
        // Written item by item, the body is exactly what JSON.stringify makes of the whole document.
        const body = batch!.body.toString();
        if (encoding === 'ND_JSON') assert.equal(body, `${body.trimEnd().split('\n').map((line) => JSON.stringify(JSON.parse(line))).join('\n')}\n`);
        else assert.equal(body, JSON.stringify(JSON.parse(body), null, encoding === 'JSON_ARRAY-pretty' ? 2 : undefined));
      });
    }
  }
});
