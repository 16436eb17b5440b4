// The dashboard's window onto the server's tasks. The server filters, sorts and pages (GET /api/tasks with its
// cursor) and counts (GET /api/stats); the browser holds one page of tasks plus a few opened ones, whatever the
// number of tasks or the event rate. The /api/events stream keeps the page current; events about tasks outside
// it only schedule a refresh of the counts (at most one a second).
import { api } from './api.js';
import { streamURL, authStatus, signalUnauthorized } from './auth.js';

/** Tasks in the window (one page). */
export const PAGE_SIZE = 50;
/** Tasks opened on their own page that are kept besides the window (least recently used ones are dropped). */
const MAX_KEPT = 20;
/** Events held while a page loads; beyond this the page is simply loaded again. */
const MAX_PENDING = 2000;

const listeners = new Set();
let source = null;
let retryTimer = null;

/** The filters the server applies; '' means "any". `order` is 'newest' or 'oldest'. */
const filters = { status: '', tool: '', owner: '', team: '', since: '', until: '', order: 'newest' };
/** The page: its tasks, the cursors of the pages before it (to go back), the cursor of the next one. */
const page = { tasks: [], previous: [], cursor: null, next: null, trimmed: false, error: null };
const kept = new Map();
let stats = null;
let statsTimer = null;
let windowTimer = null;

/** Calls `listener(change)` on every change: {type: 'task'|'deleted', task, previous} | {type: 'window'} |
 * {type: 'stats', stats} | {type: 'reload'} | {type: 'connection', state}. */
export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function emit(change) {
  for (const listener of listeners) listener(change);
}

/** The tasks of the current page, in the server's order. */
export function windowTasks() {
  return page.tasks;
}

/** Where the window is: page number (1-based), whether there are newer/older pages, the last load error. */
export function pageState() {
  return { number: page.previous.length + 1, hasNewer: page.previous.length > 0,
    hasOlder: page.next !== null || page.trimmed, error: page.error, filters: { ...filters } };
}

export function currentFilters() {
  return { ...filters };
}

/** The last GET /api/stats answer, or null before the first one. */
export function currentStats() {
  return stats;
}

export function getTask(id) {
  return page.tasks.find((task) => task.id === id) || kept.get(id);
}

/** Keeps a task fetched or returned by the API (bounded), and updates it in the window if it is there. */
export function remember(task) {
  const previous = getTask(task.id);
  if (previous && previous.lastUpdatedAt > task.lastUpdatedAt) return;
  keep(task);
  const index = page.tasks.findIndex((candidate) => candidate.id === task.id);
  if (index >= 0) page.tasks[index] = task;
  emit({ type: 'task', task, previous });
}

function keep(task) {
  kept.delete(task.id);
  kept.set(task.id, task);
  while (kept.size > MAX_KEPT) kept.delete(kept.keys().next().value);
}

function matches(task) {
  const since = filters.since ? Date.parse(filters.since) : NaN;
  const until = filters.until ? Date.parse(filters.until) : NaN;
  const created = Date.parse(task.createdAt);
  return (!filters.status || task.status === filters.status) && (!filters.tool || task.tool === filters.tool)
    && (!filters.owner || task.owner?.principal === filters.owner) && (!filters.team || task.owner?.team === filters.team)
    && (Number.isNaN(since) || created >= since) && (Number.isNaN(until) || created < until);
}

/** The query string of GET /api/tasks for the filters and `cursor`. */
function listQuery(cursor) {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (filters.status) query.set('status', filters.status);
  if (filters.tool) query.set('tool', filters.tool);
  if (filters.owner) query.set('owner', filters.owner);
  if (filters.team) query.set('team', filters.team);
  if (filters.since) query.set('created_after', new Date(filters.since).toISOString());
  if (filters.until) query.set('created_before', new Date(filters.until).toISOString());
  if (filters.order === 'oldest') query.set('order', 'oldest');
  if (cursor) query.set('cursor', cursor);
  return query.toString();
}

let loading = 0;
let pending = [];

/** Loads the page at `cursor` (null: the first), applying the events that arrive meanwhile on top of it. */
async function load(cursor) {
  loading += 1;
  try {
    const result = await api.list(listQuery(cursor));
    page.tasks = result.tasks;
    page.cursor = cursor;
    page.next = result.nextCursor || null;
    page.trimmed = false;
    page.error = null;
    const held = pending;
    pending = [];
    for (const event of held) apply(event, false);
  } catch (error) {
    page.error = error.message;
    throw error;
  } finally {
    loading -= 1;
    if (loading === 0) pending = [];
  }
}

/** Reloads the current page and (unless told not to) the counts: after a reconnect, or a `reset` event. */
export async function reload({ withStats = true } = {}) {
  await Promise.all([load(page.cursor), withStats ? refreshStats() : null]);
  emit({ type: 'reload' });
}

/** Applies new filters and goes back to the first page. */
export async function setFilters(changes) {
  Object.assign(filters, changes);
  page.previous = [];
  try {
    await load(null);
  } finally {
    emit({ type: 'window' });
  }
}

/** The next page in the current order. */
export async function olderPage() {
  if (page.trimmed) {
    // The first page took new tasks live and dropped its last ones: ask again where it ends now.
    const fresh = await api.list(listQuery(page.cursor));
    page.next = fresh.nextCursor || null;
  }
  if (!page.next) return;
  page.previous.push(page.cursor);
  await load(page.next);
  emit({ type: 'window' });
}

/** The page before this one. */
export async function newerPage() {
  if (page.previous.length === 0) return;
  await load(page.previous.pop());
  emit({ type: 'window' });
}

/** Fetches the counts now. */
export async function refreshStats() {
  clearTimeout(statsTimer);
  statsTimer = null;
  try {
    stats = await api.stats();
    emit({ type: 'stats', stats });
  } catch {
    // The connection state shows that the server is away; the counts stay as they were.
  }
}

/** Refreshes the counts within a second (events arriving meanwhile share that refresh). */
function scheduleStats() {
  if (statsTimer === null) statsTimer = setTimeout(refreshStats, 1000);
}

/** Redraws the window at most five times a second, however many events change it. */
function scheduleWindow() {
  if (windowTimer === null) {
    windowTimer = setTimeout(() => { windowTimer = null; emit({ type: 'window' }); }, 200);
  }
}

function apply(event, notify = true) {
  if (event.type === 'log') return;
  const task = event.task;
  const index = page.tasks.findIndex((candidate) => candidate.id === task.id);
  const previous = index >= 0 ? page.tasks[index] : kept.get(task.id);
  if (previous && previous.lastUpdatedAt > task.lastUpdatedAt) return;
  if (kept.has(task.id)) {
    if (event.type === 'deleted') kept.delete(task.id);
    else kept.set(task.id, task);
  }
  let windowChanged = false;
  if (index >= 0) {
    if (event.type === 'deleted' || !matches(task)) page.tasks.splice(index, 1);
    else page.tasks[index] = task;
    windowChanged = true;
  } else if (event.type === 'created' && page.previous.length === 0 && filters.order === 'newest' && matches(task)) {
    page.tasks.unshift(task);
    if (page.tasks.length > PAGE_SIZE) {
      page.tasks.length = PAGE_SIZE;
      page.trimmed = true;
    }
    windowChanged = true;
  }
  if (!notify) return;
  if (windowChanged) scheduleWindow();
  emit({ type: event.type === 'deleted' ? 'deleted' : 'task', task, previous, inWindow: windowChanged });
}

function setConnection(state) {
  emit({ type: 'connection', state });
}

/** Closes the event stream for good (signed out) and forgets every task. */
export function disconnect() {
  clearTimeout(retryTimer);
  clearTimeout(statsTimer);
  statsTimer = null;
  source?.close();
  source = null;
  page.tasks = [];
  page.previous = [];
  page.cursor = null;
  page.next = null;
  kept.clear();
  stats = null;
}

/** Opens the event stream; reconnects by itself (EventSource retries; we reopen it if it gave up). */
export function connect() {
  clearTimeout(retryTimer);
  source?.close();
  const current = new EventSource(streamURL('/api/events'));
  source = current;
  // Every (re)connection reloads the page and the counts: the server may have restarted, or events may have
  // been missed. The dashboard reads as live only once they are in.
  const resync = () => {
    reload().catch(() => {}).finally(() => setConnection('live'));
  };
  current.addEventListener('ready', resync);
  current.addEventListener('reset', resync);
  current.addEventListener('task', (message) => {
    let event;
    try { event = JSON.parse(message.data); } catch { return; }
    if (event.type !== 'log' && event.type !== 'progress') scheduleStats();
    if (loading > 0) {
      if (pending.length < MAX_PENDING) pending.push(event);
      else page.trimmed = true;
    }
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
