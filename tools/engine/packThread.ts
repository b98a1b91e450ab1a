import { Worker } from "worker_threads";
import type { PlanResource, PolicyViolation } from "../../lib/plan/document";
import type { PackEvaluator, PackSetup } from "./packSession";

/**
 * The policy pack evaluated in a worker thread (tools/engine/packWorker.ts), so that its modules load
 * while the main thread loads the SDK and its resource policies run on platform's resources while
 * serving's program runs. Only the CLI's bundle uses it: tools/launch.mjs gives each bundle a worker
 * entry (see bundleWorkers); elsewhere the pack is evaluated in-process (tools/engine/packSession.ts).
 */

/** The worker module, as tools/launch.mjs lists it for the plan's bundle. */
export const PACK_WORKER_MODULE = "tools/engine/packWorker.ts";

export type PackRequest =
  | { readonly kind: "configure"; readonly setup: PackSetup }
  | { readonly kind: "resources"; readonly resources: readonly PlanResource[] }
  | { readonly kind: "finish" };

export type PackReply =
  | { readonly kind: "configured"; readonly packName: string }
  | { readonly kind: "finished"; readonly violations: PolicyViolation[] }
  /** `input`: the pack config or the approvers' file is bad (InputFileError, PackConfigError): exit 2 with the message. */
  | { readonly kind: "failed"; readonly name: string; readonly message: string; readonly stack?: string; readonly input: boolean };

/** A bad input file the worker found: printed as its message, exit 2, as the plan reports its in-process twin. */
export class PackInputError extends Error {
  readonly exitCode = 2;
}

/** What tools/launch.mjs tells a bundle about itself (globalThis[BUNDLE_KEY]). */
interface BundleInfo {
  readonly file: string;
  readonly workers: readonly string[];
  readonly workerDataKey: string;
}
const BUNDLE_KEY = "__llmBlueprintBundle";

/** The bundle this process runs from, when it offers the pack worker; undefined under tsx or vitest. */
export function packWorkerBundle(): BundleInfo | undefined {
  const info = (globalThis as Record<string, unknown>)[BUNDLE_KEY] as BundleInfo | undefined;
  return info?.workers.includes(PACK_WORKER_MODULE) ? info : undefined;
}

/**
 * Starts the worker at once (it loads the pack while the caller loads the SDK). The worker holds the
 * process open only while a reply is awaited, so a plan that fails in a program still ends as before.
 */
export function startPackWorker(bundle: BundleInfo): PackEvaluator {
  const worker = new Worker(bundle.file, { workerData: { [bundle.workerDataKey]: PACK_WORKER_MODULE } });
  worker.unref();
  const waiting: { resolve: (reply: PackReply) => void; reject: (err: Error) => void }[] = [];
  let broken: Error | undefined;
  const fail = (err: Error) => {
    broken ??= err;
    for (const w of waiting.splice(0)) w.reject(err);
    worker.unref();
  };
  worker.on("message", (reply: PackReply) => {
    waiting.shift()?.resolve(reply);
    if (waiting.length === 0) worker.unref();
  });
  worker.on("error", fail);
  worker.on("exit", (code) => fail(new Error(`the policy pack's worker thread stopped (exit code ${code})`)));
  const ask = (request: PackRequest): Promise<PackReply> => {
    if (broken) return Promise.reject(broken);
    worker.ref();
    const reply = new Promise<PackReply>((resolve, reject) => waiting.push({ resolve, reject }));
    worker.postMessage(request);
    return reply;
  };
  /** The worker's failure, thrown as the in-process evaluation would have thrown it. */
  const thrown = (reply: Extract<PackReply, { kind: "failed" }>): Error => {
    if (reply.input) return new PackInputError(reply.message);
    const err = new Error(reply.message);
    err.name = reply.name;
    if (reply.stack) err.stack = reply.stack;
    return err;
  };
  return {
    async configure(setup) {
      const reply = await ask({ kind: "configure", setup });
      if (reply.kind === "failed") throw thrown(reply);
      if (reply.kind !== "configured") throw new Error(`the policy pack's worker answered ${reply.kind} to configure`);
      return { packName: reply.packName };
    },
    add(resources) {
      if (!broken) worker.postMessage({ kind: "resources", resources } satisfies PackRequest);
    },
    async finish() {
      const reply = await ask({ kind: "finish" });
      if (reply.kind === "failed") throw thrown(reply);
      if (reply.kind !== "finished") throw new Error(`the policy pack's worker answered ${reply.kind} to finish`);
      return reply.violations;
    },
    close() {
      broken ??= new Error("the policy pack's worker thread was closed");
      void worker.terminate();
    },
  };
}
