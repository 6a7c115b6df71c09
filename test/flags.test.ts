// src/flags.ts: every NANOMETA_* switch validated from the environment, forced by tests, listed for config.json.
import { afterEach, describe, expect, it } from 'vitest';
import { describeFlags, flag, resolveFlags, setFlag } from '../src/flags.js';
import { ConfigError } from '../src/util/errors.js';

const VARS = ['NANOMETA_ATTENTION', 'NANOMETA_TOKENIZE_WORKERS', 'NANOMETA_WEBGPU_PROFILE', 'NANOMETA_GEMM_PLAN'];
const saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));

describe('flags', () => {
  afterEach(() => {
    for (const v of VARS) {
      if (saved[v] === undefined) delete process.env[v];
      else process.env[v] = saved[v];
    }
    setFlag('attention', null);
  });

  it('reads a flag from its variable, defaults when unset, and a forced value wins', () => {
    delete process.env.NANOMETA_ATTENTION;
    expect(flag('attention')).toBe('fused');
    process.env.NANOMETA_ATTENTION = 'matmul';
    expect(flag('attention')).toBe('matmul');
    setFlag('attention', 'fused');
    expect(flag('attention')).toBe('fused');
    setFlag('attention', null);
    expect(flag('attention')).toBe('matmul');
    process.env.NANOMETA_TOKENIZE_WORKERS = '3';
    expect(flag('tokenizeWorkers')).toBe(3);
    process.env.NANOMETA_WEBGPU_PROFILE = 'true';
    expect(flag('webgpuProfile')).toBe(true);
  });

  it('names the variable, the bad value and the choices on a typo', () => {
    process.env.NANOMETA_ATTENTION = 'flash';
    expect(() => flag('attention')).toThrow(ConfigError);
    expect(() => flag('attention')).toThrow(/NANOMETA_ATTENTION=flash/);
    try {
      flag('attention');
    } catch (e) {
      expect((e as ConfigError).hint).toMatch(/fused or matmul/);
    }
    process.env.NANOMETA_ATTENTION = 'fused';
    process.env.NANOMETA_TOKENIZE_WORKERS = 'four';
    expect(() => resolveFlags()).toThrow(/NANOMETA_TOKENIZE_WORKERS=four/);
  });

  it('refuses a NANOMETA_* variable that is not a flag (a removed switch would otherwise be ignored silently)', () => {
    process.env.NANOMETA_GEMM_PLAN = 'square';
    expect(() => resolveFlags()).toThrow(/NANOMETA_GEMM_PLAN is not a nanometa flag/);
    delete process.env.NANOMETA_GEMM_PLAN;
    process.env.NANOMETA_QUEUE = 'redis://127.0.0.1:1'; // a sweep machine's --queue default, inherited by train.ts
    try {
      expect(resolveFlags().attention).toBe('fused');
    } finally {
      delete process.env.NANOMETA_QUEUE;
    }
  });

  it('lists every flag with its value for the log and config.json', () => {
    delete process.env.NANOMETA_ATTENTION;
    delete process.env.NANOMETA_GEMM_PLAN;
    process.env.NANOMETA_TOKENIZE_WORKERS = '2';
    const flags = resolveFlags();
    expect(flags).toMatchObject({ attention: 'fused', linear: 'fused', optimStep: 'in-place', tokenizeWorkers: 2 });
    expect(describeFlags(flags)).toMatch(/^flags: attention=fused linear=fused .*tokenizeWorkers=2$/);
  });
});
