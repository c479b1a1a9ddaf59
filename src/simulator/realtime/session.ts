/**
 * One realtime WebSocket session: answers client events with the GA server events
 * (`session.updated`, `conversation.item.created`, the response sequence) and reports
 * anything it does not understand as an `error` event, as the real server does.
 */
import type { RawData, WebSocket } from 'ws';
import { objectId } from '../ids.js';
import { textOf } from '../text.js';
import { realtimeReply } from './response.js';
import { realtimeSession } from './session-config.js';

const sessionLifetimeSeconds = 60 * 60;

type ClientEvent = Record<string, unknown> & { type?: unknown; event_id?: unknown };

export interface SessionOptions {
  model: string;
  /** Terminate the socket after this many server events (a `cutStream` fault). */
  cutAfterEvents: number | undefined;
}

export class RealtimeSession {
  readonly #socket: WebSocket;
  readonly #cutAfterEvents: number | undefined;
  #config: Record<string, unknown>;
  #items: Record<string, unknown>[] = [];
  #sentEvents = 0;

  constructor(socket: WebSocket, options: SessionOptions) {
    this.#socket = socket;
    this.#cutAfterEvents = options.cutAfterEvents;
    this.#config = realtimeSession({ model: options.model }, sessionLifetimeSeconds);
    socket.on('message', (data) => this.#receive(rawText(data)));
    this.#send({ type: 'session.created', session: this.#config });
  }

  #receive(data: string): void {
    const event = parseEvent(data);
    if (!event) return this.#error('invalid_json', 'The event is not valid JSON.', null);
    switch (event.type) {
      case 'session.update':
        return this.#updateSession(event);
      case 'conversation.item.create':
        return this.#createItem(event);
      case 'conversation.item.delete':
        return this.#deleteItem(event);
      case 'response.create':
        return this.#respond(event);
      default:
        return this.#error(
          'invalid_value',
          `Unsupported event type '${String(event.type)}'.`,
          event,
        );
    }
  }

  #updateSession(event: ClientEvent): void {
    const session = asRecord(event.session);
    this.#config = {
      ...this.#config,
      ...session,
      id: this.#config.id,
      object: this.#config.object,
    };
    this.#send({ type: 'session.updated', session: this.#config });
  }

  #createItem(event: ClientEvent): void {
    const requested = asRecord(event.item);
    if (!requested.type) return this.#error('missing_required_parameter', "Missing 'item'.", event);
    const item = {
      id: objectId('item_'),
      object: 'realtime.item',
      status: 'completed',
      ...requested,
    };
    const previousItemId = this.#items.at(-1)?.id ?? null;
    this.#items.push(item);
    this.#send({ type: 'conversation.item.created', previous_item_id: previousItemId, item });
  }

  #deleteItem(event: ClientEvent): void {
    const index = this.#items.findIndex((item) => item.id === event.item_id);
    if (index === -1) return this.#error('item_not_found', 'No item with that id.', event);
    this.#items.splice(index, 1);
    this.#send({ type: 'conversation.item.deleted', item_id: event.item_id });
  }

  #respond(event: ClientEvent): void {
    const request = asRecord(event.response);
    const limit = request.max_output_tokens ?? this.#config.max_output_tokens;
    const reply = realtimeReply({
      model: String(this.#config.model),
      history: this.#items.map((item) => textOf(item.content)),
      outputModalities: stringList(request.output_modalities ?? this.#config.output_modalities),
      maxOutputTokens: typeof limit === 'number' ? limit : undefined,
      voice: asRecord(asRecord(asRecord(this.#config.audio).output)).voice ?? 'alloy',
    });
    this.#items.push(reply.item);
    for (const serverEvent of reply.events) this.#send(serverEvent);
  }

  #error(code: string, message: string, event: ClientEvent | null): void {
    const clientEventId = typeof event?.event_id === 'string' ? event.event_id : null;
    this.#send({
      type: 'error',
      error: { type: 'invalid_request_error', code, message, param: null, event_id: clientEventId },
    });
  }

  #send(event: Record<string, unknown>): void {
    if (this.#socket.readyState !== this.#socket.OPEN) return;
    if (this.#sentEvents === this.#cutAfterEvents) return;
    this.#sentEvents += 1;
    const cut = this.#sentEvents === this.#cutAfterEvents;
    // Terminate only once the last allowed event has been written, so the client sees it.
    this.#socket.send(JSON.stringify({ event_id: objectId('event_'), ...event }), () => {
      if (cut) this.#socket.terminate();
    });
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

function parseEvent(data: string): ClientEvent | undefined {
  try {
    const parsed: unknown = JSON.parse(data);
    return typeof parsed === 'object' && parsed !== null ? (parsed as ClientEvent) : undefined;
  } catch {
    return undefined;
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : ['audio'];
}
