// The front page's pictures, hand-drawn in SVG from GET /api/stats/series: tasks submitted, completed and failed
// per second, queue depth and running tasks over the same span, and per tool the run-time p50/p95.
// Redrawn every two seconds while the page is open; at most ~300 points a line whatever the span.
import { h } from '../dom.js';
import { api } from '../api.js';

const NS = 'http://www.w3.org/2000/svg';
const WIDTH = 600;
const HEIGHT = 150;
const PAD = { left: 44, right: 8, top: 8, bottom: 20 };
const MAX_POINTS = 300;
const SPANS = [[300, '5 min'], [900, '15 min'], [3600, '1 hour']];

/** Creates an SVG element: s('path', {d: ...}, child). */
function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Seconds per point for a span: at most MAX_POINTS points. */
const bucketSize = (span) => Math.max(1, Math.ceil(span / MAX_POINTS));

/** Groups `values` into buckets of `size`: their mean (rates) or their last value (gauges). */
function downsample(values, how, size) {
  const points = [];
  for (let start = 0; start < values.length; start += size) {
    const bucket = values.slice(start, start + size);
    points.push(how === 'mean' ? bucket.reduce((a, b) => a + b, 0) / bucket.length : bucket[bucket.length - 1]);
  }
  return points;
}

/** A round upper bound for the y axis: 1, 2, 5, 10, 20, 50 … */
function niceMax(value) {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((step) => step * power).find((candidate) => candidate >= value);
}

function format(value) {
  if (value >= 100 || Number.isInteger(value)) return Math.round(value).toLocaleString();
  return value.toFixed(1);
}

/** One line chart: every line over the same span, with a y axis, a time axis and a legend of latest values. */
function lineChart(id, title, span, lines) {
  const length = Math.max(1, ...lines.map((line) => line.values.length));
  // Points sit at their time: a server that started two minutes ago fills the right of a five-minute chart.
  const slots = Math.max(length, Math.ceil(span / bucketSize(span)));
  const max = niceMax(Math.max(0, ...lines.flatMap((line) => line.values)));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const x = (index) => PAD.left + (slots <= 1 ? plotWidth : ((index + slots - length) / (slots - 1)) * plotWidth);
  const y = (value) => PAD.top + plotHeight - (value / max) * plotHeight;
  const grid = [0, 0.5, 1].map((fraction) => {
    const value = max * fraction;
    return s('g', { class: 'grid' },
      s('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value) }),
      s('text', { x: PAD.left - 6, y: y(value) + 4, 'text-anchor': 'end' }, format(value)));
  });
  const axis = s('g', { class: 'axis' },
    s('text', { x: PAD.left, y: HEIGHT - 4 }, `−${SPANS.find(([seconds]) => seconds === span)?.[1] || `${span} s`}`),
    s('text', { x: WIDTH - PAD.right, y: HEIGHT - 4, 'text-anchor': 'end' }, 'now'));
  const paths = lines.map((line) => {
    const d = line.values.map((value, index) => `${index === 0 ? 'M' : 'L'}${x(index).toFixed(1)},${y(value).toFixed(1)}`).join('');
    return s('path', { d: d || `M${PAD.left},${y(0)}`, class: 'line', style: `--line: var(${line.color})`, 'data-line': line.key });
  });
  const latest = lines.map((line) => `${line.name} ${format(line.values[line.values.length - 1] ?? 0)}`).join(', ');
  const svg = s('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': `${title}: latest ${latest}` },
    s('title', {}, title), grid, axis, paths);
  const legend = h('ul', { class: 'legend' }, lines.map((line) =>
    h('li', { style: `--line: var(${line.color})`, 'data-line': line.key }, h('span', { class: 'swatch' }), `${line.name} `,
      h('strong', { 'data-latest': line.key }, format(line.values[line.values.length - 1] ?? 0)))));
  return h('figure', { class: 'chart panel', id }, h('figcaption', {}, title), svg, legend);
}

/** Per tool, a bar to p95 with a mark at p50, on one shared scale. */
function runTimeChart(runTimes) {
  const figure = h('figure', { class: 'chart panel', id: 'chart-runtimes' }, h('figcaption', {}, 'Run time per tool (p50 · p95)'));
  if (runTimes.length === 0) {
    figure.append(h('p', { class: 'muted' }, 'No task ended in this span.'));
    return figure;
  }
  const shown = runTimes.slice(0, 12);
  const max = niceMax(Math.max(...shown.map((times) => times.p95Ms)));
  const rowHeight = 22;
  const width = 360;
  const labelWidth = 110;
  const barWidth = width - labelWidth - 100;
  const height = shown.length * rowHeight + 4;
  const bars = shown.map((times, index) => {
    const top = index * rowHeight + 4;
    const p95 = (times.p95Ms / max) * barWidth;
    const p50 = (times.p50Ms / max) * barWidth;
    return s('g', { 'data-tool': times.tool },
      s('text', { x: labelWidth - 8, y: top + 13, 'text-anchor': 'end', class: 'label' }, times.tool),
      s('rect', { x: labelWidth, y: top + 3, width: Math.max(1, p95), height: 12, class: 'p95' }),
      s('rect', { x: labelWidth, y: top + 3, width: Math.max(1, p50), height: 12, class: 'p50' }),
      s('text', { x: labelWidth + p95 + 6, y: top + 13, class: 'value' }, `${duration(times.p50Ms)} · ${duration(times.p95Ms)}`));
  });
  figure.append(s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-label': shown.map((times) => `${times.tool}: p50 ${duration(times.p50Ms)}, p95 ${duration(times.p95Ms)}`).join('; ') }, bars));
  return figure;
}

function duration(ms) {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** The charts section; `close()` stops its refresh. */
export function renderCharts() {
  let span = SPANS[0][0];
  let timer = null;
  let closed = false;
  const body = h('div', { class: 'charts' });
  const spanSelect = h('select', { id: 'chart-span', onchange: (event) => { span = Number(event.target.value); refresh(); } },
    SPANS.map(([seconds, label]) => h('option', { value: seconds }, `Last ${label}`)));
  const element = h('section', { class: 'charts-section', 'aria-labelledby': 'charts-title' },
    h('div', { class: 'section-head' }, h('h2', { id: 'charts-title' }, 'Activity'),
      h('label', { for: 'chart-span', class: 'visually-hidden' }, 'Span'), spanSelect),
    body);

  async function refresh() {
    clearTimeout(timer);
    try {
      const series = await api.series(span);
      if (closed) return;
      const size = bucketSize(span);
      body.replaceChildren(
        lineChart('chart-throughput', 'Tasks per second', span, [
          { key: 'submitted', name: 'submitted', color: '--working', values: downsample(series.submitted, 'mean', size) },
          { key: 'completed', name: 'completed', color: '--completed', values: downsample(series.completed, 'mean', size) },
          { key: 'failed', name: 'failed', color: '--failed', values: downsample(series.failed, 'mean', size) },
        ]),
        lineChart('chart-queue', 'Queue and running', span, [
          { key: 'queued', name: 'queued', color: '--queued', values: downsample(series.queued, 'last', size) },
          { key: 'running', name: 'running', color: '--input_required', values: downsample(series.running, 'last', size) },
        ]),
        runTimeChart(series.runTimes));
    } catch {
      // The connection indicator says the server is away; the last pictures stay.
    }
    if (!closed) timer = setTimeout(refresh, 2000);
  }

  refresh();
  return { element, close: () => { closed = true; clearTimeout(timer); } };
}
