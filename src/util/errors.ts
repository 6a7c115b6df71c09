// Typed errors thrown by library code; only entry scripts print them (with the hint) and exit non-zero.

export class NanometaError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = new.target.name;
  }
}
export class ConfigError extends NanometaError {}
export class DataError extends NanometaError {}
export class CheckpointError extends NanometaError {}
export class BackendError extends NanometaError {}
export class TrainingError extends NanometaError {}
/** The sweep queue: Redis unreachable past the grace period. */
export class QueueError extends NanometaError {}

/** Formats any thrown value for a user: message, then the hint on its own line. */
export function formatError(err: unknown): string {
  if (err instanceof NanometaError) return `${err.name}: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}`;
  if (err instanceof Error) return `${err.name}: ${err.message}\n${err.stack ?? ''}`;
  return String(err);
}

/** Entry-script wrapper: runs main, prints typed errors without a stack trace, sets the exit code. */
export async function runMain(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    console.error(formatError(err));
    process.exitCode = 1;
  }
}
