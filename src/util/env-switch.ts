// A choice between implementations of one step (e.g. a fused kernel or the stock ops it replaced): set from an
// environment variable for benchmarks on a GPU, forced by tests; an unknown value is a ConfigError naming the choices.
import { ConfigError } from './errors.js';

export interface Switch<T extends string> {
  /** The forced choice, else the environment's, else the default. */
  get(): T;
  /** Forces a choice (tests, benchmarks); null returns to the environment/default. */
  force(choice: T | null): void;
}

export function envSwitch<T extends string>(envName: string, what: string, choices: readonly T[], fallback: T): Switch<T> {
  let forced: T | null = null;
  return {
    get() {
      if (forced) return forced;
      const env = process.env[envName];
      if (!env) return fallback;
      if ((choices as readonly string[]).includes(env)) return env as T;
      throw new ConfigError(`${envName}=${env} is not ${what}`, `set ${choices.map((c) => `${envName}=${c}`).join(' or ')}, or unset it`);
    },
    force(choice) {
      forced = choice;
    },
  };
}
