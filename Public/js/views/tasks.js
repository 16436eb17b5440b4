// The live task table: filters by status and tool, one row per task, updated in place from events.
import { h, badge, progressBar, formatTime, taskDuration, STATUSES, statusLabel } from '../dom.js';
import { allTasks } from '../store.js';

const filters = { status: '', tool: '' };

function matches(task) {
  return (!filters.status || task.status === filters.status) && (!filters.tool || task.tool === filters.tool);
}

function row(task) {
  const message = task.statusMessage || task.progress?.message || '';
  return h('tr', { 'data-task-id': task.id },
    h('td', { 'data-label': 'Status' }, badge(task.status)),
    h('td', { 'data-label': 'Tool' }, h('a', { href: `#/tasks/${encodeURIComponent(task.id)}`, 'data-field': 'tool' }, task.tool)),
    h('td', { 'data-label': 'Progress' }, progressBar(task)),
    h('td', { 'data-label': 'Message', class: 'message', 'data-field': 'message' }, message),
    h('td', { 'data-label': 'Started', class: 'num' }, h('time', { datetime: task.createdAt }, formatTime(task.createdAt))),
    h('td', { 'data-label': 'Duration', class: 'num', 'data-field': 'duration', 'data-created': task.createdAt }, taskDuration(task)));
}

export function renderTasks(main, tools) {
  const toolNames = [...new Set([...tools.map((tool) => tool.name), ...allTasks().map((task) => task.tool)])].sort();
  const statusSelect = h('select', { id: 'filter-status', onchange: (e) => { filters.status = e.target.value; refresh(); } },
    h('option', { value: '' }, 'All statuses'),
    STATUSES.map((status) => h('option', { value: status, selected: filters.status === status }, statusLabel(status))));
  const toolSelect = h('select', { id: 'filter-tool', onchange: (e) => { filters.tool = e.target.value; refresh(); } },
    h('option', { value: '' }, 'All tools'),
    toolNames.map((name) => h('option', { value: name, selected: filters.tool === name }, name)));
  const body = h('tbody', { id: 'task-rows' });
  const table = h('table', { class: 'tasks', 'aria-describedby': 'task-count' },
    h('caption', { class: 'visually-hidden' }, 'Tasks, newest first'),
    h('thead', {}, h('tr', {}, ['Status', 'Tool', 'Progress', 'Message', 'Started', 'Duration'].map((name) => h('th', { scope: 'col' }, name)))),
    body);
  const empty = h('div', { class: 'panel empty', id: 'empty', hidden: true });
  const count = h('p', { id: 'task-count', class: 'muted' });
  main.replaceChildren(
    h('h1', {}, 'Tasks'),
    h('div', { class: 'filters' },
      h('div', {}, h('label', { for: 'filter-status' }, 'Status'), statusSelect),
      h('div', {}, h('label', { for: 'filter-tool' }, 'Tool'), toolSelect)),
    count, table, empty);

  function refresh() {
    const all = allTasks();
    const shown = all.filter(matches);
    body.replaceChildren(...shown.map(row));
    table.hidden = shown.length === 0;
    count.textContent = shown.length === all.length
      ? `${all.length} task${all.length === 1 ? '' : 's'}, newest first. Updates live.`
      : `${shown.length} of ${all.length} tasks match the filters.`;
    empty.hidden = shown.length !== 0;
    if (all.length === 0) {
      empty.replaceChildren(
        h('p', {}, h('strong', {}, 'No tasks yet.')),
        h('p', { class: 'muted' }, 'Start one here, from an MCP client, or with curl:'),
        h('pre', {}, `curl -X POST '${location.origin}/api/tools/slow_computation/call?task=true' -d '{"duration": 5}'`),
        h('p', {}, h('a', { class: 'button', href: '#/new/slow_computation' }, 'Start a task')));
    } else if (shown.length === 0) {
      empty.replaceChildren(h('p', {}, 'No task matches these filters.'));
    }
  }

  /** Applies one change without rebuilding the table (keeps focus and scroll). */
  function update(change) {
    if (change.type !== 'task' && change.type !== 'deleted') return refresh();
    const task = change.task;
    const existing = body.querySelector(`tr[data-task-id="${CSS.escape(task.id)}"]`);
    if (change.type === 'deleted' || !matches(task)) {
      if (existing) existing.remove();
      if (!existing && change.type === 'task' && !change.previous) refresh();
      return updateCount();
    }
    const fresh = row(task);
    if (existing) {
      existing.replaceWith(fresh);
      if (change.previous && change.previous.status !== task.status) flash(fresh);
    } else {
      refresh();
      const added = body.querySelector(`tr[data-task-id="${CSS.escape(task.id)}"]`);
      if (added) flash(added);
      if (!toolNames.includes(task.tool)) toolSelect.append(h('option', { value: task.tool }, task.tool));
    }
  }

  function updateCount() {
    const all = allTasks();
    const shown = all.filter(matches).length;
    count.textContent = shown === all.length ? `${all.length} tasks, newest first. Updates live.` : `${shown} of ${all.length} tasks match the filters.`;
  }

  refresh();
  return { update, tick: () => tickDurations(body) };
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
