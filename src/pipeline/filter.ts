// A subscription's filterOptions (SPEC §4) compiled once into a predicate: OR within a list, AND
// across lists, an absent or empty optional list matches all. Action types are exact names or `*`
// globs; never regular expressions from the configuration.
import type { Subscription } from '../config/gateway-config.js';
import type { ActivityEvent, JournalRecord } from '../event/activity-event.js';

export type EventFilter = (event: ActivityEvent) => boolean;
export type RecordFilter = (record: JournalRecord) => boolean;

/**
 * The same filter on journal records: a subscription that filters only on action types reads the
 * type found when the batch was scanned and never makes the record parse its event.
 */
export function compileRecordFilter(options: Subscription['filterOptions']): RecordFilter {
  const byEvent = compileFilter(options);
  const onlyActionTypes = [options.includedApplications, options.includedPopulations, options.includedTags].every((list) => list === undefined || list.length === 0);
  if (!onlyActionTypes) return (record) => byEvent(record.event);
  const actionType = actionTypeMatcher(options.includedActionTypes);
  return (record) => actionType(record.raw?.actionType ?? record.event.action.type);
}

/** Whether an event of the subscription's environment matches its filters. */
export function compileFilter(options: Subscription['filterOptions']): EventFilter {
  const actionType = actionTypeMatcher(options.includedActionTypes);
  const applications = idSet(options.includedApplications);
  const populations = idSet(options.includedPopulations);
  const tags = options.includedTags && options.includedTags.length > 0 ? new Set(options.includedTags) : undefined;
  return (event) => {
    if (!actionType(event.action.type)) return false;
    if (applications && !applications.has(clientId(event) ?? '')) return false;
    if (populations && !resourcePopulations(event).some((id) => populations.has(id))) return false;
    if (tags && !(Array.isArray(event.tags) && event.tags.some((tag) => typeof tag === 'string' && tags.has(tag)))) return false;
    return true;
  };
}

function idSet(list: readonly { id: string }[] | undefined): Set<string> | undefined {
  return list && list.length > 0 ? new Set(list.map((item) => item.id)) : undefined;
}

/** Exact names through a Set; globs through one anchored pattern built from escaped literals. */
export function actionTypeMatcher(patterns: readonly string[]): (type: string) => boolean {
  if (patterns.includes('*')) return () => true;
  const exact = new Set(patterns.filter((pattern) => !pattern.includes('*')));
  const globs = patterns.filter((pattern) => pattern.includes('*'));
  if (globs.length === 0) return (type) => exact.has(type);
  const source = globs.map((glob) => glob.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')).join('|');
  const pattern = new RegExp(`^(?:${source})$`);
  return (type) => exact.has(type) || pattern.test(type);
}

function clientId(event: ActivityEvent): string | undefined {
  const actors = event.actors as { client?: { id?: unknown } } | undefined;
  const id = actors?.client?.id;
  return typeof id === 'string' ? id : undefined;
}

function resourcePopulations(event: ActivityEvent): string[] {
  const resources = event.resources;
  if (!Array.isArray(resources)) return [];
  const ids: string[] = [];
  for (const resource of resources as { population?: { id?: unknown } }[]) {
    const id = resource?.population?.id;
    if (typeof id === 'string') ids.push(id);
  }
  return ids;
}
