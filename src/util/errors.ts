// Typed errors thrown by library code; only entry scripts print them (with the hint) and exit non-zero.

export class NanometaError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
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

/**
 * Formats any thrown value for a user: typed errors as message + hint; a file-system error (ENOSPC, EACCES, ...)
 * as one line naming the path; anything else is a bug, shown once with its stack (which starts with the message).
 */
export function formatError(err: unknown): string {
  if (err instanceof NanometaError) return `${err.name}: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}`;
  const sys = err as NodeJS.ErrnoException;
  if (err instanceof Error && typeof sys.code === 'string' && typeof sys.syscall === 'string')
    return `error: ${sys.message}${SYSTEM_HINTS[sys.code] ? `\n  hint: ${SYSTEM_HINTS[sys.code]}` : ''}`;
  if (err instanceof Error)
    return err.stack?.includes(err.message) ? err.stack : `${err.name}: ${err.message}\n${err.stack ?? ''}`;
  return String(err);
}

const SYSTEM_HINTS: Record<string, string> = {
  ENOSPC: 'the disk is full: free space there (df -h), or use a folder on another disk',
  EDQUOT: 'the disk quota is used up: free space there, or use a folder on another disk',
  EACCES: 'no permission: choose a folder you can write to (--out, data.cacheDir)',
  EROFS: 'a read-only file system: choose a writable folder (--out, data.cacheDir)',
  ENOENT: 'check the path',
};

/** Entry-script wrapper: runs main, prints typed errors without a stack trace, sets the exit code. */
export async function runMain(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    console.error(formatError(err));
    process.exitCode = 1;
  }
}
