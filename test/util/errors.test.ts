// What an entry script prints for an error: typed errors without a stack, file-system errors as one line with the
// path, anything else (a bug) once, with its stack.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { CheckpointError, formatError } from '../../src/util/errors.js';

describe('formatError', () => {
  it('typed errors: message and hint, no stack', () => {
    expect(formatError(new CheckpointError('bad thing in x/state.json', 'do y'))).toBe(
      'CheckpointError: bad thing in x/state.json\n  hint: do y',
    );
  });

  it('file-system errors: one line with the path and what to do', () => {
    let err: unknown;
    try {
      writeFileSync('/dev/full', 'x');
    } catch (e) {
      err = e;
    }
    expect(formatError(err)).toBe(
      'error: ENOSPC: no space left on device, write\n  hint: the disk is full: free space there (df -h), or use a folder on another disk',
    );
    try {
      writeFileSync('/nonexistent-dir/x', 'x');
    } catch (e) {
      err = e;
    }
    expect(formatError(err)).toBe(
      "error: ENOENT: no such file or directory, open '/nonexistent-dir/x'\n  hint: check the path",
    );
  });

  it('other errors: the message once, then the stack', () => {
    const text = formatError(new RangeError('Invalid typed array length: 6400000000'));
    expect(text.match(/Invalid typed array length/g)).toHaveLength(1);
    expect(text).toMatch(/^RangeError: Invalid typed array length: 6400000000\n {4}at /);
  });
});
