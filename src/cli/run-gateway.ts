// The process lifecycle of `siem-gateway start`: load, start, reload on SIGHUP, stop gracefully on
// SIGTERM / SIGINT within shutdownTimeoutMs (a second signal stops at once).
import { ConfigError, loadConfigFile } from '../config/load-config.js';
import { asWritten } from '../config/written-form.js';
import { Gateway } from '../gateway.js';
import { createLogger, type Logger } from '../logger.js';

/** Returns an exit code when start-up fails, or -1 once the gateway runs (the signal handlers exit). */
export async function runGateway(file: string): Promise<number> {
  let loaded;
  try {
    loaded = loadConfigFile(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.problems.join('\n')}\n`);
    return 2;
  }
  const logger = createLogger(loaded.config.logging.level);
  for (const warning of loaded.warnings) logger.warn(warning);

  // Handlers go in before start-up: a signal that arrives while the listeners open is handled
  // once the gateway runs, instead of killing the process (SIGHUP's default action).
  const starting = Gateway.start(loaded, logger);
  installSignalHandlers(starting, file, logger);
  try {
    await starting;
  } catch (error) {
    // A start-up failure can quote a configured value (a listen address, a file): as written.
    logger.fatal(asWritten((error as Error).message, loaded.config.references));
    return 1;
  }
  return -1;
}

function installSignalHandlers(starting: Promise<Gateway>, file: string, logger: Logger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => void starting.then((gateway) => stopGateway(gateway, signal), () => process.exit(1));
  const stopGateway = (gateway: Gateway, signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: stopping now');
      process.exit(1);
    }
    stopping = true;
    const timeoutMs = gateway.configuration.shutdownTimeoutMs;
    logger.info({ signal, timeoutMs }, 'stopping');
    const timer = setTimeout(() => {
      logger.warn({ timeoutMs }, 'shutdown timed out; abandoning in-flight work');
      process.exit(0);
    }, timeoutMs);
    gateway.stop().then(
      () => {
        clearTimeout(timer);
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => void starting.then((gateway) => reload(gateway, file, logger), () => undefined));
}

// Reloads run one at a time, in signal order.
let reloading: Promise<void> = Promise.resolve();

function reload(gateway: Gateway, file: string, logger: Logger): void {
  reloading = reloading.then(async () => {
    logger.info({ file }, 'SIGHUP: reloading the configuration');
    gateway.reopenLogs();
    try {
      const next = loadConfigFile(file);
      for (const warning of next.warnings) logger.warn(warning);
      await gateway.apply(next);
    } catch (error) {
      if (!(error instanceof ConfigError)) {
        logger.error({ err: error }, 'configuration reload failed; still running on the previous configuration');
        return;
      }
      for (const problem of error.problems) logger.error(problem);
      logger.error({ problems: error.problems.length }, 'configuration reload refused; still running on the previous configuration');
    }
  });
}
