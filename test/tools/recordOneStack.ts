/**
 * `node tools/launch.mjs test/tools/recordOneStack.ts <stack> <out.json>`: records a committed stack as one
 * program (InferenceBlueprint's composition of both halves, test/harness.ts recordCombinedStack) and
 * writes its resources and outputs as JSON. test/globalSetup.ts runs it once per `vitest run` for the
 * stacks several test files record unedited, so each file does not record the same program again.
 */
import * as fs from "fs";
import { recordCombinedStack } from "../harness";

async function main(argv: string[]): Promise<number> {
  const [stack, out, ...rest] = argv;
  if (!stack || !out || rest.length > 0) {
    process.stderr.write("usage: node tools/launch.mjs test/tools/recordOneStack.ts <stack> <out.json>\n");
    return 2;
  }
  fs.writeFileSync(out, JSON.stringify(await recordCombinedStack(stack)));
  return 0;
}

// The exit code is set, not forced: the process ends once the file and the mock runtime are done.
main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`recording failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 2;
  },
);
