// Bearer-token sign-in. The token lives only in this tab's sessionStorage: it goes to the server as
// `Authorization: Bearer` on fetches and as `?access_token=` on the event stream (EventSource cannot send
// headers). When the server runs without authentication (GET /api/auth says required: false) none of this shows.

const KEY = 'errand.token';
const listeners = new Set();

export function token() {
  try { return sessionStorage.getItem(KEY) || ''; } catch { return ''; }
}

export function setToken(value) {
  try {
    if (value) sessionStorage.setItem(KEY, value);
    else sessionStorage.removeItem(KEY);
  } catch { /* storage disabled: the token lasts until the page reloads */ }
}

/** Headers that authenticate a fetch. */
export function authHeaders() {
  const value = token();
  return value ? { Authorization: `Bearer ${value}` } : {};
}

/** The URL of an event stream, with the token in the query when there is one. */
export function streamURL(path) {
  const value = token();
  if (!value) return path;
  return `${path}${path.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(value)}`;
}

/** Calls `listener()` when the server answered 401: the token is missing, wrong or revoked. */
export function onUnauthorized(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function signalUnauthorized() {
  for (const listener of listeners) listener();
}

/**
 * Asks the server whether a token is needed and whose ours is:
 * {required, principal} — or {required: true, rejected: true} when the token was refused,
 * or {required: false, unreachable: true} when the server cannot be reached (the dashboard then starts as before).
 */
export async function authStatus() {
  let response;
  try {
    response = await fetch('/api/auth', { headers: { Accept: 'application/json', ...authHeaders() } });
  } catch {
    return { required: false, principal: null, unreachable: true };
  }
  if (response.status === 401) return { required: true, principal: null, rejected: true };
  if (!response.ok) return { required: false, principal: null };
  try {
    return await response.json();
  } catch {
    return { required: false, principal: null };
  }
}
