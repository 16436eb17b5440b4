// The REST API (see /api/openapi.yaml). Every failure becomes an ApiError carrying the problem's detail.
import { authHeaders, signalUnauthorized } from './auth.js';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function request(method, path, body) {
  const options = { method, headers: { Accept: 'application/json', ...authHeaders() } };
  if (body !== undefined) {
    options.headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (error) {
    throw new ApiError(0, { detail: 'The server cannot be reached; it may be restarting.' });
  }
  const type = response.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await response.json() : null;
  if (response.status === 401) signalUnauthorized();
  if (!response.ok) throw new ApiError(response.status, data);
  return { status: response.status, data, headers: response.headers };
}

const segment = encodeURIComponent;

export const api = {
  tools: async () => (await request('GET', '/api/tools')).data.tools,
  /** One page of GET /api/tasks: {tasks, nextCursor?}; `query` is a URLSearchParams string. */
  list: async (query) => (await request('GET', `/api/tasks?${query}`)).data,
  stats: async () => (await request('GET', '/api/stats')).data,
  cluster: async () => (await request('GET', '/api/cluster')).data,
  series: async (seconds) => (await request('GET', `/api/stats/series?seconds=${seconds}`)).data,
  children: async (id) => (await request('GET', `/api/tasks?parent=${segment(id)}&limit=1000`)).data.tasks,
  task: async (id) => (await request('GET', `/api/tasks/${segment(id)}`)).data,
  result: async (id) => (await request('GET', `/api/tasks/${segment(id)}/result`)),
  answer: async (id, body) => (await request('POST', `/api/tasks/${segment(id)}/input`, body)).data,
  cancel: async (id) => (await request('POST', `/api/tasks/${segment(id)}/cancel`)).data,
  start: async (tool, args) => (await request('POST', `/api/tools/${segment(tool)}/call?task=true`, args)).data,
};
