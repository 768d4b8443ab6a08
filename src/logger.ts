// One pino logger for the process. Secrets that could reach a log line through an object are
// redacted by path; messages themselves never carry secret values.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export const redactedPaths = [
  'token',
  '*.token',
  'password',
  '*.password',
  'passphrase',
  '*.passphrase',
  'secret',
  '*.secret',
  'headers.authorization',
  'headers["api-key"]',
  'headers["x-license-key"]',
  '*.headers.authorization',
  '*.headers["api-key"]',
  '*.headers["x-license-key"]',
];

export function createLogger(level: string, destination: DestinationStream | number = 1): Logger {
  const stream = typeof destination === 'number' ? pino.destination({ fd: destination, sync: true }) : destination;
  return pino({ level, base: { service: 'siem-gateway' }, redact: { paths: redactedPaths, censor: '[redacted]' } }, stream);
}
