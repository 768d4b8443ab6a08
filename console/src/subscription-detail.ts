// One subscription: its status, recent attempts, test-send, dead letters and replay.
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, type Json, api, show } from './api.js';

export function SubscriptionDetail({ environment, id, back, edit }: { environment: string; id: string; back: () => void; edit: () => void }) {
  const base = `/v1/environments/${encodeURIComponent(environment)}/subscriptions/${id}`;
  const [subscription, setSubscription] = useState<Json>({});
  const [status, setStatus] = useState<Json>({});
  const [letters, setLetters] = useState<Json[]>([]);
  const [result, setResult] = useState('');
  const load = async () => {
    setSubscription((await api('GET', base)).body);
    setStatus((await api('GET', `${base}/status`)).body);
    setLetters((await api<{ deadLetters: Json[] }>('GET', `${base}/dead-letters?limit=100`)).body.deadLetters);
  };
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 3000);
    return () => clearInterval(timer);
  }, [id]);
  const test = async () => {
    setResult('Sending…');
    const { body } = await api<{ delivered: boolean; status?: number; latencyMs: number; error?: string; tls?: { protocol?: string; peerCertificate?: { subject: string; validTo: string } } }>('POST', `${base}/test`);
    const tls = body.tls?.peerCertificate ? `; TLS ${body.tls.protocol ?? ''}, peer ${body.tls.peerCertificate.subject}, expires ${body.tls.peerCertificate.validTo}` : '';
    setResult(body.delivered ? `Delivered: status ${show(body.status)} in ${body.latencyMs} ms${tls}` : `Not delivered: ${body.error ?? `status ${show(body.status)}`}${tls}`);
  };
  const [selected, setSelected] = useState<number[]>([]);
  const [range, setRange] = useState({ from: '', to: '' });
  const [job, setJob] = useState<Json | undefined>(undefined);
  const follow = (started: Json) => {
    setJob(started);
    const timer = setInterval(() => {
      void api('GET', `${base}/replays/${show(started.id)}`).then(({ body }) => {
        setJob(body);
        if (body.state !== 'running') clearInterval(timer);
      });
    }, 500);
  };
  const replay = async (seqs?: number[]) => {
    try {
      follow((await api('POST', `${base}/dead-letters/replay`, seqs === undefined ? {} : { seqs })).body);
      setSelected([]);
    } catch (caught) {
      setResult((caught as Error).message);
    }
  };
  const purge = async () => {
    if (!window.confirm(`Delete all ${letters.length} dead letters of ${show(subscription.name ?? id)}? They cannot be replayed afterwards.`)) return;
    const { body } = await api<{ removed: number }>('DELETE', `${base}/dead-letters`);
    setResult(`${body.removed} dead letters deleted.`);
    await load();
  };
  const replayRange = async (event: Event) => {
    event.preventDefault();
    try {
      follow((await api('POST', `${base}/replay`, range)).body);
    } catch (caught) {
      const problems = caught instanceof ApiError ? (caught.body.problems ?? []) : [];
      setResult(problems.length > 0 ? problems.map((problem) => `${problem.path.slice(1)} ${problem.message}`).join('; ') : (caught as Error).message);
    }
  };
  const last = status.lastAttempt as { time?: string; status?: number; outcome?: string; error?: string } | undefined;
  return h('section', { 'aria-label': 'Subscription detail' },
    h('p', null, h('button', { type: 'button', class: 'secondary', onClick: back }, 'Back to subscriptions')),
    h('h2', null, show(subscription.name ?? id)),
    h('p', null, 'State: ', h('span', { class: `badge ${show(status.state ?? '')}`, 'data-state': show(status.state ?? '') }, show(status.state ?? '…')), `  Backlog: ${show(status.backlogEvents ?? '')}  Dead letters: ${show(status.deadLetters ?? '')}`),
    h('p', null, last === undefined ? 'No delivery attempt yet.' : `Last attempt: ${last.time ?? ''}, ${last.outcome ?? ''}${last.status === undefined ? '' : ` (${last.status})`}${last.error === undefined ? '' : `: ${last.error}`}`),
    h('p', null,
      h('button', { type: 'button', onClick: () => void test() }, 'Send test event'), ' ',
      h('button', { type: 'button', class: 'secondary', onClick: () => void api('POST', `${base}/retry`) }, 'Retry now'), ' ',
      subscription.managedBy === 'file' ? null : h('button', { type: 'button', class: 'secondary', onClick: edit }, 'Edit'),
    ),
    result === '' ? null : h('p', { class: 'result', role: 'status' }, result),
    h('h3', null, 'Recent delivery attempts'),
    ((status.recentAttempts as Json[] | undefined) ?? []).length === 0 ? h('p', null, 'None yet.') : h('table', null,
      h('thead', null, h('tr', null, ...['Time', 'Events', 'Outcome', 'Status', 'Error'].map((title) => h('th', { scope: 'col' }, title)))),
      h('tbody', null, ...((status.recentAttempts as Json[] | undefined) ?? []).map((attempt) => h('tr', { 'data-attempt': show(attempt.outcome) }, h('td', null, show(attempt.time)), h('td', null, show(attempt.events)), h('td', null, show(attempt.outcome)), h('td', null, show(attempt.status)), h('td', null, show(attempt.error))))),
    ),
    job === undefined ? null : h('p', { class: 'result', role: 'status', 'data-job-state': show(job.state) }, `Replay ${show(job.kind)}: ${show(job.state)}, at seq ${show(job.position)} of ${show(job.fromSeq)}..${show(job.toSeq)}${job.removedDeadLetters === undefined ? '' : `; ${show(job.removedDeadLetters)} dead letters delivered`}`),
    h('h3', null, 'Dead letters'),
    letters.length === 0 ? h('p', null, 'No dead letters.') : h('div', null,
      h('table', null,
        h('thead', null, h('tr', null, ...['', 'Event', 'Status', 'Reason', 'Response'].map((title) => h('th', { scope: 'col' }, title)))),
        h('tbody', null, ...letters.map((letter) => {
          const seq = Number(letter.seq);
          const eventId = show((letter.event as Json).id);
          return h('tr', null,
            h('td', null, h('input', { type: 'checkbox', id: `letter-${seq}`, checked: selected.includes(seq), onChange: () => setSelected(selected.includes(seq) ? selected.filter((other) => other !== seq) : [...selected, seq]) }), h('label', { for: `letter-${seq}`, class: 'inline' }, `Select ${eventId}`)),
            h('td', null, eventId), h('td', null, show(letter.status)), h('td', null, show(letter.reason)), h('td', null, show(letter.response)));
        })),
      ),
      h('p', null,
        h('button', { type: 'button', disabled: selected.length === 0, onClick: () => void replay(selected) }, 'Replay selected'), ' ',
        h('button', { type: 'button', onClick: () => void replay() }, 'Replay all dead letters'), ' ',
        h('button', { type: 'button', class: 'secondary', onClick: () => void purge() }, 'Purge dead letters'),
      ),
    ),
    h('h3', null, 'Replay a time range'),
    h('form', { onSubmit: replayRange, 'aria-label': 'Replay a time range' },
      h('label', { for: 'from' }, 'From (ISO time)'), h('input', { id: 'from', type: 'text', placeholder: '2026-11-24T10:00:00Z', value: range.from, onInput: (e: Event) => setRange({ ...range, from: (e.target as HTMLInputElement).value }) }),
      h('label', { for: 'to' }, 'To (ISO time)'), h('input', { id: 'to', type: 'text', placeholder: '2026-11-24T11:00:00Z', value: range.to, onInput: (e: Event) => setRange({ ...range, to: (e.target as HTMLInputElement).value }) }),
      h('p', null, h('button', { type: 'submit' }, 'Replay time range')),
    ),
  );
}
