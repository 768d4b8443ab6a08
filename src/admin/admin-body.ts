// JSON bodies of the management API, read so that each refusal names what is wrong: a body nested
// deeper than any object of the API is a 400 naming where (not a 500 from a recursion further on),
// and a `__proto__` or `constructor.prototype` key is a 400 naming that key, never merged anywhere.
import type { FastifyInstance } from 'fastify';
import { jsonPointer } from '../config/config-path.js';

/** Deeper than any subscription, key or replay body can be (a template is a string). */
export const maxBodyDepth = 32;

/** A body refused with the path of what is wrong; answered by the admin error handler. */
export class AdminBodyError extends Error {
  readonly code = 'SIEM_ADMIN_BODY';
  readonly statusCode = 400;
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

/** The first problem of a parsed body, walked without recursion. */
export function bodyProblem(value: unknown): AdminBodyError | undefined {
  const pending: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (pending.length > 0) {
    const { value: current, path } = pending.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (path.length >= maxBodyDepth) return new AdminBodyError(`the body is nested deeper than ${maxBodyDepth} levels`, jsonPointer(path));
    if (Array.isArray(current)) {
      current.forEach((item, index) => pending.push({ value: item, path: [...path, index] }));
      continue;
    }
    for (const [key, item] of Object.entries(current)) {
      if (key === '__proto__' || (key === 'prototype' && path.at(-1) === 'constructor')) return new AdminBodyError(`the key "${key}" is never accepted`, jsonPointer([...path, key]));
      pending.push({ value: item, path: [...path, key] });
    }
  }
  return undefined;
}

export function registerAdminBodyParser(server: FastifyInstance): void {
  server.removeContentTypeParser('application/json');
  server.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text === '') return done(Object.assign(new SyntaxError('empty body'), { statusCode: 400 }), undefined);
    let value: unknown;
    try {
      // JSON.parse makes `__proto__` an own property, which bodyProblem then names.
      value = JSON.parse(text);
    } catch (error) {
      return done(Object.assign(error as Error, { statusCode: 400 }), undefined);
    }
    const problem = bodyProblem(value);
    if (problem !== undefined) return done(problem, undefined);
    done(null, value);
  });
}
