// source.ipAddress and source.userAgent are removed unless exposed; the stored event never changes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ActivityEvent } from '../../src/event/activity-event.js';
import { compileRedactor } from '../../src/pipeline/redact.js';

const stored = (): ActivityEvent => ({ id: 'e', recordedAt: '2026-11-23T10:15:00Z', action: { type: 'X' }, source: { ipAddress: '203.0.113.7', userAgent: 'curl/8', region: 'eu' } });

test('both removed by default; other source fields stay', () => {
  const event = stored();
  const before = JSON.stringify(event);
  assert.deepEqual(compileRedactor({ ipAddressExposed: false, userAgentExposed: false })(event).source, { region: 'eu' });
  assert.equal(JSON.stringify(event), before, 'the stored event is not modified');
});

test('each exposure flag keeps its own field only', () => {
  assert.deepEqual(compileRedactor({ ipAddressExposed: true, userAgentExposed: false })(stored()).source, { ipAddress: '203.0.113.7', region: 'eu' });
  assert.deepEqual(compileRedactor({ ipAddressExposed: false, userAgentExposed: true })(stored()).source, { userAgent: 'curl/8', region: 'eu' });
  const event = stored();
  assert.equal(compileRedactor({ ipAddressExposed: true, userAgentExposed: true })(event), event, 'nothing to remove: the same object');
});

test('a source with nothing left is left out; events without source pass unchanged', () => {
  const onlyIp: ActivityEvent = { id: 'e', recordedAt: '2026-11-23T10:15:00Z', action: { type: 'X' }, source: { ipAddress: '203.0.113.7' } };
  const redacted = compileRedactor({ ipAddressExposed: false, userAgentExposed: false })(onlyIp);
  assert.equal('source' in redacted, false);
  assert.deepEqual(onlyIp.source, { ipAddress: '203.0.113.7' });
  const none: ActivityEvent = { id: 'e', recordedAt: '2026-11-23T10:15:00Z', action: { type: 'X' } };
  assert.equal(compileRedactor({ ipAddressExposed: false, userAgentExposed: false })(none), none);
});
