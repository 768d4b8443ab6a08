// The web console (SPEC §6) at /console/ on the admin listener: static files built into
// dist/console, served with a strict Content-Security-Policy (no inline script, no eval, nothing
// from elsewhere) and no framing. It holds no data of its own: the page calls the management API.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

const files: Record<string, string> = { 'index.html': 'index.html', 'app.js': 'app.js', 'app.css': 'app.css' };
const types: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
const policy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function registerConsoleRoutes(server: FastifyInstance): void {
  const dir = fileURLToPath(new URL('../../console/', import.meta.url));
  const cache = new Map<string, Buffer>();
  const send = (name: string | undefined) => {
    if (name === undefined) return undefined;
    let body = cache.get(name);
    if (body === undefined) {
      try {
        body = readFileSync(`${dir}${name}`);
      } catch {
        return undefined;
      }
      cache.set(name, body);
    }
    return body;
  };
  const config = { openapi: false };
  const serve = (name: string | undefined, reply: FastifyReply) => {
    const body = send(name);
    if (name === undefined || body === undefined) return reply.code(404).send({ error: 'not_found', message: 'no such console file (was the console built? npm run build)' });
    return reply
      .header('content-type', types[name.split('.').at(-1)!]!)
      .header('content-security-policy', policy)
      .header('x-frame-options', 'DENY')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-store')
      .send(body);
  };
  server.get('/', { config }, (_request, reply) => reply.redirect('/console/', 302));
  server.get('/console', { config }, (_request, reply) => reply.redirect('/console/', 302));
  server.get('/console/', { config }, (_request, reply) => serve('index.html', reply));
  server.get<{ Params: { file: string } }>('/console/:file', { config }, (request, reply) => serve(files[request.params.file], reply));
}
