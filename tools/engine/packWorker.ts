import { parentPort } from "worker_threads";
import type { Policies } from "@pulumi/policy";
import * as pack from "../../policies/pack";
import { InputFileError } from "../../lib/inputFile";
import { PackConfigError, PolicyEvaluation } from "../../lib/plan/policy";
import type { PlanResource } from "../../lib/plan/document";
import { openPack, PackSetup } from "./packSession";
import type { PackReply, PackRequest } from "./packThread";

/**
 * The policy pack's side of tools/engine/packThread.ts: a worker thread of the plan's bundle (started
 * through tools/launch.mjs's worker entry) that loads the pack while the main thread loads the SDK,
 * answers the config check before any program runs, evaluates the resource policies on each project's
 * resources while the next program runs, and the rest when the main thread asks for the violations.
 * Requests are handled one at a time, in the order they came.
 */

// Loading the pack and building its policies (which reads the approvers' file) starts at once; a failure
// is the answer to the first request, where the in-process plan would meet it.
let built: { policies: Policies } | { error: unknown };
try {
  built = { policies: pack.buildPolicies() };
} catch (error) {
  built = { error };
}
let evaluation: PolicyEvaluation | undefined;

function failure(err: unknown): PackReply {
  const error = err instanceof Error ? err : new Error(String(err));
  return { kind: "failed", name: error.name, message: error.message, stack: error.stack, input: InputFileError.isInstance(error) || PackConfigError.isInstance(error) };
}

async function handle(request: PackRequest): Promise<PackReply | undefined> {
  switch (request.kind) {
    case "configure": {
      if ("error" in built) throw built.error;
      evaluation = openPack(pack, built.policies, request.setup as PackSetup);
      return { kind: "configured", packName: pack.PACK_NAME };
    }
    case "resources":
      evaluation!.add(request.resources as PlanResource[]);
      // Errors are kept by the evaluation and thrown by finish() where the one-shot evaluation would meet them.
      await evaluation!.evaluateResourcePolicies();
      return undefined;
    case "finish":
      return { kind: "finished", violations: await evaluation!.finish() };
  }
}

let queue: Promise<void> = Promise.resolve();
parentPort!.on("message", (request: PackRequest) => {
  queue = queue.then(async () => {
    let reply: PackReply | undefined;
    try {
      reply = await handle(request);
    } catch (err) {
      reply = failure(err);
    }
    if (reply) parentPort!.postMessage(reply);
  });
});
