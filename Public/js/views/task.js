// One task: status, progress, arguments, timeline, result, cancel, and a link for other devices.
import { h, badge, progressBar, formatTime, taskDuration, pretty, statusLabel, TERMINAL, announce } from '../dom.js';
import { api, ApiError } from '../api.js';
import { getTask, remember } from '../store.js';
import { taskLog } from './log.js';
import { taskQuestion } from './question.js';

export function renderTask(main, id) {
  let task = getTask(id);
  let resultShown = false;
  const head = h('div', { class: 'task-head' });
  const summary = h('div', { class: 'panel', id: 'task-summary' });
  const actions = h('div', { class: 'task-actions' });
  const timeline = h('ol', { class: 'timeline', id: 'timeline', 'aria-label': 'Status history' });
  const argumentsBlock = h('pre', { id: 'task-arguments' });
  const result = h('div', { class: 'panel', id: 'task-result', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
  const link = `${location.origin}${location.pathname}#/tasks/${encodeURIComponent(id)}`;
  const linkInput = h('input', { id: 'task-link', type: 'text', readonly: true, value: link, 'aria-label': 'Link to this task' });
  const copyButton = h('button', { type: 'button', id: 'copy-link', onclick: copyLink }, 'Copy link');
  const cancelButton = h('button', { type: 'button', id: 'cancel-task', class: 'danger', onclick: cancel }, 'Cancel task');
  const actionStatus = h('span', { id: 'action-status', role: 'status', class: 'muted' });
  const log = taskLog(id);
  const question = taskQuestion(id);
  const family = h('p', { id: 'task-family', class: 'muted' });
  const children = new Map(); // the tasks this one started: GET /api/tasks?parent=, then kept live by events

  main.replaceChildren(
    h('p', {}, h('a', { href: '#/' }, '← All tasks')),
    head,
    family,
    actions,
    question.element,
    h('div', { class: 'grid' },
      h('section', { 'aria-labelledby': 'summary-title' }, h('h2', { id: 'summary-title' }, 'Status'), summary),
      h('section', { 'aria-labelledby': 'arguments-title' }, h('h2', { id: 'arguments-title' }, 'Arguments'), argumentsBlock)),
    h('section', { 'aria-labelledby': 'result-title' }, h('h2', { id: 'result-title' }, 'Result'), result),
    h('section', { 'aria-labelledby': 'log-title' }, h('h2', { id: 'log-title' }, 'Log'), log.element),
    h('section', { 'aria-labelledby': 'timeline-title' }, h('h2', { id: 'timeline-title' }, 'Timeline'), timeline),
    h('section', { 'aria-labelledby': 'share-title' }, h('h2', { id: 'share-title' }, 'Open on another device'),
      h('p', { class: 'muted' }, 'Anyone who can reach this server can follow the task with this link.'),
      h('div', { class: 'share' }, linkInput, copyButton)));
  actions.append(cancelButton, actionStatus);

  function render() {
    if (!task) return;
    document.title = `${task.tool} (${statusLabel(task.status)}) — Errand`;
    head.replaceChildren(h('h1', { tabindex: '-1', id: 'task-title' }, task.tool), badge(task.status),
      h('code', { class: 'muted' }, task.id));
    const started = [...children.values()].sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
    const taskLink = (other, attributes = {}) =>
      h('a', { href: `#/tasks/${encodeURIComponent(other)}`, ...attributes }, other);
    family.replaceChildren(
      ...(task.parentTaskId ? ['Started by task ', taskLink(task.parentTaskId, { id: 'parent-link' }), '. '] : []),
      ...(started.length
        ? [`Started ${started.length} task${started.length === 1 ? '' : 's'}: `,
          h('span', { id: 'child-links' }, ...started.flatMap((child, index) =>
            [index ? ', ' : '', taskLink(child.id), ` (${child.tool}, ${statusLabel(child.status)})`]))]
        : []));
    summary.replaceChildren(h('dl', { class: 'facts' },
      h('dt', {}, 'Status'), h('dd', { 'data-field': 'status-text' }, statusLabel(task.status)),
      h('dt', {}, 'Message'), h('dd', { 'data-field': 'message' }, task.statusMessage || task.progress?.message || '—'),
      h('dt', {}, 'Progress'), h('dd', {}, progressBar(task)),
      h('dt', {}, 'Started'), h('dd', {}, h('time', { datetime: task.createdAt }, formatTime(task.createdAt))),
      h('dt', {}, 'Duration'), h('dd', { 'data-field': 'duration' }, taskDuration(task)),
      h('dt', {}, 'Attempt'), h('dd', {}, String(task.attempt)),
      h('dt', {}, 'Kept for'), h('dd', {}, task.ttlMs == null ? 'ever' : `${Math.round(task.ttlMs / 60000)} min after creation`)));
    argumentsBlock.textContent = pretty(task.arguments);
    question.show(task);
    timeline.replaceChildren(...task.history.map((entry) =>
      h('li', { 'data-status': entry.status, style: `--s: var(--${entry.status})` },
        h('strong', {}, statusLabel(entry.status)), ' ',
        h('time', { datetime: entry.at, class: 'muted' }, formatTime(entry.at)),
        entry.attempt > 1 ? h('span', { class: 'muted' }, ` (attempt ${entry.attempt})`) : null,
        entry.message ? h('div', {}, entry.message) : null)));
    const terminal = TERMINAL.has(task.status);
    cancelButton.disabled = terminal;
    cancelButton.textContent = terminal ? `Task ${statusLabel(task.status)}` : 'Cancel task';
    if (terminal && !resultShown) {
      resultShown = true;
      loadResult();
    } else if (!terminal) {
      result.replaceChildren(h('p', { class: 'muted' }, 'The result appears here when the task ends.'));
    }
  }

  async function loadResult() {
    try {
      const { status, data } = await api.result(id);
      if (status === 202) { resultShown = false; return; }
      result.replaceChildren(...renderOutcome(data));
    } catch (error) {
      resultShown = false;
      result.replaceChildren(h('p', { class: 'result-error' }, error.message));
    }
  }

  async function cancel() {
    cancelButton.disabled = true;
    actionStatus.textContent = 'Cancelling…';
    try {
      remember(await api.cancel(id));
      actionStatus.textContent = 'Cancelled.';
    } catch (error) {
      actionStatus.textContent = error.message;
      cancelButton.disabled = TERMINAL.has(task?.status);
    }
  }

  async function copyLink() {
    try {
      await navigator.clipboard.writeText(link);
      actionStatus.textContent = 'Link copied.';
    } catch {
      linkInput.select();
      actionStatus.textContent = 'Select the link and copy it (Ctrl+C / ⌘C).';
    }
  }

  async function load() {
    try {
      task = await api.task(id);
      remember(task);
      for (const child of await api.children(id)) children.set(child.id, child);
      render();
    } catch (error) {
      const text = error instanceof ApiError && error.status === 404
        ? `There is no task ${id}. It may have expired or been deleted.` : error.message;
      task = null;
      main.replaceChildren(h('p', {}, h('a', { href: '#/' }, '← All tasks')),
        h('h1', { id: 'task-title' }, 'Task not found'), h('p', { class: 'result-error', role: 'alert' }, text));
    }
  }

  render();
  load();
  return {
    close() { log.close(); },
    update(change) {
      if (change.type === 'reload') { task = getTask(id) || task; return render(); }
      if (change.type === 'deleted' && change.task.id === id) {
        actionStatus.textContent = 'This task was deleted.';
        cancelButton.disabled = true;
        return;
      }
      if (change.type === 'task' && change.task.parentTaskId === id) { // a child started or changed
        children.set(change.task.id, change.task);
        return render();
      }
      if (change.type !== 'task' || change.task.id !== id) return;
      const before = task?.status;
      task = change.task;
      render();
      if (before && before !== task.status) announce(`Task ${task.tool} is now ${statusLabel(task.status)}.`);
    },
    tick() {
      if (task && !TERMINAL.has(task.status)) {
        const cell = summary.querySelector('[data-field="duration"]');
        if (cell) cell.textContent = taskDuration(task);
      }
    },
  };
}

/** The outcome as people read it: text blocks, pretty JSON, errors highlighted. */
function renderOutcome(outcome) {
  if (outcome.status === 'cancelled') {
    return [h('p', { class: 'muted', 'data-field': 'outcome' }, 'The task was cancelled; it has no result.')];
  }
  if (outcome.error) {
    return [h('div', { class: 'result-error', 'data-field': 'outcome' },
      h('strong', {}, `Error ${outcome.error.code}: `), outcome.error.message,
      outcome.error.data !== undefined ? h('pre', {}, pretty(outcome.error.data)) : null)];
  }
  const value = outcome.result || {};
  const blocks = [];
  const isError = value.isError === true;
  for (const block of value.content || []) {
    if (block.type === 'text') blocks.push(h('pre', { class: 'result-block' }, block.text));
    else if (block.type === 'image' && /^image\/(png|jpeg|gif|webp)$/.test(block.mimeType || '')) {
      blocks.push(h('img', { class: 'result-block', alt: 'Image result', src: `data:${block.mimeType};base64,${block.data}` }));
    } else blocks.push(h('pre', { class: 'result-block' }, pretty(block)));
  }
  for (const item of value.contents || []) blocks.push(h('pre', { class: 'result-block' }, item.text ?? pretty(item)));
  for (const message of value.messages || []) {
    blocks.push(h('div', { class: 'result-block' }, h('strong', {}, `${message.role}: `), message.content?.text ?? pretty(message.content)));
  }
  if (value.structuredContent !== undefined) {
    blocks.push(h('details', { class: 'result-block' }, h('summary', {}, 'Structured content'), h('pre', {}, pretty(value.structuredContent))));
  }
  if (blocks.length === 0) blocks.push(h('pre', {}, pretty(value)));
  if (isError) {
    return [h('div', { class: 'result-error', 'data-field': 'outcome' }, h('strong', {}, 'The tool reported an error'), ...blocks)];
  }
  return [h('div', { 'data-field': 'outcome' }, ...blocks)];
}
