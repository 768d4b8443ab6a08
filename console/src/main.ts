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

const formatNames: Record<string, string> = { SPLUNK: 'Splunk', ACTIVITY: 'Ping Activity Format', NEWRELIC: 'New Relic', TEMPLATE: 'Template (PingAM-style webhook)', SET: 'Security Event Token (RFC 8417)' };
/** Formats that send one event per request, so batching and the payload format do not apply. */
const perRequest = (format: string) => format === 'TEMPLATE' || format === 'SET';

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
  const fields: [string, string][] = [
    ['/name', 'name'], ['/template', 'template-body'], ['/set/signingKey', 'set-key'], ['/set', 'set-issuer'], ['/signing', 'signing-type'], ['/httpEndpoint/headers', 'headers'], ['/httpEndpoint', 'url'], ['/connectionDetails', 'url'], ['/basicAuth', 'username'],
    ['/verifyTlsCertificates', 'untrusted'], ['/tlsClientAuthKeyPair', 'key'], ['/trustedCertificates', 'trusted'],
    ['/payloadOptions/maximumPayloadLimit', 'limit'], ['/payloadOptions/payloadFormat', 'encoding'],
    ['/filterOptions/includedActionTypes', 'events'], ['/filterOptions/includedApplications', 'applications'], ['/filterOptions/includedPopulations', 'populations'], ['/filterOptions/includedTags', 'tags'],
  ];
  return fields.find(([prefix]) => pointer.startsWith(prefix))?.[1] ?? 'general';
}

function Field({ id, label, problems, children }: { id: string; label: string; problems: Problem[]; children?: ComponentChildren }) {
  const mine = problems.filter((problem) => fieldOf(problem.path) === id);
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    children,
    ...mine.map((problem) => h('p', { class: 'error', id: `${id}-error`, role: 'alert' }, problem.message)),
  );
}

/** Event type categories, as PingOne groups them (each selects CATEGORY.*). */
const categories = ['AUTHENTICATION', 'USER', 'SESSION', 'APPLICATION', 'GROUP', 'POPULATION', 'PASSWORD', 'MFA', 'TOKEN', 'CONSENT', 'ROLE', 'KEYCLOAK'];
const keptSecret = '(stored secret, kept)';
const list = (text: string) => text.split(',').map((item) => item.trim()).filter((item) => item !== '');

interface FormValues {
  name: string; protocol: string; url: string; format: string; encoding: string; pretty: boolean; tcpFormat: string;
  limitType: string; limit: string; types: string[]; ip: boolean; userAgent: boolean; untrusted: boolean; keyId: string; trusted: string[];
  username: string; password: string; headers: string; tags: string; applications: string; populations: string;
  templateBody: string; templateType: string; setIssuer: string; setAudience: string; setKey: string; signingType: string; signingSecret: string;
}

const empty: FormValues = { name: '', protocol: 'HTTPS', url: '', format: 'SPLUNK', encoding: 'ND_JSON', pretty: false, tcpFormat: 'JSON_DOC', limitType: 'EVENTS_PER_PAYLOAD', limit: '500', types: [], ip: false, userAgent: false, untrusted: false, keyId: '', trusted: [], username: '', password: '', headers: '', tags: '', applications: '', populations: '', templateBody: '', templateType: 'application/json', setIssuer: '', setAudience: '', setKey: '', signingType: '', signingSecret: '' };

function SubscriptionForm({ environment, id, done }: { environment: string; id?: string; done: () => void }) {
  const base = `/v1/environments/${encodeURIComponent(environment)}`;
  const [values, setValues] = useState<FormValues>(empty);
  const [original, setOriginal] = useState<{ body: Json; etag: string | null } | undefined>(undefined);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [message, setMessage] = useState('');
  const [search, setSearch] = useState('');
  const [custom, setCustom] = useState('');
  const [keys, setKeys] = useState<{ id: string; usage: string }[]>([]);
  const [certificates, setCertificates] = useState<string[]>([]);
  const load = async () => {
    setKeys((await api<{ keys: Json[] }>('GET', `${base}/keys`)).body.keys.map((key) => ({ id: show(key.id), usage: show(key.usage ?? 'OUTBOUND_MTLS') })));
    setCertificates((await api<{ certificates: Json[] }>('GET', `${base}/certificates`)).body.certificates.map((certificate) => show(certificate.id)));
    if (id === undefined) return;
    const loaded = await api('GET', `${base}/subscriptions/${id}`);
    const body = loaded.body as {
      name?: string; protocol?: string; format?: string; verifyTlsCertificates?: boolean; tlsClientAuthKeyPair?: { id: string }; trustedCertificates?: { id: string }[];
      httpEndpoint?: { url?: string; headers?: Record<string, string | null> }; connectionDetails?: { url?: string }; basicAuth?: { username?: string };
      payloadOptions?: { maximumPayloadLimit?: { type?: string; size?: number }; payloadFormat?: { https?: { format?: string; prettyPrint?: boolean }; tcp?: { format?: string } } };
      filterOptions?: { includedActionTypes?: string[]; ipAddressExposed?: boolean; userAgentExposed?: boolean; includedTags?: string[]; includedApplications?: { id: string }[]; includedPopulations?: { id: string }[] };
      template?: { body?: string; contentType?: string }; set?: { issuer?: string; audience?: string; signingKey?: { id: string } }; signing?: { type?: string };
    };
    setOriginal(loaded);
    setValues({
      name: body.name ?? '', protocol: body.protocol ?? 'HTTPS', url: body.httpEndpoint?.url ?? body.connectionDetails?.url ?? '', format: body.format ?? 'ACTIVITY',
      encoding: body.payloadOptions?.payloadFormat?.https?.format ?? 'ND_JSON', pretty: body.payloadOptions?.payloadFormat?.https?.prettyPrint ?? false, tcpFormat: body.payloadOptions?.payloadFormat?.tcp?.format ?? 'JSON_DOC',
      limitType: body.payloadOptions?.maximumPayloadLimit?.type ?? 'EVENTS_PER_PAYLOAD', limit: show(body.payloadOptions?.maximumPayloadLimit?.size ?? 500),
      types: body.filterOptions?.includedActionTypes ?? [], ip: body.filterOptions?.ipAddressExposed ?? false, userAgent: body.filterOptions?.userAgentExposed ?? false,
      untrusted: body.verifyTlsCertificates === false, keyId: body.tlsClientAuthKeyPair?.id ?? '', trusted: (body.trustedCertificates ?? []).map((reference) => reference.id),
      username: body.basicAuth?.username ?? '', password: '',
      headers: Object.entries(body.httpEndpoint?.headers ?? {}).map(([name, value]) => `${name}: ${value ?? keptSecret}`).join('\n'),
      tags: (body.filterOptions?.includedTags ?? []).join(', '), applications: (body.filterOptions?.includedApplications ?? []).map((reference) => reference.id).join(', '), populations: (body.filterOptions?.includedPopulations ?? []).map((reference) => reference.id).join(', '),
      templateBody: body.template?.body ?? '', templateType: body.template?.contentType ?? 'application/json',
      setIssuer: body.set?.issuer ?? '', setAudience: body.set?.audience ?? '', setKey: body.set?.signingKey?.id ?? '',
      signingType: body.signing?.type ?? '', signingSecret: '',
    });
  };
  useEffect(() => void load(), [id, environment]);
  const set = (name: keyof FormValues) => (e: Event) => {
    const target = e.target as HTMLInputElement;
    setValues({ ...values, [name]: target.type === 'checkbox' ? target.checked : target.value });
  };
  const toggleType = (type: string) => setValues({ ...values, types: values.types.includes(type) ? values.types.filter((other) => other !== type) : [...values.types.filter((other) => other !== '*'), type] });
  const save = async (event: Event) => {
    event.preventDefault();
    setProblems([]);
    const headers = Object.fromEntries(values.headers.split('\n').map((line) => line.trim()).filter((line) => line.includes(':')).map((line) => {
      const at = line.indexOf(':');
      const value = line.slice(at + 1).trim();
      return [line.slice(0, at).trim(), value === keptSecret ? null : value];
    }));
    const filterOptions: Json = { includedActionTypes: values.types, ipAddressExposed: values.ip, userAgentExposed: values.userAgent };
    if (list(values.tags).length > 0) filterOptions.includedTags = list(values.tags);
    if (list(values.applications).length > 0) filterOptions.includedApplications = list(values.applications).map((item) => ({ id: item }));
    if (list(values.populations).length > 0) filterOptions.includedPopulations = list(values.populations).map((item) => ({ id: item }));
    const previousPayload = (original?.body.payloadOptions as Json | undefined) ?? {};
    const body: Json = {
      ...(original?.body ?? {}),
      name: values.name, protocol: values.protocol, format: values.format,
      verifyTlsCertificates: !values.untrusted,
      filterOptions,
      payloadOptions: { ...previousPayload, maximumPayloadLimit: { type: values.limitType, size: Number(values.limit) }, payloadFormat: values.protocol === 'HTTPS' ? { https: { format: values.encoding, prettyPrint: values.encoding === 'JSON_ARRAY' && values.pretty } } : { tcp: { format: values.tcpFormat } } },
    };
    delete body.httpEndpoint;
    delete body.connectionDetails;
    delete body.basicAuth;
    delete body.tlsClientAuthKeyPair;
    delete body.trustedCertificates;
    delete body.template;
    delete body.set;
    delete body.signing;
    if (values.format === 'TEMPLATE') body.template = { body: values.templateBody, contentType: values.templateType };
    if (values.format === 'SET') body.set = { issuer: values.setIssuer, ...(values.setAudience === '' ? {} : { audience: values.setAudience }), signingKey: { id: values.setKey } };
    // The secret is write-only: left empty, the stored one is kept.
    if (values.protocol === 'HTTPS' && values.signingType !== '') body.signing = { type: values.signingType, ...(values.signingSecret === '' ? {} : { secret: values.signingSecret }) };
    if (perRequest(values.format)) body.payloadOptions = previousPayload;
    if (values.protocol === 'HTTPS') body.httpEndpoint = { url: values.url, ...(Object.keys(headers).length > 0 ? { headers } : {}) };
    else body.connectionDetails = { url: values.url };
    if (values.username !== '') body.basicAuth = { username: values.username, ...(values.password === '' ? {} : { password: values.password }) };
    if (values.keyId !== '' && !values.untrusted) body.tlsClientAuthKeyPair = { id: values.keyId };
    if (values.trusted.length > 0) body.trustedCertificates = values.trusted.map((item) => ({ id: item }));
    try {
      if (id === undefined) await api('POST', `${base}/subscriptions`, body);
      else await api('PUT', `${base}/subscriptions/${id}`, body, original?.etag === null || original === undefined ? {} : { 'if-match': original.etag });
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
  const checkbox = (fieldId: string, label: string, checked: boolean, onChange: (e: Event) => void, disabled = false) =>
    h('div', { class: 'field' }, h('input', { id: fieldId, type: 'checkbox', checked, onChange, disabled }), h('label', { for: fieldId, class: 'inline' }, label));
  const shown = categories.filter((category) => category.toLowerCase().includes(search.toLowerCase()));
  return h('form', { onSubmit: save, 'aria-label': id === undefined ? 'Add subscription' : 'Edit subscription', noValidate: true },
    h('h2', null, id === undefined ? 'Add subscription' : `Edit ${values.name || id}`),
    message === '' ? null : h('p', { class: 'error', role: 'alert' }, message),
    h(Field, { id: 'name', label: 'Name', problems }, h('input', { id: 'name', type: 'text', value: values.name, onInput: set('name') })),
    h(Field, { id: 'protocol', label: 'Protocol', problems }, h('select', { id: 'protocol', value: values.protocol, onChange: set('protocol') }, h('option', { value: 'HTTPS' }, 'HTTPS'), h('option', { value: 'TCP_IP' }, 'TCP/IP'))),
    h(Field, { id: 'url', label: 'Destination URL', problems }, h('input', { id: 'url', type: 'url', value: values.url, onInput: set('url') })),
    h('fieldset', null, h('legend', null, 'Certificates'),
      h(Field, { id: 'trusted', label: 'Trusted certificates', problems }, h('select', { id: 'trusted', multiple: true, onChange: (e: Event) => setValues({ ...values, trusted: [...(e.target as HTMLSelectElement).selectedOptions].map((option) => option.value) }) }, ...certificates.map((certificate) => h('option', { value: certificate, selected: values.trusted.includes(certificate) }, certificate)))),
      checkbox('untrusted', 'Allow TLS connection with untrusted certificates', values.untrusted, set('untrusted')),
      h(Field, { id: 'key', label: 'TLS Client Authentication Key', problems }, h('select', { id: 'key', value: values.keyId, disabled: values.untrusted, onChange: set('keyId') }, h('option', { value: '' }, 'None'), ...keys.filter((key) => key.usage === 'OUTBOUND_MTLS').map((key) => h('option', { value: key.id }, key.id)))),
      values.untrusted ? h('p', { class: 'note' }, 'A client key cannot be used while untrusted certificates are allowed.') : null,
    ),
    h('fieldset', null, h('legend', null, 'Headers'),
      h(Field, { id: 'username', label: 'Basic authentication user name', problems }, h('input', { id: 'username', type: 'text', autocomplete: 'off', value: values.username, onInput: set('username') })),
      h(Field, { id: 'password', label: id === undefined ? 'Basic authentication password' : 'Basic authentication password (leave empty to keep)', problems }, h('input', { id: 'password', type: 'password', autocomplete: 'new-password', value: values.password, onInput: set('password') })),
      h(Field, { id: 'headers', label: 'Custom headers (one "Name: value" per line)', problems }, h('textarea', { id: 'headers', rows: 3, value: values.headers, onInput: set('headers') })),
    ),
    values.protocol === 'HTTPS'
      ? h('fieldset', null, h('legend', null, 'Signature'),
        h(Field, { id: 'signing-type', label: 'Sign each delivery', problems }, h('select', { id: 'signing-type', value: values.signingType, onChange: set('signingType') },
          h('option', { value: '' }, 'No signature'), h('option', { value: 'keycloak' }, 'X-Keycloak-Signature (HMAC-SHA256)'), h('option', { value: 'hub' }, 'X-Hub-Signature (WebSub, HMAC-SHA256)'), h('option', { value: 'standard-webhooks' }, 'Standard Webhooks (whsec_ secret)'))),
        values.signingType === '' ? null : h(Field, { id: 'signing-secret', label: id === undefined ? 'Signing secret' : 'Signing secret (leave empty to keep)', problems }, h('input', { id: 'signing-secret', type: 'password', autocomplete: 'new-password', value: values.signingSecret, onInput: set('signingSecret') })))
      : null,
    h('fieldset', null, h('legend', null, 'Payload Format'),
      h(Field, { id: 'format', label: 'Event Schema', problems }, h('select', { id: 'format', value: values.format, onChange: set('format') }, ...Object.entries(formatNames).map(([value, label]) => h('option', { value }, label)))),
      values.format === 'TEMPLATE'
        ? h('div', null,
          h(Field, { id: 'template-type', label: 'Content type', problems }, h('select', { id: 'template-type', value: values.templateType, onChange: set('templateType') }, h('option', { value: 'application/json' }, 'application/json'), h('option', { value: 'application/x-www-form-urlencoded' }, 'application/x-www-form-urlencoded'))),
          h(Field, { id: 'template-body', label: 'Body template (${UserId}, ${WebhookEventType}, ${actors.user.name}, …; the URL and header values may hold them too)', problems }, h('textarea', { id: 'template-body', rows: 5, value: values.templateBody, onInput: set('templateBody') })))
        : null,
      values.format === 'SET'
        ? h('div', null,
          h(Field, { id: 'set-issuer', label: 'Issuer (iss)', problems }, h('input', { id: 'set-issuer', type: 'text', value: values.setIssuer, onInput: set('setIssuer') })),
          h(Field, { id: 'set-audience', label: 'Audience (aud, optional)', problems }, h('input', { id: 'set-audience', type: 'text', value: values.setAudience, onInput: set('setAudience') })),
          h(Field, { id: 'set-key', label: 'Signing key', problems }, h('select', { id: 'set-key', value: values.setKey, onChange: set('setKey') }, h('option', { value: '' }, 'Choose a SIGNING key'), ...keys.filter((key) => key.usage === 'SIGNING').map((key) => h('option', { value: key.id }, key.id)))))
        : null,
      perRequest(values.format) ? h('p', { class: 'note' }, 'One event per request: the payload format and limit do not apply.') : null,
      perRequest(values.format) ? null : values.protocol === 'HTTPS'
        ? h('div', null,
          h(Field, { id: 'encoding', label: 'Payload Format', problems }, h('select', { id: 'encoding', value: values.encoding, onChange: set('encoding') }, h('option', { value: 'JSON_ARRAY' }, 'JSON array'), h('option', { value: 'ND_JSON' }, 'NDJSON'))),
          values.encoding === 'JSON_ARRAY' ? checkbox('pretty', 'Pretty Print', values.pretty, set('pretty')) : null)
        : h(Field, { id: 'encoding', label: 'Payload Format', problems }, h('select', { id: 'encoding', value: values.tcpFormat, onChange: set('tcpFormat') }, h('option', { value: 'JSON_DOC' }, 'JSON document'), h('option', { value: 'RFC_LOGLINE' }, 'RFC 5424 log line'))),
    ),
    perRequest(values.format) ? null : h('fieldset', null, h('legend', null, 'Payload Limit'),
      h(Field, { id: 'limit-type', label: 'Limit by', problems }, h('select', { id: 'limit-type', value: values.limitType, onChange: set('limitType') }, h('option', { value: 'EVENTS_PER_PAYLOAD' }, 'Events (1–500)'), h('option', { value: 'KB_PER_PAYLOAD' }, 'Size in KB (1–4096)'))),
      h(Field, { id: 'limit', label: 'Payload Limit', problems }, h('input', { id: 'limit', type: 'number', value: values.limit, onInput: set('limit') })),
    ),
    checkbox('ip', 'Include IP address', values.ip, set('ip')),
    checkbox('ua', 'Include User Agent', values.userAgent, set('userAgent')),
    h('fieldset', null, h('legend', null, 'Event Types'),
      checkbox('events', 'All event types', values.types.includes('*'), () => setValues({ ...values, types: values.types.includes('*') ? [] : ['*'] })),
      h('label', { for: 'event-search' }, 'Search event types'), h('input', { id: 'event-search', type: 'text', value: search, onInput: (e: Event) => setSearch((e.target as HTMLInputElement).value) }),
      ...shown.map((category) => checkbox(`category-${category}`, category, values.types.includes(`${category}.*`), () => toggleType(`${category}.*`), values.types.includes('*'))),
      h('label', { for: 'custom-type' }, 'Add an event type (a name or a * pattern)'), h('input', { id: 'custom-type', type: 'text', value: custom, onInput: (e: Event) => setCustom((e.target as HTMLInputElement).value) }),
      h('button', { type: 'button', class: 'secondary', onClick: () => { if (custom.trim() !== '') toggleType(custom.trim()); setCustom(''); } }, 'Add event type'),
      h('p', { id: 'selected-types' }, values.types.length === 0 ? 'No event type selected; at least one is required.' : `Selected: ${values.types.join(', ')}`),
      ...problems.filter((problem) => fieldOf(problem.path) === 'events').map((problem) => h('p', { class: 'error', role: 'alert' }, problem.message)),
    ),
    h('fieldset', null, h('legend', null, 'Additional Conditions'),
      h(Field, { id: 'tags', label: 'Tags (comma-separated)', problems }, h('input', { id: 'tags', type: 'text', value: values.tags, onInput: set('tags') })),
      h(Field, { id: 'applications', label: 'Applications (up to 10 IDs, comma-separated)', problems }, h('input', { id: 'applications', type: 'text', value: values.applications, onInput: set('applications') })),
      h(Field, { id: 'populations', label: 'Populations (up to 10 IDs, comma-separated)', problems }, h('input', { id: 'populations', type: 'text', value: values.populations, onInput: set('populations') })),
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

// ---- keys and certificates ----------------------------------------------------------------------

const fortnightMs = 14 * 86_400_000;

function MaterialPage({ environment }: { environment: string }) {
  const base = `/v1/environments/${encodeURIComponent(environment)}`;
  const [keys, setKeys] = useState<Json[]>([]);
  const [certificates, setCertificates] = useState<Json[]>([]);
  const [form, setForm] = useState({ id: '', usage: 'OUTBOUND_MTLS', certificate: '', privateKey: '', passphrase: '', pkcs12: '' });
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
    // A SIGNING key may come without a certificate.
    const body = form.pkcs12 !== '' ? { id: form.id, usage: form.usage, pkcs12: form.pkcs12, passphrase: form.passphrase } : { id: form.id, usage: form.usage, ...(form.certificate === '' && form.usage === 'SIGNING' ? {} : { certificate: form.certificate }), privateKey: form.privateKey };
    try {
      await api('POST', `${base}/keys`, body);
      setMessage(`Key pair ${form.id} added.`);
      setForm({ id: '', usage: 'OUTBOUND_MTLS', certificate: '', privateKey: '', passphrase: '', pkcs12: '' });
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
      kind === 'keys' ? h('td', null, item.usage === 'SIGNING' ? 'Signing (SET)' : 'TLS client (mTLS)') : null,
      h('td', null, ...described.map((certificate) => h('div', null, certificate.subject))),
      h('td', null, ...described.map((certificate) => h('div', null, certificate.issuer))),
      h('td', null, ...described.map((certificate) => h('div', { class: Date.parse(certificate.notAfter) - Date.now() < fortnightMs ? 'error' : '' }, certificate.notAfter))),
      h('td', null, item.managedBy === 'file' ? h('span', { class: 'note' }, 'From the configuration file') : h('button', { type: 'button', class: 'secondary', 'aria-label': `Delete ${id}`, onClick: () => void remove(kind, id) }, 'Delete')));
  });
  const head = (titles: string[]) => h('thead', null, h('tr', null, ...titles.map((title) => h('th', { scope: 'col' }, title))));
  return h('section', { 'aria-label': 'Keys and certificates' },
    h('h2', null, 'Keys and certificates'),
    message === '' ? null : h('p', { class: 'result', role: 'status' }, message),
    h('h3', null, 'Key pairs'),
    h('table', null, head(['ID', 'Usage', 'Subject', 'Issuer', 'Expires', '']), h('tbody', null, ...rows(keys, 'keys'))),
    h('form', { onSubmit: addKey, 'aria-label': 'Add key pair' },
      h('h3', null, 'Add key pair'),
      h('label', { for: 'key-id' }, 'Key ID'), h('input', { id: 'key-id', type: 'text', value: form.id, onInput: (e: Event) => setForm({ ...form, id: (e.target as HTMLInputElement).value }) }),
      h('label', { for: 'key-usage' }, 'Usage'), h('select', { id: 'key-usage', value: form.usage, onChange: (e: Event) => setForm({ ...form, usage: (e.target as HTMLSelectElement).value }) }, h('option', { value: 'OUTBOUND_MTLS' }, 'TLS client authentication (mTLS)'), h('option', { value: 'SIGNING' }, 'Signing Security Event Tokens (RSA or EC P-256)')),
      h('label', { for: 'key-certificate' }, form.usage === 'SIGNING' ? 'Certificate (PEM, optional)' : 'Certificate (PEM)'), h('textarea', { id: 'key-certificate', rows: 4, value: form.certificate, onInput: (e: Event) => setForm({ ...form, certificate: (e.target as HTMLTextAreaElement).value }) }),
      h('label', { for: 'key-private' }, 'Private key (PEM)'), h('textarea', { id: 'key-private', rows: 4, value: form.privateKey, onInput: (e: Event) => setForm({ ...form, privateKey: (e.target as HTMLTextAreaElement).value }) }),
      h('label', { for: 'key-pkcs12' }, 'Or a PKCS#12 file'), h('input', { id: 'key-pkcs12', type: 'file', accept: '.p12,.pfx', onChange: readFile }),
      h('label', { for: 'key-passphrase' }, 'Passphrase'), h('input', { id: 'key-passphrase', type: 'password', value: form.passphrase, onInput: (e: Event) => setForm({ ...form, passphrase: (e.target as HTMLInputElement).value }) }),
      h('p', null, h('button', { type: 'submit' }, 'Upload key pair')),
    ),
    h('h3', null, 'Trusted certificates'),
    h('table', null, head(['ID', 'Subject', 'Issuer', 'Expires', '']), h('tbody', null, ...rows(certificates, 'certificates'))),
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
