import * as pulumi from "@pulumi/pulumi";
import { PlanResource, SECRET_MASK } from "../../lib/plan/document";
import { StackConfigError } from "../../lib/config/validate";
import { PlanMocks, StackReferenceError } from "./mocks";
import { withEngineUrns } from "../../lib/plan/urn";

/**
 * Runs a Pulumi program under the SDK's mock runtime and records every registerResource request
 * whole. The SDK's Mocks.newResource never sees resource options, so the monitor itself is wrapped
 * after setMocks and the protobuf request is read directly.
 */

export interface RecordOptions {
  readonly project: string;
  readonly stack: string;
  /** Config map with namespaced keys ("proj:key") and string values, as Pulumi passes it. */
  readonly config?: Record<string, string>;
  readonly secretKeys?: readonly string[];
  /**
   * Capture stack traces while the program runs. The SDK records one on every promise it creates
   * (runtime/debuggable.js, for its leak report) and on every resource (source position); with
   * source maps that is about three quarters of the plan's time. A failed fast run should be
   * repeated with stacks on to report where it failed. @default true
   */
  readonly captureStacks?: boolean;
  /** Outputs of stacks planned earlier in the run, for StackReferences ("<project>/<stack>" -> outputs). @default none */
  readonly stackOutputs?: ReadonlyMap<string, Record<string, unknown>>;
}

export interface RecordedRun {
  readonly resources: PlanResource[];
  readonly outputs: Record<string, unknown>;
}

// Signature keys from @pulumi/pulumi runtime/rpc.ts: a secret travels as { [sig]: secretSig, value }.
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";

/** Masks secrets and flattens resource references to their URN so the record is plain JSON. */
export function toPlainValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPlainValue);
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SIG_KEY] === SECRET_SIG) return SECRET_MASK;
    if (obj[SIG_KEY] === RESOURCE_SIG) return obj.urn;
    if (pulumi.Resource.isInstance(value)) return "[resource]";
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = toPlainValue(v);
    return out;
  }
  return value;
}

const DURATION_UNITS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };

/**
 * Seconds in a Go duration string ("10m", "1h30m", "90s"), the form `customTimeouts` takes and the
 * engine parses (time.ParseDuration); "" is 0, the provider's default. Anything else is an error.
 */
export function durationSeconds(text: string): number {
  if (text === "") return 0;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) throw new Error(`customTimeouts value "${text}" is not a duration like "90s", "20m" or "1h30m"`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * DURATION_UNITS[p[2]], 0);
}

function stripProviderId(ref: string): string | undefined {
  if (!ref) return undefined;
  const at = ref.lastIndexOf("::");
  return at > 0 ? ref.slice(0, at) : ref;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProvider(): string;
  getObject(): unknown;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getIgnorechangesList(): string[];
  getDependenciesList(): string[];
  getDeletebeforereplace(): boolean;
  getAliasesList(): { toObject(): unknown }[];
  getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
  getPropertydependenciesMap(): { entries(): Iterable<[string, { getUrnsList(): string[] }]> } | undefined;
}
interface RegisterResponse {
  getUrn(): string;
}
type Callback<T> = (err: Error | null, resp?: T) => void;
interface ReadRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvider(): string;
  getId(): string;
  getDependenciesList(): string[];
}
interface MonitorLike {
  registerResource(req: RegisterRequest, cb: Callback<RegisterResponse>): Promise<void>;
  readResource(req: ReadRequest, cb: Callback<RegisterResponse>): Promise<void>;
  registerResourceOutputs(req: { getUrn(): string; getOutputs(): unknown }, cb: Callback<unknown>): void;
}

export async function recordProgram(program: () => unknown, opts: RecordOptions): Promise<RecordedRun> {
  pulumi.runtime.setAllConfig({ ...(opts.config ?? {}) }, [...(opts.secretKeys ?? [])]);
  await pulumi.runtime.setMocks(new PlanMocks(opts.stackOutputs), opts.project, opts.stack, false);

  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorLike;
  const resources: PlanResource[] = [];
  const byUrn = new Map<string, PlanResource>();
  const failures: Error[] = [];
  const register = monitor.registerResource.bind(monitor);
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);

  /** Records what a request produced once the mock monitor answered it; a failure is kept for the end. */
  const recorded =
    <Req extends { getType(): string; getName(): string }>(what: string, req: Req, build: (req: Req, urn: string) => PlanResource, cb: Callback<RegisterResponse>) =>
    (err: Error | null, resp?: RegisterResponse) => {
      if (err || !resp) {
        failures.push(err ?? new Error(`${what} ${req.getType()} ${req.getName()} returned nothing`));
      } else {
        const record = build(req, resp.getUrn());
        resources.push(record);
        byUrn.set(record.urn, record);
      }
      cb(err, resp);
    };

  monitor.registerResource = (req, cb) =>
    register(
      req,
      recorded("registerResource", req, (req, urn) => {
        const inputs = pulumi.runtime.deserializeProperties(req.getObject() as never);
        return {
          urn,
          type: req.getType(),
          name: req.getName(),
          parent: req.getParent() || undefined,
          provider: stripProviderId(req.getProvider()),
          custom: req.getCustom(),
          propertyDependencies: Object.fromEntries([...(req.getPropertydependenciesMap()?.entries() ?? [])].map(([k, v]) => [k, v.getUrnsList()])),
          inputs: toPlainValue(inputs) as Record<string, unknown>,
          options: {
            protect: req.getProtect() === true,
            retainOnDelete: req.getRetainondelete() === true,
            ignoreChanges: req.getIgnorechangesList(),
            dependsOn: req.getDependenciesList(),
            deleteBeforeReplace: req.getDeletebeforereplace(),
            aliases: req.getAliasesList().map((a) => a.toObject()),
            customTimeouts: {
              createSeconds: durationSeconds(req.getCustomtimeouts()?.getCreate() ?? ""),
              updateSeconds: durationSeconds(req.getCustomtimeouts()?.getUpdate() ?? ""),
              deleteSeconds: durationSeconds(req.getCustomtimeouts()?.getDelete() ?? ""),
            },
          },
        };
      }, cb),
    );

  // Reads (a StackReference is one) are recorded too, so the plan shows what a stack reads from another.
  const read = monitor.readResource.bind(monitor);
  monitor.readResource = (req, cb) =>
    read(
      req,
      recorded(
        "readResource",
        req,
        (req, urn) => ({
          urn,
          type: req.getType(),
          name: req.getName(),
          parent: req.getParent() || undefined,
          provider: stripProviderId(req.getProvider()),
          custom: true,
          read: { id: req.getId() },
          // What the engine passes analyzers for a read: the id it reads (a StackReference's `name` is its id).
          inputs: req.getType() === "pulumi:pulumi:StackReference" ? { name: req.getId() } : {},
          options: { protect: false, retainOnDelete: false, ignoreChanges: [], dependsOn: req.getDependenciesList(), deleteBeforeReplace: false, aliases: [] },
        }),
        cb,
      ),
    );

  monitor.registerResourceOutputs = (req, cb) => {
    const record = byUrn.get(req.getUrn());
    if (record && !record.custom) {
      record.outputs = toPlainValue(pulumi.runtime.deserializeProperties(req.getOutputs() as never)) as Record<string, unknown>;
    }
    registerOutputs(req, cb);
  };

  let outputs: Record<string, unknown>;
  // A program that throws is caught here and its error thrown once the run is drained: let through, it would also
  // reject promises the SDK derives from the stack's outputs and nobody awaits (unhandled rejections, twice per failed
  // program in @pulumi/pulumi 3.248.0), which end a test process or would need ignoring in the plan's.
  let programFailure: { readonly error: unknown } | undefined;
  const stackTraceLimit = Error.stackTraceLimit;
  if (opts.captureStacks === false) Error.stackTraceLimit = 0;
  try {
    outputs = (await pulumi.runtime.runInPulumiStack(async () => {
      try {
        return await program();
      } catch (error) {
        programFailure = { error };
        return {};
      }
    })) as Record<string, unknown>;
  } finally {
    // Registrations still in flight finish inside disconnect() (a third of serving's): no stacks there either.
    try {
      await pulumi.runtime.disconnect();
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
  }
  if (programFailure) throw programFailure.error;
  if (failures.length > 0) throw failures[0];
  return { resources: withEngineUrns(resources, opts.stack, opts.project), outputs: (toPlainValue(outputs ?? {}) as Record<string, unknown>) ?? {} };
}

/**
 * recordProgram as the plan runs the projects' programs: without stack traces while the program runs (the record
 * holds none, and capturing them is most of a recording's CPU: prod as one program in a vitest fork, 2026-11-26,
 * 9.0-12.1 s with, 2.2-3.5 s without). A program that fails other than on its config (a StackConfigError names the
 * key, a StackReferenceError the reference) is deterministic, so it runs once more with stack traces and that run's
 * error, which says where, is the one thrown.
 */
export async function recordWithoutStacks(program: () => unknown, opts: Omit<RecordOptions, "captureStacks">): Promise<RecordedRun> {
  try {
    return await recordProgram(program, { ...opts, captureStacks: false });
  } catch (err) {
    if (StackConfigError.isInstance(err) || StackReferenceError.isInstance(err)) throw err;
    await recordProgram(program, { ...opts, captureStacks: true });
    throw err;
  }
}
