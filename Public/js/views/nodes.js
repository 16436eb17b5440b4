// The nodes serving these tasks (GET /api/cluster): with PostgreSQL every node of the cluster (idle ones from their
// heartbeats), what it runs and how old its leases are, and a node that stopped renewing marked as such; with
// memory or SQLite the one server.
import { h } from '../dom.js';
import { api } from '../api.js';

function ago(ms) {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

function nodeCard(node) {
  const state = node.renewing ? 'alive' : 'stale';
  const tools = Object.entries(node.running || {}).map(([tool, count]) => `${tool} × ${count}`).join(', ');
  return h('li', { class: 'node panel', 'data-node': node.name, 'data-state': state },
    h('div', { class: 'node-head' }, h('strong', {}, node.name), node.self ? h('span', { class: 'muted' }, ' (this server)') : null,
      h('span', { class: 'node-state', 'data-field': 'state' },
        !node.renewing ? 'stopped renewing' : node.leases > 0 ? 'renewing leases' : 'serving')),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Running'), h('dd', { 'data-field': 'leases' }, String(node.leases)),
      node.workerSlots !== undefined ? [h('dt', {}, 'Worker slots'), h('dd', {}, String(node.workerSlots))] : null,
      node.queueDepth !== undefined ? [h('dt', {}, 'Queued here'), h('dd', {}, String(node.queueDepth))] : null,
      node.leaseEndsInMs !== undefined ? [h("dt", {}, "First lease ends"), h("dd", {}, node.leaseEndsInMs >= 0 ? `in ${ago(node.leaseEndsInMs)}` : `${ago(-node.leaseEndsInMs)} ago (lapsed)`)] : null,
      node.lastRenewedAgoMs !== undefined ? [h('dt', {}, 'Last renewal'), h('dd', { 'data-field': 'renewed' }, `${ago(node.lastRenewedAgoMs)} ago`)] : null,
      tools ? [h('dt', {}, 'Tools'), h('dd', {}, tools)] : null));
}

/** The nodes section; `update()` redraws it from the server (called with each fresh /api/stats). */
export function renderNodes() {
  const list = h('ul', { class: 'nodes', id: 'nodes' });
  const summary = h('p', { class: 'muted', id: 'nodes-summary' });
  const element = h('section', { class: 'nodes-section', 'aria-labelledby': 'nodes-title' },
    h('h2', { id: 'nodes-title' }, 'Nodes'), summary, list);
  let inFlight = false;

  async function update() {
    if (inFlight) return;
    inFlight = true;
    try {
      const cluster = await api.cluster();
      const stale = cluster.nodes.filter((node) => !node.renewing).length;
      summary.textContent = cluster.mode === 'cluster'
        ? `${cluster.nodes.length} node${cluster.nodes.length === 1 ? '' : 's'} in the cluster${stale ? `, ${stale} stopped renewing` : ''}.`
        : 'One server (memory or SQLite store).';
      list.replaceChildren(...cluster.nodes.map(nodeCard));
    } catch {
      // Kept as it was; the connection indicator tells why.
    } finally {
      inFlight = false;
    }
  }

  return { element, update };
}
