#!/usr/bin/env node
// siem-gateway start | validate | logs | version. Exit codes: 0 ok, 1 runtime failure, 2 bad usage
// or bad configuration. Problems are printed as lines, never as stack traces.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile } from '../config/load-config.js';
import { version } from '../version.js';
import { printLogs } from './logs-command.js';
import { runGateway } from './run-gateway.js';

const usage = `usage: siem-gateway <command> [--config FILE]

commands:
  start     --config FILE   run the gateway (default FILE: gateway.yaml)
  validate  --config FILE   check a configuration file: prints ok, or one line per problem (exit 2)
  logs [--follow] FILE      print a JSON log file (the delivery log) one readable line per entry
  version                   print the version`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: 'string', short: 'c', default: 'gateway.yaml' }, follow: { type: 'boolean', short: 'f' }, help: { type: 'boolean', short: 'h' } } });
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
      return runGateway(file);
    default:
      process.stderr.write(`siem-gateway: ${command === undefined ? 'a command is required' : `unknown command "${command}"`}\n${usage}\n`);
      return 2;
  }
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
