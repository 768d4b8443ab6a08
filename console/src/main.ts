// The siem-gateway console: the PingOne webhook console flow on the management API. Everything it
// shows comes from the API with the admin token the operator signed in with; the token lives in
// sessionStorage only and travels as a bearer header, never in a URL.
import { h, render, type ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

type Json = Record<string, unknown>;
interface Problem {
  path: string;
  message: string;
}
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: string; message?: string; problems?: Problem[] },
  ) {
    super(body.message ?? `HTTP ${status}`);
  }
}

const tokenKey = 'siem-gateway-admin-token';

/** A value from the API as text: strings and numbers as they are, anything else as nothing. */
function show(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? `${value}` : '';
}

async function api<T = Json>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ body: T; etag: string | null }> {
  const token = sessionStorage.getItem(tokenKey) ?? '';
  const response = await fetch(path, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  const parsed = (text === '' ? {} : JSON.parse(text)) as T & { error?: string; message?: string; problems?: Problem[] };
  if (!response.ok) throw new ApiError(response.status, parsed);
  return { body: parsed, etag: response.headers.get('etag') };
}

// ---- sign-in -----------------------------------------------------------------------------------

function SignIn({ onSignedIn }: { onSignedIn: (environments: string[]) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const submit = async (event: Event) => {
    event.preventDefault();
    sessionStorage.setItem(tokenKey, token);
    try {
      const { body } = await api<{ environments: string[] }>('GET', '/v1/environments');
      onSignedIn(body.environments);
    } catch (caught) {
      sessionStorage.removeItem(tokenKey);
      setError(caught instanceof ApiError && caught.status === 401 ? 'That token is not valid. Use a token with the admin scope.' : caught instanceof ApiError && caught.status === 403 ? 'That token does not have the admin scope.' : 'The gateway cannot be reached.');
    }
  };
  return h('form', { onSubmit: submit, 'aria-label': 'Sign in' },
    h('h2', null, 'Sign in'),
    h('label', { for: 'token' }, 'Admin token'),
    h('input', { id: 'token', type: 'password', autocomplete: 'off', value: token, onInput: (e: Event) => setToken((e.target as HTMLInputElement).value), required: true }),
    h('p', null, h('button', { type: 'submit' }, 'Sign in')),
    error === '' ? null : h('p', { class: 'error', role: 'alert' }, error),
  );
}

// ---- subscriptions -------------------------------------------------------------------------------

const formatNames: Record<string, string> = { SPLUNK: 'Splunk', ACTIVITY: 'Ping Activity Format', NEWRELIC: 'New Relic' };

function destination(subscription: Json): string {
  const endpoint = (subscription.httpEndpoint ?? subscription.connectionDetails) as { url?: string } | undefined;
  return endpoint?.url ?? '';
}

function SubscriptionList({ environment, open, create }: { environment: string; open: (id: string) => void; create: () => void }) {
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
function Sparkline({ samples, label }: { samples: number[]; label: string }) {
  const width = 90;
  const height = 22;
  const top = Math.max(1, ...samples);
  const points = samples.map((value, index) => `${((index / Math.max(1, samples.length - 1)) * width).toFixed(1)},${(height - (value / top) * (height - 2) - 1).toFixed(1)}`).join(' ');
  return h('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, 'data-points': samples.join(','), class: 'sparkline' },
    samples.length > 1 ? h('polyline', { points, fill: 'none', stroke: '#2b5bd7', 'stroke-width': 1.5 }) : null);
}

// ---- create / edit -------------------------------------------------------------------------------

/** Which form field a problem's JSON pointer belongs to. */
function fieldOf(pointer: string): string {
  if (pointer.startsWith('/name')) return 'name';
  if (pointer.startsWith('/httpEndpoint') || pointer.startsWith('/connectionDetails')) return 'url';
  if (pointer.startsWith('/payloadOptions/maximumPayloadLimit')) return 'limit';
  if (pointer.startsWith('/filterOptions/includedActionTypes')) return 'events';
  return 'general';
}

function Field({ id, label, problems, children }: { id: string; label: string; problems: Problem[]; children?: ComponentChildren }) {
  const mine = problems.filter((problem) => fieldOf(problem.path) === id);
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    children,
    ...mine.map((problem) => h('p', { class: 'error', id: `${id}-error`, role: 'alert' }, problem.message)),
  );
}

function SubscriptionForm({ environment, id, done }: { environment: string; id?: string; done: () => void }) {
  const base = `/v1/environments/${encodeURIComponent(environment)}/subscriptions`;
  const [values, setValues] = useState({ name: '', protocol: 'HTTPS', url: '', format: 'SPLUNK', encoding: 'ND_JSON', limit: '500', all: false, ip: false, userAgent: false });
  const [original, setOriginal] = useState<{ body: Json; etag: string | null } | undefined>(undefined);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [message, setMessage] = useState('');
  const load = async () => {
    if (id === undefined) return;
    const loaded = await api('GET', `${base}/${id}`);
    const body = loaded.body as { name?: string; protocol?: string; format?: string; httpEndpoint?: { url?: string }; connectionDetails?: { url?: string }; payloadOptions?: { maximumPayloadLimit?: { size?: number }; payloadFormat?: { https?: { format?: string } } }; filterOptions?: { includedActionTypes?: string[]; ipAddressExposed?: boolean; userAgentExposed?: boolean } };
    setOriginal(loaded);
    setValues({ name: body.name ?? '', protocol: body.protocol ?? 'HTTPS', url: body.httpEndpoint?.url ?? body.connectionDetails?.url ?? '', format: body.format ?? 'ACTIVITY', encoding: body.payloadOptions?.payloadFormat?.https?.format ?? 'ND_JSON', limit: show(body.payloadOptions?.maximumPayloadLimit?.size ?? 500), all: body.filterOptions?.includedActionTypes?.includes('*') ?? false, ip: body.filterOptions?.ipAddressExposed ?? false, userAgent: body.filterOptions?.userAgentExposed ?? false });
  };
  useEffect(() => void load(), [id]);
  const set = (name: string) => (e: Event) => {
    const target = e.target as HTMLInputElement;
    setValues({ ...values, [name]: target.type === 'checkbox' ? target.checked : target.value });
  };
  const save = async (event: Event) => {
    event.preventDefault();
    setProblems([]);
    const body: Json = {
      ...(original?.body ?? {}),
      name: values.name,
      protocol: values.protocol,
      format: values.format,
      ...(values.protocol === 'HTTPS' ? { httpEndpoint: { ...((original?.body.httpEndpoint) ?? {}), url: values.url } } : { connectionDetails: { url: values.url } }),
      filterOptions: { ...((original?.body.filterOptions) ?? {}), includedActionTypes: values.all ? ['*'] : [], ipAddressExposed: values.ip, userAgentExposed: values.userAgent },
      payloadOptions: { ...((original?.body.payloadOptions) ?? {}), maximumPayloadLimit: { type: 'EVENTS_PER_PAYLOAD', size: Number(values.limit) }, payloadFormat: { https: { format: values.encoding } } },
    };
    if (values.protocol === 'TCP_IP') delete body.httpEndpoint;
    try {
      if (id === undefined) await api('POST', base, body);
      else await api('PUT', `${base}/${id}`, body, original?.etag === null || original === undefined ? {} : { 'if-match': original.etag });
      done();
    } catch (caught) {
      if (!(caught instanceof ApiError)) throw caught;
      if (caught.status === 412) {
        setMessage('This subscription was changed by someone else meanwhile; it has been reloaded. Apply your change again.');
        await load();
        return;
      }
      setProblems(caught.body.problems ?? [{ path: '', message: caught.message }]);
    }
  };
  const general = problems.filter((problem) => fieldOf(problem.path) === 'general');
  return h('form', { onSubmit: save, 'aria-label': id === undefined ? 'Add subscription' : 'Edit subscription', noValidate: true },
    h('h2', null, id === undefined ? 'Add subscription' : `Edit ${values.name || id}`),
    message === '' ? null : h('p', { class: 'error', role: 'alert' }, message),
    h(Field, { id: 'name', label: 'Name', problems }, h('input', { id: 'name', type: 'text', value: values.name, onInput: set('name') })),
    h(Field, { id: 'protocol', label: 'Protocol', problems }, h('select', { id: 'protocol', value: values.protocol, onChange: set('protocol') }, h('option', { value: 'HTTPS' }, 'HTTPS'), h('option', { value: 'TCP_IP' }, 'TCP/IP'))),
    h(Field, { id: 'url', label: 'Destination URL', problems }, h('input', { id: 'url', type: 'url', value: values.url, onInput: set('url') })),
    h(Field, { id: 'format', label: 'Event Schema', problems }, h('select', { id: 'format', value: values.format, onChange: set('format') }, ...Object.entries(formatNames).map(([value, label]) => h('option', { value }, label)))),
    h(Field, { id: 'encoding', label: 'Payload Format', problems }, h('select', { id: 'encoding', value: values.encoding, onChange: set('encoding') }, h('option', { value: 'ND_JSON' }, 'NDJSON'), h('option', { value: 'JSON_ARRAY' }, 'JSON array'))),
    h(Field, { id: 'limit', label: 'Payload Limit (events, 1–500)', problems }, h('input', { id: 'limit', type: 'number', value: values.limit, onInput: set('limit') })),
    h('div', { class: 'field' }, h('input', { id: 'ip', type: 'checkbox', checked: values.ip, onChange: set('ip') }), h('label', { for: 'ip', class: 'inline' }, 'Include IP address')),
    h('div', { class: 'field' }, h('input', { id: 'ua', type: 'checkbox', checked: values.userAgent, onChange: set('userAgent') }), h('label', { for: 'ua', class: 'inline' }, 'Include User Agent')),
    h('fieldset', null, h('legend', null, 'Event Types'),
      h('input', { id: 'events', type: 'checkbox', checked: values.all, onChange: set('all') }), h('label', { for: 'events', class: 'inline' }, 'All event types'),
      values.all ? null : h('p', { class: 'note' }, 'At least one event type is required.'),
      ...problems.filter((problem) => fieldOf(problem.path) === 'events').map((problem) => h('p', { class: 'error', role: 'alert' }, problem.message)),
    ),
    ...general.map((problem) => h('p', { class: 'error', role: 'alert' }, `${problem.path} ${problem.message}`)),
    h('p', null, h('button', { type: 'submit' }, 'Save'), ' ', h('button', { type: 'button', class: 'secondary', onClick: done }, 'Cancel')),
  );
}

// ---- detail -------------------------------------------------------------------------------------

function SubscriptionDetail({ environment, id, back, edit }: { environment: string; id: string; back: () => void; edit: () => void }) {
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

// ---- keys and certificates ----------------------------------------------------------------------

const fortnightMs = 14 * 86_400_000;

function MaterialPage({ environment }: { environment: string }) {
  const base = `/v1/environments/${encodeURIComponent(environment)}`;
  const [keys, setKeys] = useState<Json[]>([]);
  const [certificates, setCertificates] = useState<Json[]>([]);
  const [form, setForm] = useState({ id: '', certificate: '', privateKey: '', passphrase: '', pkcs12: '' });
  const [caForm, setCaForm] = useState({ id: '', certificate: '' });
  const [message, setMessage] = useState('');
  const load = async () => {
    setKeys((await api<{ keys: Json[] }>('GET', `${base}/keys`)).body.keys);
    setCertificates((await api<{ certificates: Json[] }>('GET', `${base}/certificates`)).body.certificates);
  };
  useEffect(() => void load(), [environment]);
  const failure = (caught: unknown) => {
    const problems = caught instanceof ApiError ? (caught.body.problems ?? []) : [];
    setMessage(problems.length > 0 ? problems.map((problem) => `${problem.path.slice(1)}: ${problem.message}`).join('; ') : (caught as Error).message);
  };
  const readFile = (e: Event) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file === undefined) return;
    void file.arrayBuffer().then((buffer) => {
      let binary = '';
      for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
      setForm({ ...form, pkcs12: btoa(binary) });
    });
  };
  const addKey = async (event: Event) => {
    event.preventDefault();
    const body = form.pkcs12 !== '' ? { id: form.id, usage: 'OUTBOUND_MTLS', pkcs12: form.pkcs12, passphrase: form.passphrase } : { id: form.id, usage: 'OUTBOUND_MTLS', certificate: form.certificate, privateKey: form.privateKey };
    try {
      await api('POST', `${base}/keys`, body);
      setMessage(`Key pair ${form.id} added.`);
      setForm({ id: '', certificate: '', privateKey: '', passphrase: '', pkcs12: '' });
      await load();
    } catch (caught) {
      failure(caught);
    }
  };
  const addCertificate = async (event: Event) => {
    event.preventDefault();
    try {
      await api('POST', `${base}/certificates`, caForm);
      setMessage(`Certificate ${caForm.id} added.`);
      setCaForm({ id: '', certificate: '' });
      await load();
    } catch (caught) {
      failure(caught);
    }
  };
  const remove = async (kind: 'keys' | 'certificates', id: string) => {
    try {
      await api('DELETE', `${base}/${kind}/${id}`);
      setMessage(`${id} deleted.`);
      await load();
    } catch (caught) {
      failure(caught);
    }
  };
  const rows = (items: Json[], kind: 'keys' | 'certificates') => items.map((item) => {
    const id = show(item.id);
    const described = (item.certificates as { subject: string; issuer: string; notAfter: string }[] | undefined) ?? [];
    return h('tr', { 'data-material': id },
      h('td', null, id),
      h('td', null, ...described.map((certificate) => h('div', null, certificate.subject))),
      h('td', null, ...described.map((certificate) => h('div', null, certificate.issuer))),
      h('td', null, ...described.map((certificate) => h('div', { class: Date.parse(certificate.notAfter) - Date.now() < fortnightMs ? 'error' : '' }, certificate.notAfter))),
      h('td', null, item.managedBy === 'file' ? h('span', { class: 'note' }, 'From the configuration file') : h('button', { type: 'button', class: 'secondary', 'aria-label': `Delete ${id}`, onClick: () => void remove(kind, id) }, 'Delete')));
  });
  const head = h('thead', null, h('tr', null, ...['ID', 'Subject', 'Issuer', 'Expires', ''].map((title) => h('th', { scope: 'col' }, title))));
  return h('section', { 'aria-label': 'Keys and certificates' },
    h('h2', null, 'Keys and certificates'),
    message === '' ? null : h('p', { class: 'result', role: 'status' }, message),
    h('h3', null, 'TLS client authentication keys'),
    h('table', null, head, h('tbody', null, ...rows(keys, 'keys'))),
    h('form', { onSubmit: addKey, 'aria-label': 'Add key pair' },
      h('h3', null, 'Add key pair'),
      h('label', { for: 'key-id' }, 'Key ID'), h('input', { id: 'key-id', type: 'text', value: form.id, onInput: (e: Event) => setForm({ ...form, id: (e.target as HTMLInputElement).value }) }),
      h('label', { for: 'key-certificate' }, 'Certificate (PEM)'), h('textarea', { id: 'key-certificate', rows: 4, value: form.certificate, onInput: (e: Event) => setForm({ ...form, certificate: (e.target as HTMLTextAreaElement).value }) }),
      h('label', { for: 'key-private' }, 'Private key (PEM)'), h('textarea', { id: 'key-private', rows: 4, value: form.privateKey, onInput: (e: Event) => setForm({ ...form, privateKey: (e.target as HTMLTextAreaElement).value }) }),
      h('label', { for: 'key-pkcs12' }, 'Or a PKCS#12 file'), h('input', { id: 'key-pkcs12', type: 'file', accept: '.p12,.pfx', onChange: readFile }),
      h('label', { for: 'key-passphrase' }, 'Passphrase'), h('input', { id: 'key-passphrase', type: 'password', value: form.passphrase, onInput: (e: Event) => setForm({ ...form, passphrase: (e.target as HTMLInputElement).value }) }),
      h('p', null, h('button', { type: 'submit' }, 'Upload key pair')),
    ),
    h('h3', null, 'Trusted certificates'),
    h('table', null, head, h('tbody', null, ...rows(certificates, 'certificates'))),
    h('form', { onSubmit: addCertificate, 'aria-label': 'Add certificate' },
      h('h3', null, 'Add certificate'),
      h('label', { for: 'ca-id' }, 'Certificate ID'), h('input', { id: 'ca-id', type: 'text', value: caForm.id, onInput: (e: Event) => setCaForm({ ...caForm, id: (e.target as HTMLInputElement).value }) }),
      h('label', { for: 'ca-pem' }, 'Certificates (PEM)'), h('textarea', { id: 'ca-pem', rows: 4, value: caForm.certificate, onInput: (e: Event) => setCaForm({ ...caForm, certificate: (e.target as HTMLTextAreaElement).value }) }),
      h('p', null, h('button', { type: 'submit' }, 'Upload certificate')),
    ),
  );
}

// ---- the app ------------------------------------------------------------------------------------

type View = { name: 'list' } | { name: 'form'; id?: string } | { name: 'detail'; id: string } | { name: 'material' };

function App() {
  const [environments, setEnvironments] = useState<string[] | undefined>(undefined);
  const [environment, setEnvironment] = useState('');
  const [view, setView] = useState<View>({ name: 'list' });
  useEffect(() => {
    if (sessionStorage.getItem(tokenKey) === null) return;
    api<{ environments: string[] }>('GET', '/v1/environments').then(({ body }) => signedIn(body.environments), () => sessionStorage.removeItem(tokenKey));
  }, []);
  const signedIn = (list: string[]) => {
    setEnvironments(list);
    setEnvironment(list[0] ?? '');
  };
  if (environments === undefined) return h(SignIn, { onSignedIn: signedIn });
  return h('div', null,
    h('header', null,
      h('h1', null, 'siem-gateway console'),
      h('label', { for: 'environment', style: 'margin:0' }, 'Environment'),
      h('select', { id: 'environment', value: environment, onChange: (e: Event) => { setEnvironment((e.target as HTMLSelectElement).value); setView({ name: 'list' }); } }, ...environments.map((name) => h('option', { value: name }, name))),
      h('button', { type: 'button', class: 'secondary', onClick: () => setView({ name: 'list' }) }, 'Subscriptions'),
      h('button', { type: 'button', class: 'secondary', onClick: () => setView({ name: 'material' }) }, 'Keys and certificates'),
      h('button', { type: 'button', class: 'secondary', onClick: () => { sessionStorage.removeItem(tokenKey); setEnvironments(undefined); } }, 'Sign out'),
    ),
    view.name === 'material' ? h(MaterialPage, { environment }) : null,
    view.name === 'list' ? h(SubscriptionList, { environment, open: (id) => setView({ name: 'detail', id }), create: () => setView({ name: 'form' }) }) : null,
    view.name === 'form' ? h(SubscriptionForm, { environment, ...(view.id === undefined ? {} : { id: view.id }), done: () => setView(view.id === undefined ? { name: 'list' } : { name: 'detail', id: view.id }) }) : null,
    view.name === 'detail' ? h(SubscriptionDetail, { environment, id: view.id, back: () => setView({ name: 'list' }), edit: () => setView({ name: 'form', id: view.id }) }) : null,
  );
}

const root = document.getElementById('app')!;
root.textContent = ''; // the static "Loading" line
render(h(App, null), root);
