// The front page: charts of the last minutes, the nodes, find-by-id, and one page of tasks that the server
// filters, sorts and pages. Rows are updated in place from events; the page never holds more than one page.
import { h, badge, progressBar, formatTime, taskDuration, STATUSES, statusLabel } from '../dom.js';
import { windowTasks, pageState, currentFilters, currentStats, setFilters, olderPage, newerPage, PAGE_SIZE } from '../store.js';
import { renderCharts } from './charts.js';
import { renderNodes } from './nodes.js';

/** What a row shows that can change (progress does not move `lastUpdatedAt`). */
function rowKey(task) {
  return `${task.lastUpdatedAt}|${task.status}|${task.progress?.current ?? ''}|${task.progress?.total ?? ''}|${task.statusMessage || task.progress?.message || ''}`;
}

function row(task) {
  const message = task.statusMessage || task.progress?.message || '';
  const owner = task.owner ? [task.owner.principal, task.owner.team].filter(Boolean).join(' · ') : '';
  return h('tr', { 'data-task-id': task.id, 'data-key': rowKey(task) },
    h('td', { 'data-label': 'Status' }, badge(task.status)),
    h('td', { 'data-label': 'Tool' }, h('a', { href: `#/tasks/${encodeURIComponent(task.id)}`, 'data-field': 'tool' }, task.tool)),
    h('td', { 'data-label': 'Progress' }, progressBar(task)),
    h('td', { 'data-label': 'Message', class: 'message', 'data-field': 'message' }, message),
    h('td', { 'data-label': 'Owner', class: 'owner', 'data-field': 'owner' }, owner),
    h('td', { 'data-label': 'Started', class: 'num' }, h('time', { datetime: task.createdAt }, formatTime(task.createdAt))),
    h('td', { 'data-label': 'Duration', class: 'num', 'data-field': 'duration', 'data-created': task.createdAt }, taskDuration(task)));
}

/** A labelled control for the filter bar. */
function field(id, label, control) {
  return h('div', {}, h('label', { for: id }, label), control);
}

export function renderTasks(main, tools) {
  const filters = currentFilters();
  const toolNames = () => [...new Set([...tools.map((tool) => tool.name), ...Object.keys(currentStats()?.byTool || {})])].sort();
  const apply = (changes) => setFilters(changes).catch(() => {});
  const statusSelect = h('select', { id: 'filter-status', onchange: (e) => apply({ status: e.target.value }) },
    h('option', { value: '' }, 'All statuses'),
    STATUSES.map((status) => h('option', { value: status, selected: filters.status === status }, statusLabel(status))));
  const toolSelect = h('select', { id: 'filter-tool', onchange: (e) => apply({ tool: e.target.value }) });
  const fillTools = () => {
    const names = toolNames();
    if (toolSelect.options.length === names.length + 1) return;
    toolSelect.replaceChildren(h('option', { value: '' }, 'All tools'),
      names.map((name) => h('option', { value: name, selected: currentFilters().tool === name }, name)));
  };
  fillTools();
  const text = (id, key, placeholder) => h('input', { id, type: 'text', value: filters[key], placeholder, size: 10,
    onchange: (e) => apply({ [key]: e.target.value.trim() }) });
  const time = (id, key) => h('input', { id, type: 'datetime-local', value: filters[key], onchange: (e) => apply({ [key]: e.target.value }) });
  const orderSelect = h('select', { id: 'filter-order', onchange: (e) => apply({ order: e.target.value }) },
    h('option', { value: 'newest', selected: filters.order === 'newest' }, 'Newest first'),
    h('option', { value: 'oldest', selected: filters.order === 'oldest' }, 'Oldest first'));

  const findInput = h('input', { id: 'find-task', type: 'search', placeholder: 'Paste a task id', autocomplete: 'off',
    spellcheck: false, 'aria-describedby': 'find-hint' });
  const find = h('form', { class: 'find', role: 'search', onsubmit: (event) => {
    event.preventDefault();
    const id = findInput.value.trim();
    if (id) location.hash = `#/tasks/${encodeURIComponent(id)}`;
  } },
  h('label', { for: 'find-task' }, 'Find a task by id'),
  h('div', { class: 'find-row' }, findInput, h('button', { type: 'submit' }, 'Open')),
  h('p', { id: 'find-hint', class: 'muted visually-hidden' }, 'Opens the task with this id, if you may see it.'));

  const body = h('tbody', { id: 'task-rows' });
  const table = h('table', { class: 'tasks', 'aria-describedby': 'task-count' },
    h('caption', { class: 'visually-hidden' }, 'Tasks'),
    h('thead', {}, h('tr', {}, ['Status', 'Tool', 'Progress', 'Message', 'Owner', 'Started', 'Duration'].map((name) => h('th', { scope: 'col' }, name)))),
    body);
  const empty = h('div', { class: 'panel empty', id: 'empty', hidden: true });
  const count = h('p', { id: 'task-count', class: 'muted', 'aria-live': 'polite' });
  const newer = h('button', { type: 'button', id: 'page-newer', onclick: () => newerPage().catch(() => {}) }, '← Previous page');
  const older = h('button', { type: 'button', id: 'page-older', onclick: () => olderPage().catch(() => {}) }, 'Next page →');
  const pageLabel = h('span', { id: 'page-number', class: 'muted' });
  const charts = renderCharts();
  const nodes = renderNodes();

  main.replaceChildren(
    charts.element,
    nodes.element,
    h('div', { class: 'tasks-head' }, h('h1', {}, 'Tasks'), find),
    h('div', { class: 'filters' },
      field('filter-status', 'Status', statusSelect), field('filter-tool', 'Tool', toolSelect),
      field('filter-owner', 'Owner', text('filter-owner', 'owner', 'principal')),
      field('filter-team', 'Team', text('filter-team', 'team', 'team')),
      field('filter-since', 'Created from', time('filter-since', 'since')),
      field('filter-until', 'until', time('filter-until', 'until')),
      field('filter-order', 'Order', orderSelect)),
    count, table, empty,
    h('nav', { class: 'pager', 'aria-label': 'Pages of tasks' }, newer, pageLabel, older));

  /** Draws the window: rows whose task did not change are kept (focus and scroll stay). */
  function refresh() {
    const tasks = windowTasks();
    const existing = new Map([...body.children].map((tr) => [tr.dataset.taskId, tr]));
    const rows = tasks.map((task) => {
      const current = existing.get(task.id);
      if (current && current.dataset.key === rowKey(task)) return current;
      const fresh = row(task);
      if (current && current.querySelector('[data-field="status"]')?.dataset.status !== task.status) flash(fresh);
      return fresh;
    });
    if (rows.length !== body.children.length || rows.some((tr, index) => body.children[index] !== tr)) body.replaceChildren(...rows);
    // For the web tests: when the first rows reached the DOM, in ms since navigation began.
    if (rows.length > 0 && performance.getEntriesByName('errand:first-rows').length === 0) performance.mark('errand:first-rows');
    const state = pageState();
    table.hidden = tasks.length === 0;
    newer.disabled = !state.hasNewer;
    older.disabled = !state.hasOlder;
    pageLabel.textContent = `Page ${state.number}`;
    updateCount();
    empty.hidden = tasks.length !== 0;
    if (state.error) {
      empty.replaceChildren(h('p', { role: 'alert' }, `The tasks could not be loaded: ${state.error}`));
    } else if ((currentStats()?.total ?? 0) === 0 && !filtered(state.filters)) {
      empty.replaceChildren(
        h('p', {}, h('strong', {}, 'No tasks yet.')),
        h('p', { class: 'muted' }, 'Start one here, from an MCP client, or with curl:'),
        h('pre', {}, `curl -X POST '${location.origin}/api/tools/slow_computation/call?task=true' -d '{"duration": 5}'`),
        h('p', {}, h('a', { class: 'button', href: '#/new/slow_computation' }, 'Start a task')));
    } else {
      empty.replaceChildren(h('p', {}, 'No task matches these filters.'));
    }
  }

  function updateCount() {
    const state = pageState();
    const tasks = windowTasks();
    const total = currentStats()?.total;
    const order = state.filters.order === 'oldest' ? 'oldest first' : 'newest first';
    const of = total === undefined ? '' : filtered(state.filters)
      ? ` Filtered by the server (${total.toLocaleString()} tasks in all).` : ` ${total.toLocaleString()} tasks in all.`;
    count.textContent = `Page ${state.number}: ${tasks.length} task${tasks.length === 1 ? '' : 's'}, ${order}, up to ${PAGE_SIZE} a page.${of}`;
  }

  function update(change) {
    if (change.type === 'stats') {
      fillTools();
      updateCount();
      nodes.update(change.stats);
      return;
    }
    if (change.type === 'window' || change.type === 'reload') refresh();
  }

  refresh();
  if (currentStats()) nodes.update(currentStats());
  return {
    update,
    tick: () => tickDurations(body),
    close: () => charts.close(),
  };
}

function filtered(filters) {
  return Boolean(filters.status || filters.tool || filters.owner || filters.team || filters.since || filters.until);
}

function flash(element) {
  element.classList.add('flash');
  setTimeout(() => element.classList.remove('flash'), 1000);
}

/** Advances the duration of running tasks once a second (local clock only; no request). */
function tickDurations(body) {
  for (const cell of body.querySelectorAll('td[data-field="duration"]')) {
    const status = cell.parentElement.querySelector('[data-field="status"]')?.dataset.status;
    if (status && !['completed', 'failed', 'cancelled'].includes(status)) {
      cell.textContent = taskDuration({ createdAt: cell.dataset.created, status });
    }
  }
}
