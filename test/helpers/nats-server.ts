// A real nats-server (Debian's package) with JetStream on a free loopback port and a store in the
// test's directory; alone or as one node of a cluster. Restartable on the same port and store.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

export class NatsServer {
  private child: ChildProcess | undefined;
  private output = '';

  private constructor(
    readonly port: number,
    private readonly args: string[],
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /**
   * One server, or with `cluster` one node of the cluster whose route ports are given, started with
   * the README's own configuration (examples/nats/): the file for this nats-server's version, with
   * only the name, addresses, store and routes changed. A line the installed server refuses fails here.
   */
  static async start(dir: string, cluster?: { name: string; port: number; routes: number[] }): Promise<NatsServer> {
    const port = await freePort();
    const name = cluster?.name ?? 'single';
    let config = readFileSync(fileURLToPath(new URL(`../../../examples/nats/${configFile()}`, import.meta.url)), 'utf8')
      .replace(/^server_name: .*$/m, `server_name: ${name}`)
      .replace(/^listen: .*$/m, `listen: 127.0.0.1:${port}`)
      .replace(/^(\s*)store_dir: .*$/m, `$1store_dir: "${join(dir, `nats-${name}`)}"`);
    config = cluster
      ? config.replace(/^(\s*)name: siem$/m, '$1name: gw').replace(/^(\s*)listen: 0\.0\.0\.0:6222$/m, `$1listen: 127.0.0.1:${cluster.port}`).replace(/^(\s*)routes: \[.*\]$/m, `$1routes: [${cluster.routes.map((route) => `nats://127.0.0.1:${route}`).join(', ')}]`)
      : config.replace(/^cluster \{[\s\S]*?^\}\n/m, '');
    const file = join(dir, `nats-${name}.conf`);
    writeFileSync(file, config);
    const server = new NatsServer(port, ['-c', file]);
    await server.run();
    return server;
  }

  /** Three nodes routed to each other, each with JetStream. */
  static async cluster(dir: string): Promise<NatsServer[]> {
    const routes = [await freePort(), await freePort(), await freePort()];
    const nodes = await Promise.all(routes.map((port, i) => NatsServer.start(dir, { name: `n${i + 1}`, port, routes: routes.filter((other) => other !== port) })));
    // JetStream answers once the cluster has elected its metadata leader.
    const deadline = Date.now() + 30_000;
    while (!nodes.some((node) => /metadata leader/i.test(node.log))) {
      if (Date.now() > deadline) throw new Error(`the NATS cluster elected no JetStream leader:\n${nodes.map((node) => node.log).join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return nodes;
  }

  async run(): Promise<void> {
    this.output = '';
    const child = spawn('nats-server', this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const collect = (chunk: Buffer) => (this.output += chunk.toString('utf8'));
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const deadline = Date.now() + 15_000;
    while (!this.output.includes('Server is ready')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`nats-server did not start:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGKILL, waiting for the process to be gone. */
  kill(): Promise<void> {
    return this.end('SIGKILL');
  }

  stop(): Promise<void> {
    return this.end('SIGTERM');
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  get pid(): number {
    return this.child!.pid!;
  }

  /** SIGKILL without waiting (process exit handlers). */
  killNow(): void {
    this.child?.kill('SIGKILL');
  }

  get log(): string {
    return this.output;
  }
}

/** The README's configuration for the installed nats-server: sync_interval exists from 2.10 on. */
export function configFile(): string {
  const [major = 0, minor = 0] = (/v(\d+)\.(\d+)/.exec(execFileSync('nats-server', ['--version'], { encoding: 'utf8' })) ?? []).slice(1).map(Number);
  return major > 2 || (major === 2 && minor >= 10) ? 'nats-server-2.10.conf' : 'nats-server.conf';
}
