// "Start a task": a form generated from the chosen tool's input schema, checked before it is sent.
import { h } from '../dom.js';
import { api, ApiError } from '../api.js';
import { remember } from '../store.js';

export function renderForm(main, tools, selected) {
  const startable = tools.filter((tool) => tool.taskSupport !== 'forbidden');
  let tool = startable.find((candidate) => candidate.name === selected) || startable[0];
  const select = h('select', { id: 'tool-select', onchange: (e) => { location.hash = `#/new/${encodeURIComponent(e.target.value)}`; } },
    startable.map((candidate) => h('option', { value: candidate.name, selected: candidate === tool }, candidate.title || candidate.name)));
  const description = h('p', { id: 'tool-description', class: 'muted' });
  const fields = h('div', { id: 'fields', class: 'fields', style: 'display:grid;gap:1rem' });
  const formError = h('div', { id: 'form-error', class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'start-button' }, 'Start task');
  const form = h('form', { class: 'start panel', id: 'start-form', novalidate: true, onsubmit: start },
    h('div', { class: 'field' }, h('label', { for: 'tool-select' }, 'Tool'), select, description),
    fields, formError, h('div', {}, submit));
  main.replaceChildren(h('h1', {}, 'Start a task'),
    h('p', { class: 'muted' }, 'The task runs on the server: you can close this page and follow it from anywhere.'), form);
  if (!tool) {
    form.replaceChildren(h('p', {}, 'This server has no tool that can run as a task.'));
    return {};
  }
  description.textContent = tool.description;
  const controls = buildFields(tool.inputSchema || {}, fields);

  async function start(event) {
    event.preventDefault();
    formError.replaceChildren();
    const { values, valid } = collect(controls);
    if (!valid) {
      controls.find((control) => control.input.getAttribute('aria-invalid') === 'true')?.focusTarget.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Starting…';
    try {
      const task = await api.start(tool.name, values);
      remember(task);
      location.hash = `#/tasks/${encodeURIComponent(task.id)}`;
    } catch (error) {
      const problems = error instanceof ApiError ? error.problem?.problems : null;
      formError.replaceChildren(h('p', { class: 'result-error' }, error.message),
        problems ? h('ul', {}, problems.map((problem) => h('li', {}, problem))) : null);
      submit.disabled = false;
      submit.textContent = 'Start task';
    }
  }
  return {};
}

/** One control per property; returns descriptors that know how to read and check their value. */
export function buildFields(schema, container) {
  const properties = schema.properties || {};
  const required = new Set(schema.required || []);
  const names = Object.keys(properties).sort((a, b) => (required.has(b) - required.has(a)) || a.localeCompare(b));
  if (names.length === 0) container.append(h('p', { class: 'muted' }, 'This tool takes no arguments.'));
  return names.map((name) => {
    const property = properties[name];
    const control = makeControl(name, property, required.has(name));
    container.append(control.element);
    return control;
  });
}

function makeControl(name, property, isRequired) {
  const id = `arg-${name}`;
  const hintID = `${id}-hint`;
  const errorID = `${id}-error`;
  const error = h('span', { class: 'error', id: errorID, 'aria-live': 'polite' });
  const hintText = [sentence(property.description), rangeText(property), property.default !== undefined ? `Default: ${JSON.stringify(property.default)}.` : '']
    .filter(Boolean).join(' ');
  const hint = hintText ? h('span', { class: 'hint', id: hintID }, hintText) : null;
  const described = [hint ? hintID : '', errorID].filter(Boolean).join(' ');
  const label = h('label', { for: id }, name, isRequired ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null);
  let input;
  let read;
  let focusTarget;

  if (property.type === 'boolean') {
    input = h('input', { type: 'checkbox', id, name, checked: property.default === true, 'aria-describedby': described });
    read = () => input.checked;
    focusTarget = input;
    const element = h('div', { class: 'field checkbox' }, h('div', {}, input, ' ', label), hint, error);
    return finish(element);
  }
  if (property.type === 'array' && property.items?.enum) {
    const boxes = property.items.enum.map((option) =>
      h('label', {}, h('input', { type: 'checkbox', name, value: option }), ' ', option));
    input = h('fieldset', { id, 'aria-describedby': described },
      h('legend', {}, name, isRequired ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null), boxes);
    read = () => {
      const chosen = [...input.querySelectorAll('input:checked')].map((box) => box.value);
      return chosen.length ? chosen : undefined;
    };
    focusTarget = input.querySelector('input');
    return finish(h('div', { class: 'field' }, input, hint, error));
  }
  if (property.enum) {
    input = h('select', { id, name, 'aria-describedby': described, required: isRequired },
      isRequired ? null : h('option', { value: '' }, '(default)'),
      property.enum.map((option) => h('option', { value: option, selected: property.default === option }, option)));
    read = () => (input.value === '' ? undefined : input.value);
  } else if (property.type === 'number' || property.type === 'integer') {
    input = h('input', {
      type: 'number', id, name, inputmode: property.type === 'integer' ? 'numeric' : 'decimal',
      step: property.type === 'integer' ? '1' : 'any', min: property.minimum, max: property.maximum,
      value: property.default, required: isRequired, 'aria-describedby': described,
    });
    read = () => (input.value.trim() === '' ? undefined : Number(input.value));
  } else if (property.type === 'string') {
    input = h('input', { type: 'text', id, name, value: property.default, required: isRequired, 'aria-describedby': described });
    read = () => (input.value === '' ? undefined : input.value);
  } else {
    input = h('textarea', { id, name, rows: 3, 'aria-describedby': described, placeholder: 'JSON value' });
    read = () => {
      if (input.value.trim() === '') return undefined;
      try { return JSON.parse(input.value); } catch { return { invalidJSON: true }; }
    };
  }
  if (isRequired) input.setAttribute('aria-required', 'true');
  focusTarget = input;
  return finish(h('div', { class: 'field' }, label, input, hint, error));

  function finish(element) {
    return { name, property, isRequired, element, input, error, read, focusTarget };
  }
}

function sentence(text) {
  if (!text) return '';
  return /[.!?)]$/.test(text) ? text : `${text}.`;
}

function rangeText(property) {
  const schema = property.type === 'array' ? {} : property;
  if (schema.minimum !== undefined && schema.maximum !== undefined) return `From ${schema.minimum} to ${schema.maximum}.`;
  if (schema.minimum !== undefined) return `At least ${schema.minimum}.`;
  if (schema.maximum !== undefined) return `At most ${schema.maximum}.`;
  return '';
}

/** Reads every control and marks the ones whose value breaks the schema. */
export function collect(controls) {
  const values = {};
  let valid = true;
  for (const control of controls) {
    const value = control.read();
    const message = check(control, value);
    control.error.textContent = message;
    control.input.setAttribute('aria-invalid', message ? 'true' : 'false');
    if (message) valid = false;
    else if (value !== undefined) values[control.name] = value;
  }
  return { values, valid };
}

function check(control, value) {
  const { property, isRequired } = control;
  if (value === undefined) return isRequired ? `${control.name} is required.` : '';
  if (value && value.invalidJSON) return `${control.name} must be valid JSON.`;
  if (property.type === 'integer' || property.type === 'number') {
    if (Number.isNaN(value)) return `${control.name} must be a number.`;
    if (property.type === 'integer' && !Number.isInteger(value)) return `${control.name} must be a whole number.`;
    if (property.minimum !== undefined && value < property.minimum) return `${control.name} must be at least ${property.minimum}.`;
    if (property.maximum !== undefined && value > property.maximum) return `${control.name} must be at most ${property.maximum}.`;
  }
  if (property.type === 'array' && property.maxItems !== undefined && value.length > property.maxItems) {
    return `Choose at most ${property.maxItems}.`;
  }
  return '';
}
