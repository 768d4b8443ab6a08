// A real nats-server (Debian's package) with JetStream on a free loopback port and a store in the
// test's directory; alone or as one node of a cluster. Restartable on the same port and store.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
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

  /** One server, or with `cluster` one node of the cluster whose route ports are given. */
  static async start(dir: string, cluster?: { name: string; port: number; routes: number[] }): Promise<NatsServer> {
    const port = await freePort();
    const args = ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', join(dir, `nats-${cluster?.name ?? 'single'}`)];
    if (cluster) {
      args.push('--server_name', cluster.name, '--cluster_name', 'gw', '--cluster', `nats://127.0.0.1:${cluster.port}`, '--routes', cluster.routes.map((route) => `nats://127.0.0.1:${route}`).join(','));
    }
    const server = new NatsServer(port, args);
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
