/**
 * The realtime WebSocket endpoint, `GET /v1/realtime?model=…`. The upgrade is checked
 * like any request (faults, bearer key or ephemeral `ek_` key, model) and refused with
 * an HTTP error before any WebSocket handshake; accepted sessions are journaled as 101.
 */
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { authenticate, type Caller } from '../auth.js';
import { faultError, HttpError } from '../errors.js';
import { cutAfterEvents, faultHeader, resolveFault, waitLatency } from '../faults.js';
import { openAIHeaders } from '../headers.js';
import { createRecord, headerRecord } from '../journal.js';
import type { SimulatorState } from '../state.js';
import type { FaultSpec, SimulatedRequest } from '../types.js';
import { RealtimeSession } from './session.js';

const realtimePath = '/v1/realtime';

interface Upgrade {
  request: IncomingMessage;
  socket: Duplex;
  head: Buffer;
}

interface Admission {
  caller: Caller;
  model: string;
  fault: FaultSpec | undefined;
}

export interface RealtimeEndpoint {
  /** Terminates every open session. */
  close(): void;
}

export function attachRealtime(server: Server, state: SimulatorState): RealtimeEndpoint {
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    void handleUpgrade(state, wss, { request, socket, head });
  });
  return {
    close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
    },
  };
}

async function handleUpgrade(state: SimulatorState, wss: WebSocketServer, upgrade: Upgrade) {
  const url = new URL(upgrade.request.url ?? '/', 'http://simulator');
  const headers = headerRecord(upgrade.request.headers);
  const record = createRecord('GET', url.pathname, headers);
  record.model = url.searchParams.get('model') ?? undefined;
  state.remember(record);
  upgrade.socket.on('error', () => upgrade.socket.destroy());

  try {
    const fault = resolveFault(state.faults, 'GET', url.pathname, headers[faultHeader]);
    await waitLatency(fault);
    if (fault?.drop) {
      upgrade.socket.destroy();
      return;
    }
    const admission = admit(state, record, url.pathname, fault);
    accept(state, wss, upgrade, record, admission);
  } catch (error) {
    const failure = error instanceof HttpError ? error : new HttpError(500, 'Upgrade failed.');
    refuse(state, record, upgrade.socket, failure);
  }
}

function admit(
  state: SimulatorState,
  record: SimulatedRequest,
  path: string,
  fault: FaultSpec | undefined,
): Admission {
  if (path !== realtimePath) throw new HttpError(404, `Invalid URL (GET ${path})`);
  const caller = authenticate(state.realtimeKeyRing, record.apiKey, record.organization);
  if (fault?.status) throw faultError(fault.status);
  if (!record.model) {
    throw new HttpError(400, "Missing required parameter: 'model'.", {
      param: 'model',
      code: 'missing_required_parameter',
    });
  }
  return { caller, model: record.model, fault };
}

function accept(
  state: SimulatorState,
  wss: WebSocketServer,
  upgrade: Upgrade,
  record: SimulatedRequest,
  admission: Admission,
): void {
  const stamp = (lines: string[], request: IncomingMessage) => {
    if (request === upgrade.request) lines.push(...headerLines(state, record, admission.caller));
  };
  wss.on('headers', stamp);
  try {
    wss.handleUpgrade(upgrade.request, upgrade.socket, upgrade.head, (socket) => {
      record.statusCode = 101;
      state.logRequest(record);
      new RealtimeSession(socket, {
        model: admission.model,
        cutAfterEvents: cutAfterEvents(admission.fault),
      });
    });
  } finally {
    // ws emits `headers` synchronously inside handleUpgrade, so the listener is done here.
    wss.off('headers', stamp);
  }
}

function refuse(
  state: SimulatorState,
  record: SimulatedRequest,
  socket: Duplex,
  failure: HttpError,
): void {
  record.statusCode = failure.status;
  const body = JSON.stringify(failure.body);
  const lines = [
    `HTTP/1.1 ${failure.status} ${STATUS_CODES[failure.status] ?? 'Error'}`,
    'content-type: application/json',
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
    ...headerLines(state, record, undefined),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  state.logRequest(record);
}

function headerLines(state: SimulatorState, record: SimulatedRequest, caller?: Caller): string[] {
  return Object.entries(openAIHeaders(state, record, caller, 0)).map(
    ([name, value]) => `${name}: ${value}`,
  );
}
