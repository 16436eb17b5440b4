// A task's live log: the stored lines, then new ones as they are written (GET /api/tasks/{id}/log?follow=1).
// Follows the end while the reader is at the bottom; scrolling up stops that until they scroll back down.
import { h } from '../dom.js';
import { streamURL } from '../auth.js';

const MAX_LINES = 2000; // what the page keeps; the server keeps the newest lines of each task too

export function taskLog(id) {
  const list = h('ol', { class: 'log', id: 'task-log', 'aria-label': 'Task log', tabindex: '0' });
  const note = h('p', { class: 'muted', id: 'task-log-note' }, 'Nothing logged yet.');
  const panel = h('div', { class: 'panel log-panel' }, note, list);
  let source = null;
  let stick = true;
  list.addEventListener('scroll', () => {
    stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
  });

  function append(line) {
    note.hidden = true;
    list.append(h('li', { 'data-level': line.level, 'data-sequence': String(line.sequence) },
      h('time', { datetime: line.at, class: 'muted' }, line.at.slice(11, 23)), ' ',
      h('span', { class: 'log-level' }, line.level), ' ', line.text));
    while (list.childElementCount > MAX_LINES) list.firstElementChild.remove();
    if (stick) list.scrollTop = list.scrollHeight;
  }

  function open() {
    close();
    source = new EventSource(streamURL(`/api/tasks/${encodeURIComponent(id)}/log?follow=1`));
    source.addEventListener('log', (event) => append(JSON.parse(event.data)));
    source.addEventListener('end', () => {
      close();
      if (!list.childElementCount) note.textContent = 'The task logged nothing.';
    });
  }

  function close() {
    source?.close();
    source = null;
  }

  open();
  return { element: panel, close };
}
