// The dashboard's copy of the tasks: loaded once with GET /api/tasks, then kept current by the
// /api/events stream alone (no polling). Reloads after a reconnect or a `reset` event.
import { api } from './api.js';
import { streamURL, authStatus, signalUnauthorized } from './auth.js';

const tasks = new Map();
const listeners = new Set();
let source = null;
let retryTimer = null;

/** Calls `listener(change)` on every change: {type: 'task', task, previous} | {type: 'reload'} | {type: 'connection', state}. */
export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function emit(change) {
  for (const listener of listeners) listener(change);
}

export function allTasks() {
  return [...tasks.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
}

export function getTask(id) {
  return tasks.get(id);
}

/** Stores a task fetched or returned by the API, if it is newer than what we have. */
export function remember(task) {
  const previous = tasks.get(task.id);
  if (previous && previous.lastUpdatedAt > task.lastUpdatedAt) return;
  tasks.set(task.id, task);
  emit({ type: 'task', task, previous });
}

let reloading = 0;
let pending = [];

/** Replaces the tasks with GET /api/tasks; events that arrive meanwhile are applied on top of it. */
export async function reload() {
  reloading += 1;
  try {
    const list = await api.tasks();
    tasks.clear();
    for (const task of list) tasks.set(task.id, task);
    for (const event of pending) apply(event, false);
  } finally {
    reloading -= 1;
    if (reloading === 0) pending = [];
  }
  emit({ type: 'reload' });
}

function apply(event, notify = true) {
  if (event.type === 'deleted') {
    const previous = tasks.get(event.task.id);
    tasks.delete(event.task.id);
    if (notify) emit({ type: 'deleted', task: event.task, previous });
    return;
  }
  const previous = tasks.get(event.task.id);
  if (previous && previous.lastUpdatedAt > event.task.lastUpdatedAt) return;
  tasks.set(event.task.id, event.task);
  if (notify) emit({ type: 'task', task: event.task, previous });
}

function setConnection(state) {
  emit({ type: 'connection', state });
}

/** Closes the event stream for good (signed out). */
export function disconnect() {
  clearTimeout(retryTimer);
  source?.close();
  source = null;
  tasks.clear();
}

/** Opens the event stream; reconnects by itself (EventSource retries; we reopen it if it gave up). */
export function connect() {
  clearTimeout(retryTimer);
  source?.close();
  const current = new EventSource(streamURL('/api/events'));
  source = current;
  // Every (re)connection reloads the list: the server may have restarted, or events may have been missed.
  // The dashboard reads as live only once that list is in.
  const resync = () => {
    reload().catch(() => {}).finally(() => setConnection('live'));
  };
  current.addEventListener('ready', resync);
  current.addEventListener('reset', resync);
  current.addEventListener('task', (message) => {
    let event;
    try { event = JSON.parse(message.data); } catch { return; }
    if (reloading > 0) pending.push(event);
    apply(event);
  });
  current.addEventListener('error', () => {
    if (source !== current) return;
    setConnection('reconnecting');
    if (current.readyState === EventSource.CLOSED) {
      // The browser gave up (a 401, or e.g. a proxy answered 502): find out which, then reopen or sign out.
      authStatus().then((status) => {
        if (source !== current) return;
        if (status.rejected) signalUnauthorized();
        else retryTimer = setTimeout(connect, 2000);
      });
    }
  });
}
