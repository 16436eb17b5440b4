// Small DOM helpers: elements are built from data with textContent, never from HTML strings.

/** Creates an element: h('a', {href: '#/'}, 'text', child). `on*` attributes take functions. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (name in element && typeof value !== 'string') {
      element[name] = value;
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export const STATUSES = ['queued', 'working', 'input_required', 'completed', 'failed', 'cancelled'];
export const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

export function statusLabel(status) {
  return status === 'input_required' ? 'input required' : status;
}

export function badge(status) {
  return h('span', { class: 'badge', 'data-status': status, 'data-field': 'status' }, statusLabel(status));
}

/** A progress bar with its percentage; indeterminate while running without a total. */
export function progressBar(task) {
  const progress = task.progress;
  const label = `Progress of ${task.tool}`;
  if (progress && progress.total > 0) {
    const ratio = Math.max(0, Math.min(1, progress.current / progress.total));
    const percent = Math.round(ratio * 100);
    return h('div', { class: 'progress' },
      h('progress', { max: 100, value: percent, 'aria-label': label }),
      h('span', { 'data-field': 'percent' }, `${percent}%`));
  }
  if (task.status === 'completed') {
    return h('div', { class: 'progress' }, h('progress', { max: 100, value: 100, 'aria-label': label }), h('span', {}, '100%'));
  }
  if (TERMINAL.has(task.status)) return h('div', { class: 'progress muted' }, '—');
  return h('div', { class: 'progress' }, h('progress', { 'aria-label': label }), h('span', {}, ''));
}

/** "14:05:09" today, "Mar 2, 14:05" on other days. */
export function formatTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const now = new Date();
  if (date.toDateString() === now.toDateString()) {
    return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }
  return date.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** "850 ms", "12 s", "3 min 04 s", "2 h 05 min". */
export function formatDuration(ms) {
  if (!(ms >= 0)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${(ms / 1000).toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** How long a task ran (so far). */
export function taskDuration(task, now = Date.now()) {
  const start = Date.parse(task.createdAt);
  const end = TERMINAL.has(task.status) ? Date.parse(task.lastUpdatedAt) : now;
  return formatDuration(end - start);
}

/** Says `text` to screen readers. */
export function announce(text) {
  const announcer = document.getElementById('announcer');
  announcer.textContent = '';
  // A fresh text node after a tick makes screen readers speak repeated messages too.
  setTimeout(() => { announcer.textContent = text; }, 50);
}

export function pretty(value) {
  return JSON.stringify(value, null, 2);
}
