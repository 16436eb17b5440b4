// Errand dashboard: hash routes #/ (tasks), #/tasks/{id} (one task), #/new[/{tool}] (start form).
import { h, STATUSES, statusLabel, announce, TERMINAL } from './dom.js';
import { api } from './api.js';
import { subscribe, connect, reload, allTasks } from './store.js';
import { renderTasks } from './views/tasks.js';
import { renderTask } from './views/task.js';
import { renderForm } from './views/form.js';

const main = document.getElementById('main');
const connection = document.getElementById('connection');
const counters = document.getElementById('counters');
let tools = [];
let view = null;

function route() {
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

function renderCounters() {
  const counts = Object.fromEntries(STATUSES.map((status) => [status, 0]));
  for (const task of allTasks()) counts[task.status] = (counts[task.status] || 0) + 1;
  counters.replaceChildren(...STATUSES.map((status) =>
    h('div', { class: 'counter', 'data-status': status, style: `--c: var(--${status})` },
      h('strong', { 'data-count': status }, String(counts[status])), statusLabel(status))));
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
  renderCounters();
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

async function start() {
  try {
    tools = await api.tools();
  } catch {
    tools = [];
  }
  // If the server is down, the list stays empty and the header says "reconnecting…" until it is back.
  await reload().catch(() => {});
  renderCounters();
  route();
  connect();
}

start();
