/** Base URLs of capped's proxy, one per wire-format family, as agents expect them. */
export interface ProxyEndpoints {
  /** Anthropic-style base: clients append `/v1/messages`. */
  anthropic: string;
  /** OpenAI-style base, version included: clients append `/chat/completions` or `/responses`. */
  openai: string;
  /** OpenAI host without the version: clients append `/v1/...` (goose's OPENAI_HOST). */
  openaiHost: string;
  /** Gemini base: clients append `/v1beta/models/...`. */
  gemini: string;
}

/** The wire format a base URL speaks, which decides how capped meters what goes through it. */
export type Family = 'anthropic' | 'openai' | 'gemini';

/**
 * A base URL the agent's own settings name: capped forwards to it (the upstream) and gives the
 * agent a proxy address in its place.
 */
export interface Route {
  family: Family;
  /** Exactly what the agent would have used; the agent appends the same paths to capped's address. */
  upstream: string;
  /** The setting it came from, for messages (`--openai-base-url`, `provider.x.options.baseURL in /p/opencode.json`). */
  from: string;
}
