// The question a task waits on (input_required), as a form built from its requested schema: accept, decline or
// cancel, from any device. The first answer wins; a later one is told the task was answered already.
import { h } from '../dom.js';
import { api, ApiError } from '../api.js';
import { remember } from '../store.js';
import { buildFields, collect } from './form.js';

export function taskQuestion(id) {
  const panel = h('section', { class: 'panel question', id: 'task-question', 'aria-labelledby': 'question-title', hidden: true });
  let shown = null; // the id of the question on screen

  function show(task) {
    const question = task?.status === 'input_required' ? task.inputRequest : null;
    if (!question) {
      panel.hidden = true;
      shown = null;
      return;
    }
    if (question.id === shown) return; // keep what the reader typed
    shown = question.id;
    const fields = h('div', { class: 'fields', id: 'question-fields', style: 'display:grid;gap:1rem' });
    const controls = buildFields(question.requestedSchema || {}, fields);
    const status = h('p', { id: 'question-status', role: 'status', class: 'muted' });
    const buttons = [
      h('button', { type: 'submit', class: 'primary', id: 'answer-accept' }, 'Accept'),
      h('button', { type: 'button', id: 'answer-decline', onclick: () => send('decline') }, 'Decline'),
      h('button', { type: 'button', id: 'answer-cancel', onclick: () => send('cancel') }, 'Cancel'),
    ];
    const form = h('form', { novalidate: true, onsubmit: (event) => { event.preventDefault(); send('accept'); } },
      fields, h('div', { class: 'task-actions' }, ...buttons), status);
    panel.replaceChildren(
      h('h2', { id: 'question-title' }, 'The task asks'),
      h('p', { id: 'question-message' }, question.message || 'The task needs input.'), form);
    panel.hidden = false;

    async function send(action) {
      let body = { action };
      if (action === 'accept') {
        const { values, valid } = collect(controls);
        if (!valid) return;
        body = { action, content: values };
      }
      for (const button of buttons) button.disabled = true;
      status.textContent = 'Sending…';
      try {
        remember(await api.answer(id, body));
        status.textContent = 'Answered.';
      } catch (error) {
        const problems = error instanceof ApiError ? error.problem?.problems : null;
        status.textContent = error instanceof ApiError && error.status === 409
          ? 'Someone answered already.' : error.message + (problems ? ` (${problems.join('; ')})` : '');
        for (const button of buttons) button.disabled = false;
      }
    }
  }

  return { element: panel, show };
}
