/** The Hono environment every simulator route runs in, and small helpers on its context. */
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import type { Caller } from './auth.js';
import type { FaultSpec, SimulatedRequest } from './types.js';

export interface SimVariables {
  record: SimulatedRequest;
  fault: FaultSpec | undefined;
  caller: Caller | undefined;
  /** The JSON object or multipart fields (files as `File`); empty when there is no body. */
  body: Record<string, unknown>;
}

export interface SimEnv {
  Bindings: HttpBindings;
  Variables: SimVariables;
}

export type SimContext = Context<SimEnv>;

/** Records the model a request concerns, for the journal and the debug endpoint. */
export function noteModel(c: SimContext, model: string | undefined): void {
  if (model) c.get('record').model = model;
}

export function noteRefusal(c: SimContext, refusal: string | null): void {
  c.get('record').refusal = refusal;
}
