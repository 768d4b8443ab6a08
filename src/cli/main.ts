#!/usr/bin/env node
// siem-gateway start | validate | logs | format | version. Exit codes: 0 ok, 1 runtime failure, 2 bad usage
// or bad configuration. Problems are printed as lines, never as stack traces.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile } from '../config/load-config.js';
import { version } from '../version.js';
import { printLogs } from './logs-command.js';

const usage = `usage: siem-gateway <command> [--config FILE]

commands:
  start     --config FILE   run the gateway (default FILE: gateway.yaml)
  validate  --config FILE   check a configuration file: prints ok, or one line per problem (exit 2)
  logs [--follow] FILE      print a JSON log file (the delivery log) one readable line per entry
  format --format NAME [--source keycloak|asgardeo|am-webhook] [--expose-ip] [--expose-user-agent] [--include-raw] < FILE
                            print how the events in FILE (a JSON array, one object or NDJSON; with --source
                            an IdP's webhook body) map in a format, one item per line (OCSF, CEF, LEEF, SPLUNK, …)
  version                   print the version`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c', default: 'gateway.yaml' },
        follow: { type: 'boolean', short: 'f' },
        help: { type: 'boolean', short: 'h' },
        format: { type: 'string' },
        source: { type: 'string' },
        'expose-ip': { type: 'boolean', default: false },
        'expose-user-agent': { type: 'boolean', default: false },
        'include-raw': { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`siem-gateway: ${(error as Error).message}\n${usage}\n`);
    return 2;
  }
  const [command, ...extra] = parsed.positionals;
  if (parsed.values.help === true || command === 'help') {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (command === 'logs') {
    if (extra.length !== 1) {
      process.stderr.write(`siem-gateway: logs needs one FILE\n${usage}\n`);
      return 2;
    }
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    process.stdout.on('error', () => stop.abort()); // the reader went away (| head)
    return printLogs(extra[0]!, parsed.values.follow === true, (text) => process.stdout.write(text), stop.signal);
  }
  if (extra.length > 0) {
    process.stderr.write(`siem-gateway: unexpected argument "${extra[0]}"\n${usage}\n`);
    return 2;
  }
  if (command === 'format') {
    if (parsed.values.format === undefined) {
      process.stderr.write(`siem-gateway: format needs --format NAME\n${usage}\n`);
      return 2;
    }
    const values = parsed.values;
    // Loaded only here: the formats and their libraries are not what start or validate need.
    const { formatEvents } = await import('./format-command.js');
    const result = await formatEvents(await readStandardInput(), { format: values.format!, source: values.source, exposeIp: values['expose-ip'] === true, exposeUserAgent: values['expose-user-agent'] === true, includeRaw: values['include-raw'] === true });
    if ('problems' in result) {
      process.stderr.write(`${result.problems.map((problem) => `siem-gateway format: ${problem}`).join('\n')}\n`);
      return 2;
    }
    process.stdout.write(result.lines.map((line) => `${line}\n`).join(''));
    return 0;
  }
  const file = parsed.values.config;
  switch (command) {
    case 'version':
      process.stdout.write(`siem-gateway ${version}\n`);
      return 0;
    case 'validate':
      return validate(file);
    case 'start':
      // `pgrep -x siem-gateway` and `pidof siem-gateway` find the gateway, not `node` or `npm`.
      process.title = 'siem-gateway';
      // Loaded only here: validate, logs and version do not need the engine (they start in half the time).
      return (await import('./run-gateway.js')).runGateway(file);
    default:
      process.stderr.write(`siem-gateway: ${command === undefined ? 'a command is required' : `unknown command "${command}"`}\n${usage}\n`);
      return 2;
  }
}

/** Standard input, whole: at most 64 MB (a file of events, not a stream). */
async function readStandardInput(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of process.stdin) {
    bytes += (chunk as Buffer).length;
    if (bytes > 64 * 1024 * 1024) throw new Error('standard input is over 64 MB; format a smaller file');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function validate(file: string): number {
  try {
    const { warnings } = loadConfigFile(file);
    for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
    process.stdout.write('ok\n');
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.problems.join('\n')}\n`);
    return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // `start` keeps running until a signal; it sets the exit code itself.
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`siem-gateway: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
