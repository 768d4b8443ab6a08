// The management API as the console calls it: the admin token from sessionStorage as a bearer
// header (never in a URL), JSON both ways, an ApiError carrying the API's problems by field.


export type Json = Record<string, unknown>;
export interface Problem {
  path: string;
  message: string;
}
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: string; message?: string; problems?: Problem[] },
  ) {
    super(body.message ?? `HTTP ${status}`);
  }
}

export const tokenKey = 'siem-gateway-admin-token';

/** A value from the API as text: strings and numbers as they are, anything else as nothing. */
export function show(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? `${value}` : '';
}

export async function api<T = Json>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ body: T; etag: string | null }> {
  const token = sessionStorage.getItem(tokenKey) ?? '';
  const response = await fetch(path, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  const parsed = (text === '' ? {} : JSON.parse(text)) as T & { error?: string; message?: string; problems?: Problem[] };
  if (!response.ok) throw new ApiError(response.status, parsed);
  return { body: parsed, etag: response.headers.get('etag') };
}
