// Sign-in: the operator pastes an admin token; it is checked against the API and kept in
// sessionStorage only.
import { h } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, api, tokenKey } from './api.js';

export function SignIn({ onSignedIn }: { onSignedIn: (environments: string[]) => void }) {
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
