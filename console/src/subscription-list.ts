// The subscription list of an environment: each subscription's destination, format, state and
// the last minutes' deliveries.
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { type Json, api, show } from './api.js';

export const formatNames: Record<string, string> = { SPLUNK: 'Splunk', ACTIVITY: 'Ping Activity Format', NEWRELIC: 'New Relic', TEMPLATE: 'Template (PingAM-style webhook)', SET: 'Security Event Token (RFC 8417)', ELASTICSEARCH: 'Elasticsearch / OpenSearch (bulk, ECS)', OTLP: 'OpenTelemetry logs (OTLP/HTTP)', OCSF: 'OCSF (one schema for every IdP)', CEF: 'CEF (ArcSight)', LEEF: 'LEEF 2.0 (QRadar)' };
/** Formats that send one event per request, so batching and the payload format do not apply. */
export const perRequest = (format: string) => format === 'TEMPLATE' || format === 'SET';

export function destination(subscription: Json): string {
  const endpoint = (subscription.httpEndpoint ?? subscription.connectionDetails) as { url?: string } | undefined;
  return endpoint?.url ?? '';
}

export function SubscriptionList({ environment, open, create }: { environment: string; open: (id: string) => void; create: () => void }) {
  const [subscriptions, setSubscriptions] = useState<Json[]>([]);
  const [statuses, setStatuses] = useState<Record<string, Json>>({});
  /** Delivered-per-minute samples per subscription, newest last, for the throughput charts. */
  const [history, setHistory] = useState<Record<string, number[]>>({});
  const [error, setError] = useState('');
  const base = `/v1/environments/${encodeURIComponent(environment)}/subscriptions`;
  const load = async () => {
    try {
      const { body } = await api<{ subscriptions: Json[] }>('GET', `${base}?limit=100`);
      setSubscriptions(body.subscriptions);
      const entries = await Promise.all(body.subscriptions.map(async (s) => [show(s.id), (await api('GET', `${base}/${show(s.id)}/status`)).body] as const));
      setStatuses(Object.fromEntries(entries));
      setHistory((previous) => Object.fromEntries(entries.map(([id, status]) => [id, [...(previous[id] ?? []), Number(status.deliveredLastMinute ?? 0)].slice(-30)])));
    } catch (caught) {
      setError((caught as Error).message);
    }
  };
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 3000);
    return () => clearInterval(timer);
  }, [environment]);
  const toggle = async (subscription: Json) => {
    const { body, etag } = await api('GET', `${base}/${show(subscription.id)}`);
    await api('PUT', `${base}/${show(subscription.id)}`, { ...body, enabled: body.enabled === false }, etag === null ? {} : { 'if-match': etag });
    await load();
  };
  return h('section', { 'aria-label': 'Subscriptions' },
    h('h2', null, 'Subscriptions'),
    h('p', null, h('button', { type: 'button', onClick: create }, 'Add subscription')),
    error === '' ? null : h('p', { class: 'error', role: 'alert' }, error),
    h('table', null,
      h('thead', null, h('tr', null, ...['Name', 'Protocol', 'Destination', 'Format', 'State', 'Backlog', 'Oldest undelivered', 'Delivered per minute', ''].map((title) => h('th', { scope: 'col' }, title)))),
      h('tbody', null, ...subscriptions.map((subscription) => {
        const id = show(subscription.id);
        const status = statuses[id] ?? {};
        const fromFile = subscription.managedBy === 'file';
        const name = show(subscription.name ?? id);
        return h('tr', { 'data-subscription': id },
          h('td', null, h('a', { href: `#subscription/${id}`, onClick: (e: Event) => { e.preventDefault(); open(id); } }, name), fromFile ? h('div', { class: 'note' }, 'Defined in the configuration file: read-only here.') : null),
          h('td', null, show(subscription.protocol ?? 'HTTPS') === 'TCP_IP' ? 'TCP/IP' : 'HTTPS'),
          h('td', null, destination(subscription)),
          h('td', null, formatNames[show(subscription.format ?? 'ACTIVITY')]),
          h('td', null, h('span', { class: `badge ${show(status.state ?? '')}`, 'data-state': show(status.state ?? '') }, show(status.state ?? '…'))),
          h('td', null, show(status.backlogEvents ?? '')),
          h('td', null, status.oldestUndeliveredAgeSeconds === undefined ? '' : `${Math.round(Number(status.oldestUndeliveredAgeSeconds))} s`),
          h('td', { 'data-delivered': show(status.deliveredLastMinute ?? 0) }, show(status.deliveredLastMinute ?? ''), h(Sparkline, { samples: history[id] ?? [], label: `Throughput of ${name}` })),
          h('td', null, fromFile ? null : h('button', { type: 'button', class: 'secondary', 'aria-label': `${subscription.enabled === false ? 'Enable' : 'Suspend'} ${name}`, onClick: () => void toggle(subscription) }, subscription.enabled === false ? 'Enable' : 'Suspend')),
        );
      })),
    ),
  );
}

/** A small line of the last samples, scaled to the largest. */
export function Sparkline({ samples, label }: { samples: number[]; label: string }) {
  const width = 90;
  const height = 22;
  const top = Math.max(1, ...samples);
  const points = samples.map((value, index) => `${((index / Math.max(1, samples.length - 1)) * width).toFixed(1)},${(height - (value / top) * (height - 2) - 1).toFixed(1)}`).join(' ');
  return h('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, 'data-points': samples.join(','), class: 'sparkline' },
    samples.length > 1 ? h('polyline', { points, fill: 'none', stroke: '#2b5bd7', 'stroke-width': 1.5 }) : null);
}
