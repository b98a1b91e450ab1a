/**
 * Runs `fn` with `dir` as the working directory (a project's program reads its files relative to it, as under
 * `pulumi up`), and changes back when it settles, failed or not, so the next file a reused test process runs
 * starts where it began (test/isolation.ts lists this file among those that undo their changes).
 */
export async function inDirectory<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const previous = process.cwd();
  process.chdir(dir);
  try {
    return await fn();
  } finally {
    process.chdir(previous);
  }
}
