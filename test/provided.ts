import { inject, type ProvidedContext } from "vitest";

/** What test/globalSetup.ts provided under `key`, or undefined outside a vitest worker (a tool run by node). */
export function provided<K extends keyof ProvidedContext>(key: K): ProvidedContext[K] | undefined {
  try {
    return inject(key);
  } catch {
    return undefined; // not inside a vitest worker
  }
}
