// A real Redis for queue tests: Debian's redis-server on 127.0.0.1 and a free port, persistence off,
// stopped by the test's afterAll. .ci/run installs the package; without it the Redis tests are skipped
// with a message (as the WebGPU tests are without Mesa).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface RedisServer {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** False where Debian's redis-server is not installed (the queue tests that need it say so and skip). */
export const HAVE_REDIS = !spawnSync('redis-server', ['--version']).error;
if (!HAVE_REDIS)
  console.warn(
    'redis-server not found: queue tests that need Redis are skipped (apt-get install redis-server, as .ci/run does)',
  );

/** A port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts redis-server (on `port`, or a free one) and resolves once it accepts connections. */
export async function startRedis(port?: number): Promise<RedisServer> {
  const p = port ?? (await freePort());
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
  });
  child.removeAllListeners('exit');
  return {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
