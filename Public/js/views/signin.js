// The sign-in form, shown when the server requires a bearer token and we have none (or it was refused).
import { h } from '../dom.js';

/**
 * Renders the form into `main`. `message` explains why it shows (e.g. a refused token);
 * `onToken(token)` is called with what was entered and resolves to an error message, or null when accepted.
 */
export function renderSignIn(main, { message, onToken }) {
  document.title = 'Sign in — Errand';
  const error = h('p', { class: 'error', role: 'alert', id: 'signin-error', hidden: !message }, message || '');
  const input = h('input', {
    id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true,
    'aria-describedby': 'token-help signin-error',
  });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { class: 'panel signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in'),
    h('p', { id: 'token-help', class: 'muted' },
      'This server requires an access token. It is kept only in this browser tab (sessionStorage) and sent with '
      + 'each request; closing the tab forgets it.'),
    h('label', { for: 'token' }, 'Access token'),
    input,
    error,
    h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    button.disabled = true;
    const problem = await onToken(value);
    button.disabled = false;
    if (problem) {
      error.textContent = problem;
      error.hidden = false;
      input.select();
      input.focus();
    }
  });
  main.replaceChildren(form);
  input.focus();
}
