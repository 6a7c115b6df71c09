// Where tests find their data: test/fixtures/ (committed, always present) and ../shared (the larger data beside
// the repo, absent on a user's clone). A test that truly needs ../shared calls needShared: it skips with a
// one-line reason when the folder is missing, except in CI (CI=true), which has ../shared and must not skip.
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const FIXTURES = join(REPO, 'test', 'fixtures');
export const SHARED = join(REPO, '..', 'shared');

/** A committed fixture: test/fixtures/<parts>. */
export function fixture(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

/** Skips the calling test (ctx.skip) when `../shared/<parts>` is missing outside CI; in CI a missing file fails it. */
export function needShared(ctx: { skip: (note: string) => never }, ...parts: string[]): string {
  const path = join(SHARED, ...parts);
  if (existsSync(path)) return path;
  const shown = relative(REPO, path);
  if (process.env.CI === 'true')
    throw new Error(`${shown} is missing, and CI must run every test: check out the shared data beside the repo`);
  return ctx.skip(`needs ${shown} (the shared data beside the repo; absent here)`);
}
