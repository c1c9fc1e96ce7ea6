// The one error that stops the start, whether a setting is malformed (config.ts) or a
// backing service cannot be reached (server.ts). main.ts prints its message as the whole
// report, so the message names the variable to fix and never quotes a secret.

export class StartupError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'StartupError';
  }
}
