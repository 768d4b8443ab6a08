// Creating and editing a subscription, PingOne-shaped: problems from the API shown by their field,
// stored secrets kept unless replaced.
import { h, type ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, type Json, type Problem, api, show } from './api.js';
import { formatNames, perRequest } from './subscription-list.js';

/** Which form field a problem's JSON pointer belongs to. */
export function fieldOf(pointer: string): string {
  const fields: [string, string][] = [
    ['/name', 'name'], ['/template', 'template-body'], ['/otlp', 'otlp-encoding'], ['/ocsf', 'ocsf-version'], ['/splunk/indexerAck', 'indexer-ack'], ['/elasticsearch/pipeline', 'es-pipeline'], ['/elasticsearch', 'es-index'], ['/oauth2/clientId', 'oauth2-client'], ['/oauth2/clientSecret', 'oauth2-secret'], ['/oauth2/scope', 'oauth2-scope'], ['/oauth2', 'oauth2-token-url'], ['/set/signingKey', 'set-key'], ['/set', 'set-issuer'], ['/signing', 'signing-type'], ['/httpEndpoint/headers', 'headers'], ['/httpEndpoint', 'url'], ['/connectionDetails', 'url'], ['/basicAuth', 'username'],
    ['/verifyTlsCertificates', 'untrusted'], ['/tlsClientAuthKeyPair', 'key'], ['/trustedCertificates', 'trusted'],
    ['/payloadOptions/maximumPayloadLimit', 'limit'], ['/payloadOptions/payloadFormat', 'encoding'],
    ['/filterOptions/includedActionTypes', 'events'], ['/filterOptions/includedApplications', 'applications'], ['/filterOptions/includedPopulations', 'populations'], ['/filterOptions/includedTags', 'tags'],
  ];
  return fields.find(([prefix]) => pointer.startsWith(prefix))?.[1] ?? 'general';
}

export function Field({ id, label, problems, children }: { id: string; label: string; problems: Problem[]; children?: ComponentChildren }) {
  const mine = problems.filter((problem) => fieldOf(problem.path) === id);
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    children,
    ...mine.map((problem) => h('p', { class: 'error', id: `${id}-error`, role: 'alert' }, problem.message)),
  );
}

/** Event type categories, as PingOne groups them (each selects CATEGORY.*). */
export const categories = ['AUTHENTICATION', 'USER', 'SESSION', 'APPLICATION', 'GROUP', 'POPULATION', 'PASSWORD', 'MFA', 'TOKEN', 'CONSENT', 'ROLE', 'KEYCLOAK'];
export const keptSecret = '(stored secret, kept)';
export const list = (text: string) => text.split(',').map((item) => item.trim()).filter((item) => item !== '');

export interface FormValues {
  name: string; protocol: string; url: string; format: string; encoding: string; pretty: boolean; tcpFormat: string;
  limitType: string; limit: string; types: string[]; ip: boolean; userAgent: boolean; untrusted: boolean; keyId: string; trusted: string[];
  username: string; password: string; headers: string; tags: string; applications: string; populations: string;
  templateBody: string; templateType: string; setIssuer: string; setAudience: string; setKey: string; signingType: string; signingSecret: string;
  esIndex: string; esPipeline: string; otlpEncoding: string; indexerAck: boolean; ocsfVersion: string; ocsfRaw: boolean; oauthTokenUrl: string; oauthClientId: string; oauthSecret: string; oauthScope: string;
}

export const empty: FormValues = { name: '', protocol: 'HTTPS', url: '', format: 'SPLUNK', encoding: 'ND_JSON', pretty: false, tcpFormat: 'JSON_DOC', limitType: 'EVENTS_PER_PAYLOAD', limit: '500', types: [], ip: false, userAgent: false, untrusted: false, keyId: '', trusted: [], username: '', password: '', headers: '', tags: '', applications: '', populations: '', templateBody: '', templateType: 'application/json', setIssuer: '', setAudience: '', setKey: '', signingType: '', signingSecret: '', esIndex: '', esPipeline: '', otlpEncoding: 'protobuf', indexerAck: false, ocsfVersion: '1.1.0', ocsfRaw: false, oauthTokenUrl: '', oauthClientId: '', oauthSecret: '', oauthScope: '' };

export function SubscriptionForm({ environment, id, done }: { environment: string; id?: string; done: () => void }) {
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
      elasticsearch?: { index?: string; pipeline?: string }; otlp?: { encoding?: string }; splunk?: { indexerAck?: boolean }; ocsf?: { version?: string; includeRaw?: boolean }; oauth2?: { tokenUrl?: string; clientId?: string; scope?: string };
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
      esIndex: body.elasticsearch?.index ?? '', esPipeline: body.elasticsearch?.pipeline ?? '', otlpEncoding: body.otlp?.encoding ?? 'protobuf', indexerAck: body.splunk?.indexerAck ?? false, ocsfVersion: body.ocsf?.version ?? '1.1.0', ocsfRaw: body.ocsf?.includeRaw ?? false,
      oauthTokenUrl: body.oauth2?.tokenUrl ?? '', oauthClientId: body.oauth2?.clientId ?? '', oauthSecret: '', oauthScope: body.oauth2?.scope ?? '',
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
    delete body.elasticsearch;
    const previousOAuth2 = body.oauth2 as Json | undefined;
    delete body.oauth2;
    // The secret is write-only: left empty, the stored one is kept.
    if (values.protocol === 'HTTPS' && values.oauthTokenUrl !== '') body.oauth2 = { ...previousOAuth2, tokenUrl: values.oauthTokenUrl, clientId: values.oauthClientId, ...(values.oauthScope === '' ? { scope: undefined } : { scope: values.oauthScope }), ...(values.oauthSecret === '' ? {} : { clientSecret: values.oauthSecret }) };
    if (values.format === 'ELASTICSEARCH') {
      body.elasticsearch = { index: values.esIndex, ...(values.esPipeline === '' ? {} : { pipeline: values.esPipeline }) };
      body.payloadOptions = { ...(body.payloadOptions as Json), payloadFormat: { https: { format: 'ND_JSON' } } };
    }
    if (values.format === 'SPLUNK' && values.protocol === 'HTTPS') body.splunk = { ...(body.splunk as Json | undefined), indexerAck: values.indexerAck };
    if (values.format === 'OCSF') body.ocsf = { version: values.ocsfVersion, includeRaw: values.ocsfRaw };
    // CEF and LEEF lines: over TCP each is a syslog message; over HTTPS the body is the lines.
    if (values.format === 'CEF' || values.format === 'LEEF') body.payloadOptions = { ...(body.payloadOptions as Json), payloadFormat: values.protocol === 'TCP_IP' ? { tcp: { format: 'RFC_LOGLINE' } } : {} };
    if (values.format === 'OTLP') {
      body.otlp = { encoding: values.otlpEncoding };
      body.payloadOptions = { ...(body.payloadOptions as Json), payloadFormat: {} };
    }
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
      ? h('fieldset', null, h('legend', null, 'OAuth2 client credentials'),
        h(Field, { id: 'oauth2-token-url', label: 'Token URL (leave empty for none)', problems }, h('input', { id: 'oauth2-token-url', type: 'url', value: values.oauthTokenUrl, onInput: set('oauthTokenUrl') })),
        values.oauthTokenUrl === '' ? null : h('div', null,
          h(Field, { id: 'oauth2-client', label: 'Client ID', problems }, h('input', { id: 'oauth2-client', type: 'text', autocomplete: 'off', value: values.oauthClientId, onInput: set('oauthClientId') })),
          h(Field, { id: 'oauth2-secret', label: id === undefined ? 'Client secret' : 'Client secret (leave empty to keep)', problems }, h('input', { id: 'oauth2-secret', type: 'password', autocomplete: 'new-password', value: values.oauthSecret, onInput: set('oauthSecret') })),
          h(Field, { id: 'oauth2-scope', label: 'Scope (optional)', problems }, h('input', { id: 'oauth2-scope', type: 'text', value: values.oauthScope, onInput: set('oauthScope') }))))
      : null,
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
      values.format === 'ELASTICSEARCH'
        ? h('div', null,
          h(Field, { id: 'es-index', label: 'Index or data stream (${recordedAt:yyyy.MM.dd} puts each event in its day\'s index)', problems }, h('input', { id: 'es-index', type: 'text', value: values.esIndex, onInput: set('esIndex') })),
          h(Field, { id: 'es-pipeline', label: 'Ingest pipeline (optional)', problems }, h('input', { id: 'es-pipeline', type: 'text', value: values.esPipeline, onInput: set('esPipeline') })),
          h('p', { class: 'note' }, 'Bulk NDJSON with create actions: each event is confirmed by its own item; one the index refuses becomes a dead letter with its error.'))
        : null,
      perRequest(values.format) ? h('p', { class: 'note' }, 'One event per request: the payload format and limit do not apply.') : null,
      values.format === 'SPLUNK' && values.protocol === 'HTTPS'
        ? checkbox('indexer-ack', 'Wait for indexer acknowledgement (HEC token with useACK): the cursor moves only past batches Splunk says are indexed', values.indexerAck, set('indexerAck'))
        : null,
      values.format === 'OCSF'
        ? h('div', null,
          h(Field, { id: 'ocsf-version', label: 'OCSF schema version', problems }, h('select', { id: 'ocsf-version', value: values.ocsfVersion, onChange: set('ocsfVersion') }, h('option', { value: '1.1.0' }, '1.1.0 (Amazon Security Lake)'), h('option', { value: '1.3.0' }, '1.3.0'))),
          checkbox('ocsf-raw', 'Include the IdP\'s payload as raw_data', values.ocsfRaw, set('ocsfRaw')))
        : null,
      values.format === 'OTLP'
        ? h(Field, { id: 'otlp-encoding', label: 'OTLP encoding', problems }, h('select', { id: 'otlp-encoding', value: values.otlpEncoding, onChange: set('otlpEncoding') }, h('option', { value: 'protobuf' }, 'Protobuf (application/x-protobuf)'), h('option', { value: 'json' }, 'JSON (application/json)')))
        : null,
      perRequest(values.format) || ['ELASTICSEARCH', 'OTLP', 'CEF', 'LEEF'].includes(values.format) ? null : values.protocol === 'HTTPS'
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
