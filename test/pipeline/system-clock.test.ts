// The real clock's sleep, which pipelines end on every read that finds records before the flush
// deadline: it must wait the time, reject with the abort's own reason (as the manual clock in the
// other tests does), and leave nothing listening on a signal that outlives it.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { systemClock } from '../../src/util/clock.js';

test('sleep waits its time and then leaves no listener on the signal', async () => {
  const controller = new AbortController();
  const started = performance.now();
  await systemClock.sleep(30, controller.signal);
  assert.ok(performance.now() - started >= 29, 'it waited');
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  await systemClock.sleep(1);
});

test('aborted, sleep rejects at once with the reason itself, not an AbortError made for it', async () => {
  const reason = new Error('flush due');
  const controller = new AbortController();
  const started = performance.now();
  const sleeping = systemClock.sleep(60_000, controller.signal);
  setTimeout(() => controller.abort(reason), 5);
  await assert.rejects(sleeping, (error) => error === reason);
  assert.ok(performance.now() - started < 1000);
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  const already = new AbortController();
  already.abort(reason);
  await assert.rejects(systemClock.sleep(60_000, already.signal), (error) => error === reason);
});
