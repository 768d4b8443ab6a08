// The siem-gateway console: the PingOne webhook console flow on the management API. Everything it
// shows comes from the API with the admin token the operator signed in with; the token lives in
// sessionStorage only and travels as a bearer header, never in a URL. This module is the shell
// (environment picker, navigation); each view is a module of its own, the API client is api.ts,
// and the build bundles them into one file.
import { h, render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, tokenKey } from './api.js';
import { SignIn } from './sign-in.js';
import { SubscriptionList } from './subscription-list.js';
import { SubscriptionForm } from './subscription-form.js';
import { SubscriptionDetail } from './subscription-detail.js';
import { MaterialPage } from './keys-and-certificates.js';

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
