/** The kinds of inference server the poller can read, and what a server's status may be: vocabularies the pages read too. */
export const SERVER_KINDS = ['vllm', 'tgi', 'llamacpp', 'ollama', 'openai'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];
export type ServerStatus = 'up' | 'down' | 'disabled';
