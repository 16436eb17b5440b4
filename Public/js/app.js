// Errand dashboard: hash routes #/ (tasks), #/tasks/{id} (one task), #/new[/{tool}] (start form).
import { h, STATUSES, statusLabel, announce, TERMINAL } from './dom.js';
import { api } from './api.js';
import { subscribe, connect, disconnect, reload, currentStats, refreshStats } from './store.js';
import { setToken, token, authStatus, onUnauthorized } from './auth.js';
import { renderSignIn } from './views/signin.js';
import { renderTasks } from './views/tasks.js';
import { renderTask } from './views/task.js';
import { renderForm } from './views/form.js';

const main = document.getElementById('main');
const connection = document.getElementById('connection');
const counters = document.getElementById('counters');
const account = document.getElementById('account');
let tools = [];
let view = null;
let signedIn = true;
let statsInterval = null;

function route() {
  if (!signedIn) return;
  view?.close?.(); // a view may hold a stream of its own (the task page's log)
  const hash = decodeURIComponent(location.hash.replace(/^#/, '')) || '/';
  const parts = hash.split('/').filter(Boolean);
  let current = 'tasks';
  if (parts[0] === 'tasks' && parts[1]) {
    view = renderTask(main, parts.slice(1).join('/'));
    current = '';
  } else if (parts[0] === 'new') {
    view = renderForm(main, tools, parts[1]);
    current = 'new';
    document.title = 'Start a task — Errand';
  } else {
    view = renderTasks(main, tools);
    document.title = 'Errand — tasks';
  }
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

/** The true totals from GET /api/stats (every task the signed-in principal may see, not just the page). */
function renderCounters() {
  const stats = currentStats();
  if (!stats) return;
  const existing = counters.querySelector('[data-count]');
  if (!existing) {
    counters.replaceChildren(...STATUSES.map((status) =>
      h('div', { class: 'counter', 'data-status': status, style: `--c: var(--${status})` },
        h('strong', { 'data-count': status }, '0'), statusLabel(status))),
    h('div', { class: 'counter total' }, h('strong', { 'data-count': 'total' }, '0'), 'in all'));
  }
  for (const status of [...STATUSES, 'total']) {
    const value = status === 'total' ? stats.total : stats.byStatus[status] ?? 0;
    const element = counters.querySelector(`[data-count="${status}"]`);
    const text = value.toLocaleString('en-US');
    if (element.textContent !== text) {
      element.textContent = text;
      element.dataset.value = String(value);
    }
  }
}

subscribe((change) => {
  if (change.type === 'connection') {
    const reconnecting = change.state === 'reconnecting';
    if (connection.dataset.state !== change.state) {
      connection.dataset.state = change.state;
      connection.textContent = reconnecting ? 'reconnecting…' : 'live';
    }
    return;
  }
  if (!signedIn) return;
  if (change.type === 'stats') renderCounters();
  if (change.type === 'reload' && tools.length === 0) {
    // The server was unreachable when the page loaded: fetch the tools now that it answers.
    api.tools().then((list) => { tools = list; route(); }).catch(() => {});
    return;
  }
  view?.update?.(change);
  // Status changes of tasks in the list are announced on the list view (the task page announces its own).
  if (change.type === 'task' && change.previous && change.previous.status !== change.task.status
      && TERMINAL.has(change.task.status) && !location.hash.startsWith('#/tasks/')) {
    announce(`Task ${change.task.tool} ${statusLabel(change.task.status)}.`);
  }
});

window.addEventListener('hashchange', () => {
  route();
  main.focus({ preventScroll: true });
});
setInterval(() => view?.tick?.(), 1000);

/** Shows who is signed in, with a sign-out button (only when the server requires tokens). */
function showAccount(principal) {
  if (!principal) {
    account.hidden = true;
    account.replaceChildren();
    return;
  }
  const team = principal.team ? ` (${principal.team})` : '';
  account.replaceChildren(
    h('span', {}, `Signed in as ${principal.name}${team}`),
    h('button', { type: 'button', class: 'link', onclick: () => signOut('You signed out.') }, 'Sign out'));
  account.hidden = false;
}

/** Forgets the token, stops the event stream and shows the sign-in form with `message`. */
function signOut(message) {
  setToken('');
  signedIn = false;
  view = null;
  disconnect();
  showAccount(null);
  counters.replaceChildren();
  connection.dataset.state = 'connecting';
  connection.textContent = 'signed out';
  renderSignIn(main, {
    message,
    onToken: async (value) => {
      setToken(value);
      const status = await authStatus();
      if (status.rejected) {
        setToken('');
        return 'The server did not accept this token (401 Unauthorized). Check it and try again.';
      }
      if (status.unreachable) {
        setToken('');
        return 'The server cannot be reached; try again in a moment.';
      }
      await enter(status);
      return null;
    },
  });
}

// A 401 from any request means the token is missing, wrong or was revoked.
onUnauthorized(() => {
  if (signedIn) signOut('The server no longer accepts your token (401 Unauthorized). Sign in again.');
});

async function start() {
  const status = await authStatus();
  if (status.required && !status.principal) {
    signOut(token() ? 'The server did not accept the saved token (401 Unauthorized). Sign in again.' : null);
    return;
  }
  await enter(status);
}

/** Loads the tools and tasks and opens the event stream (signed in, or no sign-in needed). */
async function enter(status) {
  signedIn = true;
  showAccount(status.required ? status.principal : null);
  // The tools, the first page and the counts load at once; the page shows as soon as the tools and the first
  // page are in (the counts fill in when they arrive). If the server is down, the list stays empty and the
  // header says "reconnecting…" until it is back.
  const toolsLoaded = api.tools().catch(() => []);
  refreshStats();
  await reload({ withStats: false }).catch(() => {});
  tools = await toolsLoaded;
  renderCounters();
  route();
  // The queue's gauges move without events (a task waiting its turn): refresh the counts now and then too.
  clearInterval(statsInterval);
  statsInterval = setInterval(() => { if (signedIn) refreshStats(); }, 5000);
  connect();
}

start();
