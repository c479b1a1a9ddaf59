/** Starts and stops the simulator: the Hono app on a Node HTTP server, plus realtime upgrades. */
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { createApp } from './app.js';
import { attachRealtime, type RealtimeEndpoint } from './realtime/upgrade.js';
import { SimulatorState } from './state.js';
import type { Simulator, SimulatorOptions } from './types.js';

/**
 * Starts an OpenAI-compatible server, on 127.0.0.1 and an ephemeral port by default,
 * that the official `openai` SDK can use unchanged.
 *
 * @throws Error when an option is invalid, or when the port cannot be bound.
 * @example
 * const sim = await startSimulator({
 *   faults: [{ path: '/v1/embeddings', times: 1, fault: { status: 503 } }],
 * });
 * const client = new OpenAI({ apiKey: 'sk-test', baseURL: sim.baseURL });
 * const response = await client.responses.create({ model: 'gpt-5', input: 'Hello' });
 * console.log(response.output_text, sim.requests.at(-1)?.statusCode);
 * await sim.close();
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  checkOptions(options);
  const state = new SimulatorState(options);
  const host = options.host ?? '127.0.0.1';
  const server = createAdaptorServer({
    fetch: createApp(state).fetch,
    hostname: host,
    // The simulator shares a process with the SDK under test; leave its globals alone.
    overrideGlobalObjects: false,
  }) as Server;
  const sockets = trackSockets(server);
  const realtime = attachRealtime(server, state);

  await listen(server, options.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  state.log('simulator.listening', { url });

  let closing: Promise<void> | undefined;
  return {
    url,
    baseURL: `${url}/v1`,
    port,
    get requests() {
      return state.journal;
    },
    injectFault: (rule) => state.faults.add(rule),
    clearFaults: () => state.faults.clear(),
    close: () => (closing ??= closeServer(server, sockets, realtime)),
  };
}

function checkOptions(options: SimulatorOptions): void {
  const { port, videoStepsToComplete: steps, keys = [] } = options;
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535)) {
    throw new Error(`Simulator option "port" must be an integer from 0 to 65535, got ${port}.`);
  }
  if (steps !== undefined && !(Number.isInteger(steps) && steps >= 1)) {
    throw new Error(
      `Simulator option "videoStepsToComplete" must be a positive integer, got ${steps}.`,
    );
  }
  if (keys.some((entry) => !entry.key)) {
    throw new Error('Simulator option "keys" has an entry without a "key".');
  }
}

function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

/** Pending connections the kernel may queue: load tests open a thousand at once. */
const LISTEN_BACKLOG = 4_096;

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, LISTEN_BACKLOG, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Stops accepting, then ends every session and socket now instead of waiting for idle ones. */
function closeServer(server: Server, sockets: Set<Socket>, realtime: RealtimeEndpoint) {
  return new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    realtime.close();
    for (const socket of sockets) socket.destroy();
  });
}
