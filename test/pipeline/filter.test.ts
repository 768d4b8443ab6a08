// Filter truth tables for every rule of SPEC §4.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ActivityEvent } from '../../src/event/activity-event.js';
import { actionTypeMatcher, compileFilter } from '../../src/pipeline/filter.js';

const base = { ipAddressExposed: false, userAgentExposed: false };

function event(type: string, extra: Partial<ActivityEvent> = {}): ActivityEvent {
  return { id: 'e', recordedAt: '2026-11-23T10:15:00Z', action: { type }, ...extra };
}

describe('includedActionTypes: exact names and * globs', () => {
  const cases: [string[], string, boolean][] = [
    [['*'], 'USER.CREATED', true],
    [['*'], 'ANYTHING', true],
    [['USER.CREATED'], 'USER.CREATED', true],
    [['USER.CREATED'], 'USER.CREATEDX', false],
    [['USER.CREATED'], 'user.created', false],
    [['USER.*'], 'USER.CREATED', true],
    [['USER.*'], 'USER.', true],
    [['USER.*'], 'USERS.CREATED', false],
    [['USER.*'], 'AUTHENTICATION.USER.CREATED', false],
    [['*.DELETED'], 'SESSION.DELETED', true],
    [['*.DELETED'], 'SESSION.DELETED.LATER', false],
    [['A*B*C'], 'AxxBxxC', true],
    [['A*B*C'], 'AxxC', false],
    // A dot is a literal, not "any character"; brackets and parentheses mean nothing special.
    [['USER.CREATED'], 'USERXCREATED', false],
    [['USER.*'], 'USERXCREATED', false],
    [['USER.(CREATED)'], 'USER.CREATED', false],
    // OR within the list.
    [['SESSION.DELETED', 'USER.*'], 'SESSION.DELETED', true],
    [['SESSION.DELETED', 'USER.*'], 'USER.UPDATED', true],
    [['SESSION.DELETED', 'USER.*'], 'SESSION.CREATED', false],
  ];
  for (const [patterns, type, expected] of cases) {
    test(`${JSON.stringify(patterns)} ${expected ? 'matches' : 'does not match'} ${type}`, () => {
      assert.equal(actionTypeMatcher(patterns)(type), expected);
      assert.equal(compileFilter({ ...base, includedActionTypes: patterns })(event(type)), expected);
    });
  }
});

describe('applications, populations and tags', () => {
  const matches = (filter: Parameters<typeof compileFilter>[0], e: ActivityEvent) => compileFilter(filter)(e);
  const withClient = (id?: unknown) => event('USER.CREATED', id === undefined ? {} : { actors: { client: { id } } });
  const withPopulations = (...ids: unknown[]) => event('USER.CREATED', { resources: ids.map((id) => (id === null ? { type: 'USER' } : { type: 'USER', population: { id } })) });

  test('includedApplications matches actors.client.id, OR within the list', () => {
    const filter = { ...base, includedActionTypes: ['*'], includedApplications: [{ id: 'app-1' }, { id: 'app-2' }] };
    assert.equal(matches(filter, withClient('app-1')), true);
    assert.equal(matches(filter, withClient('app-2')), true);
    assert.equal(matches(filter, withClient('app-3')), false);
    assert.equal(matches(filter, withClient()), false);
    assert.equal(matches(filter, withClient(7)), false);
    assert.equal(matches(filter, event('USER.CREATED', { actors: { user: { id: 'app-1' } } })), false);
  });

  test('includedPopulations matches any resources[].population.id, not the actor population', () => {
    const filter = { ...base, includedActionTypes: ['*'], includedPopulations: [{ id: 'pop-1' }] };
    assert.equal(matches(filter, withPopulations('pop-1')), true);
    assert.equal(matches(filter, withPopulations('pop-9', 'pop-1')), true);
    assert.equal(matches(filter, withPopulations('pop-9')), false);
    assert.equal(matches(filter, withPopulations(null)), false);
    assert.equal(matches(filter, event('USER.CREATED')), false);
    assert.equal(matches(filter, event('USER.CREATED', { actors: { user: { population: { id: 'pop-1' } } } })), false);
    assert.equal(matches(filter, event('USER.CREATED', { resources: 'pop-1' })), false);
  });

  test('includedTags matches any tag', () => {
    const filter = { ...base, includedActionTypes: ['*'], includedTags: ['adminIdentityEvent'] };
    assert.equal(matches(filter, event('X', { tags: ['adminIdentityEvent'] })), true);
    assert.equal(matches(filter, event('X', { tags: ['other', 'adminIdentityEvent'] })), true);
    assert.equal(matches(filter, event('X', { tags: ['other'] })), false);
    assert.equal(matches(filter, event('X', { tags: [] })), false);
    assert.equal(matches(filter, event('X')), false);
  });

  test('an empty or absent optional list matches all', () => {
    for (const filter of [
      { ...base, includedActionTypes: ['*'] },
      { ...base, includedActionTypes: ['*'], includedApplications: [], includedPopulations: [], includedTags: [] },
    ]) {
      assert.equal(matches(filter, event('X')), true);
      assert.equal(matches(filter, withClient('any')), true);
    }
  });

  test('AND across lists: the full truth table', () => {
    const filter = { ...base, includedActionTypes: ['USER.*'], includedApplications: [{ id: 'app' }], includedPopulations: [{ id: 'pop' }], includedTags: ['adminIdentityEvent'] };
    for (const type of [true, false]) {
      for (const app of [true, false]) {
        for (const pop of [true, false]) {
          for (const tag of [true, false]) {
            const e = event(type ? 'USER.CREATED' : 'GROUP.CREATED', {
              actors: { client: { id: app ? 'app' : 'other' } },
              resources: [{ population: { id: pop ? 'pop' : 'other' } }],
              tags: tag ? ['adminIdentityEvent'] : [],
            });
            assert.equal(matches(filter, e), type && app && pop && tag, JSON.stringify({ type, app, pop, tag }));
          }
        }
      }
    }
  });
});
