// Key pairs (PKCS#12 or PEM) and trusted certificates of an environment, with their expiry.
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, type Json, api, show } from './api.js';

export const fortnightMs = 14 * 86_400_000;

export function MaterialPage({ environment }: { environment: string }) {
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
