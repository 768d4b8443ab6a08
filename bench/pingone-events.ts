// PingOne-style audit events of about 1 KB (the shape of protocols.md §1.4), for load generation.
import { randomUUID } from 'node:crypto';

const actionTypes = ['USER.CREATED', 'USER.UPDATED', 'AUTHENTICATION.CREATED', 'SESSION.CREATED', 'SESSION.DELETED', 'PASSWORD.CHECK_SUCCEEDED', 'GROUP.CREATED', 'USER.ACCESS_ALLOWED'];

export function pingOneEvent(index: number, environment = 'bf4cb8b8-2f3c-4d2c-9c7a-7f5e9f0b1a2c'): Record<string, unknown> {
  const now = new Date().toISOString();
  const type = actionTypes[index % actionTypes.length]!;
  return {
    id: randomUUID(),
    recordedAt: now,
    createdAt: now,
    correlationId: randomUUID(),
    action: { type, description: type.toLowerCase().replace(/[._]/g, ' ') },
    actors: {
      client: { id: '830109c7-1d5b-4d43-9a55-0e0b5c0a1f11', name: 'Admin Console Worker', type: 'CLIENT', environment: { id: environment }, href: `https://api.pingone.com/v1/environments/${environment}/applications/830109c7-1d5b-4d43-9a55-0e0b5c0a1f11` },
      user: { id: '5f7d7f0e-0b59-4ac5-8d0c-6a5d25a9d3b1', name: `admin${index % 100}@example.com`, type: 'USER', environment: { id: environment }, population: { id: 'd9e0c0a1-6e0b-4c1f-9c3e-0a8f5a7b2c11' } },
    },
    resources: [{ type: 'USER', id: randomUUID(), name: `user${index}@example.com`, environment: { id: environment }, population: { id: 'd9e0c0a1-6e0b-4c1f-9c3e-0a8f5a7b2c11' } }],
    result: { status: index % 10 === 0 ? 'FAILED' : 'SUCCESS', description: `${type} for user${index}@example.com` },
    tags: index % 7 === 0 ? ['adminIdentityEvent'] : [],
    source: { ipAddress: '203.0.113.17', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0' },
  };
}
