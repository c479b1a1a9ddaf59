/**
 * Plausible token counts: about four characters per token, a little overhead per
 * message, and a reply budget that respects the request's output-token cap.
 */
import { composeReply, digest, splitDeltas } from './text.js';

const perMessageTokens = 3;
const replyPrimingTokens = 3;
const refusalMessage = "I'm sorry, but I can't help with that.";

export function countTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Prompt tokens of a conversation: each message's text plus a small framing overhead. */
export function conversationTokens(messages: readonly string[]): number {
  return messages.reduce(
    (total, message) => total + countTokens(message) + perMessageTokens,
    replyPrimingTokens,
  );
}

/** o-series and gpt-5 models think before answering, and bill for it. */
export function isReasoningModel(model: string): boolean {
  return /^(o\d|gpt-5)/.test(model);
}

/** The simulated model refuses any request whose last user turn says "forbidden". */
export function wantsRefusal(lastUserText: string): boolean {
  return /\bforbidden\b/i.test(lastUserText);
}

export interface Completion {
  /** The visible reply, or the refusal message when `refusal` is set. */
  text: string;
  refusal: string | null;
  /** Visible plus reasoning tokens, as OpenAI bills them. */
  outputTokens: number;
  reasoningTokens: number;
  /** True when the output-token cap cut the reply short. */
  truncated: boolean;
}

export interface CompletionRequest {
  prompt: string;
  model: string;
  maxOutputTokens?: number | null | undefined;
  refuse?: boolean;
}

/** The deterministic reply to `prompt`, cut to fit `maxOutputTokens` after reasoning. */
export function complete(request: CompletionRequest): Completion {
  const budget = request.maxOutputTokens ?? Number.POSITIVE_INFINITY;
  const planned = isReasoningModel(request.model) ? plannedReasoningTokens(request.prompt) : 0;
  const reasoningTokens = Math.min(planned, Math.floor(budget / 2));
  const full = request.refuse ? refusalMessage : composeReply(request.prompt);
  const text = fitTokens(full, budget - reasoningTokens);

  return {
    text,
    refusal: request.refuse ? text : null,
    outputTokens: countTokens(text) + reasoningTokens,
    reasoningTokens,
    truncated: text !== full,
  };
}

function plannedReasoningTokens(prompt: string): number {
  return 64 + ((digest('reasoning', prompt)[0] ?? 0) % 8) * 32;
}

function fitTokens(text: string, maxTokens: number): string {
  if (countTokens(text) <= maxTokens) return text;
  let fitted = '';
  for (const delta of splitDeltas(text)) {
    if (countTokens(fitted + delta) > maxTokens) break;
    fitted += delta;
  }
  return fitted;
}
