// siem-gateway format --format OCSF [--source keycloak] [--expose-ip] [--expose-user-agent]
// [--include-raw] < events.json: how events map in a format, before anyone subscribes. The input
// is events in the events API's forms (a JSON array, one object, or NDJSON), or with --source an
// IdP's own webhook body, read by that source as the gateway would. Events are redacted as a
// subscription would redact them, then printed one formatted item per line (CEF and LEEF as their
// lines, everything else as JSON).
import { formatters as formats } from '../../formats/index.js';
import type { FormatContext, Formatter } from '../contracts/formatter.js';
import type { ActivityEvent } from '../event/activity-event.js';
import type { EventProblem } from '../event/event-problem.js';
import { validateEvent } from '../event/validate-event.js';
import { compileRedactor } from '../pipeline/redact.js';
import { amWebhookSource } from '../sources/am-webhook.js';
import { asgardeoSource } from '../sources/asgardeo.js';
import { keycloakSource } from '../sources/keycloak.js';
import type { SourceType } from '../sources/source-types.js';

export interface FormatOptions {
  format: string;
  source?: string;
  exposeIp: boolean;
  exposeUserAgent: boolean;
  includeRaw: boolean;
}

/** Formats that need a subscription's own settings (a template, a signing key) to say anything. */
const needsSubscription = new Set(['TEMPLATE', 'SET']);
const sources: Record<string, SourceType> = { keycloak: keycloakSource, asgardeo: asgardeoSource, 'am-webhook': amWebhookSource };

/** The formatted lines, or the problems (each naming where) that stop it. */
export async function formatEvents(input: Buffer, options: FormatOptions): Promise<{ lines: string[] } | { problems: string[] }> {
  const formatter = (formats as Record<string, Formatter | undefined>)[options.format.toUpperCase()];
  if (formatter === undefined || needsSubscription.has(formatter.name)) {
    return { problems: [`--format must be one of: ${Object.keys(formats).filter((name) => !needsSubscription.has(name)).join(', ')}${formatter === undefined ? '' : ` (${formatter.name} needs a subscription's template or key: use the test-send route)`}`] };
  }
  const read = options.source === undefined ? readEvents(input.toString('utf8')) : await readSource(input, options.source);
  if ('problems' in read) return read;
  const redact = compileRedactor({ ipAddressExposed: options.exposeIp, userAgentExposed: options.exposeUserAgent });
  const context: FormatContext = {
    environment: 'cli',
    encoding: 'ND_JSON',
    newRelic: { api: 'logs' },
    otlp: { encoding: 'json' },
    ocsf: { version: '1.1.0', includeRaw: options.includeRaw },
    elasticsearch: { index: 'siem-gateway-${recordedAt:yyyy.MM.dd}' },
  };
  const lines = read.events.map((event) => {
    const item = formatter.format(redact(event), context, Date.now());
    return typeof item === 'string' ? item : item instanceof Uint8Array ? Buffer.from(item).toString('utf8') : JSON.stringify(item);
  });
  return { lines };
}

/** Events in the events API's forms: a JSON array, one object, or NDJSON. */
function readEvents(text: string): { events: ActivityEvent[] } | { problems: string[] } {
  let values: { value: unknown; position: { index?: number; line?: number } }[];
  try {
    const whole = JSON.parse(text) as unknown;
    values = (Array.isArray(whole) ? (whole as unknown[]) : [whole]).map((value, index) => ({ value, position: { index } }));
  } catch {
    values = [];
    const lines = text.split('\n');
    for (let at = 0; at < lines.length; at++) {
      if (lines[at]!.trim() === '') continue;
      try {
        values.push({ value: JSON.parse(lines[at]!) as unknown, position: { line: at + 1 } });
      } catch (error) {
        return { problems: [`line ${at + 1}: not JSON (${(error as Error).message})`] };
      }
    }
  }
  if (values.length === 0) return { problems: ['no events on standard input (a JSON array, one object, or NDJSON)'] };
  const problems = values.flatMap(({ value, position }) => validateEvent(value, position)).map(describeProblem);
  return problems.length > 0 ? { problems } : { events: values.map(({ value }) => value as ActivityEvent) };
}

/** An IdP's webhook body, read by its source as the gateway reads it (signatures are not checked here). */
async function readSource(input: Buffer, name: string): Promise<{ events: ActivityEvent[] } | { problems: string[] }> {
  const source = sources[name];
  if (source === undefined) return { problems: [`--source must be one of: ${Object.keys(sources).join(', ')} (PingOne's deliveries are events already: leave --source out)`] };
  try {
    const normalised = await source.normalise({ id: name, type: name as 'keycloak', environment: 'cli', dedupeWindowSeconds: 0 }, { headers: { 'content-type': 'application/json' }, body: input });
    return { events: normalised.events };
  } catch (error) {
    return { problems: [`the ${name} body cannot be read: ${(error as Error).message}`] };
  }
}

function describeProblem(problem: EventProblem): string {
  const where = problem.line !== undefined ? `line ${problem.line}` : `event ${problem.index ?? 0}`;
  return `${where}${problem.path === '' ? '' : ` ${problem.path}`}: ${problem.message}`;
}
