import { planNow } from "../clock";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import * as path from "path";
import { capacityBlockIssues } from "../capacity";
import { readCatalog } from "../catalog";
import { nearest } from "../nearest";
import { crossCheckIssues, resolveDefaults, StackConfig, stackConfigSchema } from "./schema";
import { resolveServing } from "./serving";
import { endpointIssues, sloIssues, trafficIssues, trafficServingIssues } from "./traffic";

/** One thing wrong with a stack file: where, and what (including what is allowed). */
export interface ConfigProblem {
  /** Key path as written in the stack file, e.g. `llm-blueprint:regions[1].gpuPools[0].instanceType`. */
  readonly path: string;
  readonly message: string;
}

/**
 * Raised before any resource exists when the stack config is invalid. A RunError, so `pulumi up`
 * prints the message without a stack trace; the offline plan maps it to exit code 2.
 */
export class StackConfigError extends pulumi.RunError {
  readonly exitCode = 2;
  constructor(
    readonly stackFile: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(formatProblems(stackFile, problems));
    this.name = "StackConfigError";
  }

  static isInstance(err: unknown): err is StackConfigError {
    return err instanceof Error && err.name === "StackConfigError" && Array.isArray((err as StackConfigError).problems);
  }
}

export function formatProblems(stackFile: string, problems: readonly ConfigProblem[]): string {
  const n = problems.length;
  return [
    `Invalid stack configuration in ${stackFile} (${n} problem${n === 1 ? "" : "s"}):`,
    ...problems.map((p) => `  - ${p.path}: ${p.message}`),
  ].join("\n");
}

function keyPath(namespace: string, path: readonly PropertyKey[]): string {
  if (path.length === 0) return `${namespace}:<root>`;
  let out = `${namespace}:${String(path[0])}`;
  for (const seg of path.slice(1)) out += typeof seg === "number" ? `[${seg}]` : `.${String(seg)}`;
  return out;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  return `${typeof value} ${JSON.stringify(value)}`;
}

function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type") {
    if (issue.input === undefined) return `is required (expected ${issue.expected})`;
    return `expected ${issue.expected}, got ${describe(issue.input)}`;
  }
  return issue.message;
}

/**
 * Config namespaces a stack file may use besides the project's own: Pulumi's (e.g.
 * pulumi:disable-default-providers) and the providers this program depends on (package.json). A key
 * in any other namespace is read by nobody, so it is an error: a misspelt project namespace would
 * otherwise drop a whole section back to its defaults.
 */
/** The repository root: lib/config/ is two levels below it. */
export const BLUEPRINT_ROOT = path.resolve(__dirname, "..", "..");

export const KNOWN_CONFIG_NAMESPACES = ["pulumi", "aws", "kubernetes", "random"] as const;

/** Keys of the whole stack config (`<namespace>:<key>`) that nothing reads, with the nearest valid name. */
export function foreignKeyProblems(keys: readonly string[], namespace: string, projectKeys: readonly string[] = Object.keys(stackConfigSchema.shape)): ConfigProblem[] {
  const namespaces = [namespace, ...KNOWN_CONFIG_NAMESPACES];
  const problems: ConfigProblem[] = [];
  for (const key of keys) {
    const sep = key.indexOf(":");
    const ns = sep < 0 ? namespace : key.slice(0, sep);
    if (namespaces.includes(ns)) continue;
    const name = key.slice(sep + 1);
    const nearNs = nearest(ns, namespaces);
    const suggestion = nearNs === namespace ? `${namespace}:${nearest(name, projectKeys) ?? name}` : nearNs ? `${nearNs}:${name}` : undefined;
    problems.push({
      path: key,
      message: `"${ns}" is not a config namespace anything reads${suggestion ? ` (did you mean "${suggestion}"?)` : ""}; allowed namespaces: ${namespaces.join(", ")}`,
    });
  }
  return problems;
}

/**
 * Validates raw stack config (keys without namespace) and resolves defaults.
 * @throws StackConfigError listing every problem at once.
 */
export function parseStackConfig(raw: unknown, opts: { namespace: string; stackFile: string; projectDir?: string; now?: number }): StackConfig {
  const result = stackConfigSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    const problems = result.error.issues.map((issue) => ({ path: keyPath(opts.namespace, issue.path), message: messageOf(issue) }));
    // zod skips whole-object refinements once a key fails; run the cross-key rules on the raw input
    // so one run reports everything.
    for (const issue of [...crossCheckIssues(raw), ...trafficIssues(raw)]) {
      const problem = { path: keyPath(opts.namespace, issue.path), message: issue.message };
      if (!problems.some((p) => p.path === problem.path && p.message === problem.message)) problems.push(problem);
    }
    problems.sort((a, b) => a.path.localeCompare(b.path, "en", { numeric: true }));
    throw new StackConfigError(opts.stackFile, problems);
  }
  const cfg = resolveDefaults(result.data);
  // Capacity Block windows against the plan's clock (an input, so tests and replays are deterministic).
  const now = opts.now ?? planNow();
  const ended = capacityBlockIssues(cfg.regions, now).errors;
  if (ended.length > 0) throw new StackConfigError(opts.stackFile, ended.map((i) => ({ path: keyPath(opts.namespace, i.path), message: i.message })));
  const serving = result.data.serving;
  if (!serving) return withTraffic(cfg, opts);

  // Served models are checked against the catalog and the pools before anything exists.
  // Relative to the blueprint's root (models/ sits beside platform/ and serving/), wherever the program runs from.
  const catalogPath = path.resolve(opts.projectDir ?? BLUEPRINT_ROOT, serving.catalogFile);
  const { catalog, problems: catalogProblems } = readCatalog(catalogPath);
  if (!catalog) {
    throw new StackConfigError(
      opts.stackFile,
      catalogProblems.map((message) => ({ path: keyPath(opts.namespace, ["serving", "catalogFile"]), message: message.replace(catalogPath, serving.catalogFile) })),
    );
  }
  const resolved = resolveServing(serving, cfg.regions, catalog, result.data.huggingFaceToken !== undefined, now);
  if (!resolved.serving) {
    throw new StackConfigError(opts.stackFile, resolved.issues.map((i) => ({ path: keyPath(opts.namespace, i.path), message: i.message })));
  }
  return withTraffic({ ...cfg, serving: resolved.serving }, opts);
}

function withTraffic(cfg: StackConfig, opts: { namespace: string; stackFile: string }): StackConfig {
  const declared = cfg.traffic !== undefined && Object.keys(cfg.traffic.endpoints).length > 0;
  const issues = [
    ...(cfg.traffic ? trafficServingIssues(cfg.traffic, cfg.serving) : []),
    ...(cfg.traffic ? endpointIssues(cfg.traffic, cfg.regions.map((r) => r.region), cfg.serving, declared) : []),
    ...sloIssues(cfg.observability.slos, cfg.serving),
  ];
  if (issues.length > 0) throw new StackConfigError(opts.stackFile, issues.map((i) => ({ path: keyPath(opts.namespace, i.path), message: i.message })));
  if (!cfg.traffic || declared || !cfg.serving) return cfg;
  // One stack: the public names are the served models where they are served.
  const endpoints = Object.fromEntries(cfg.serving.models.map((m) => [m.name, m.placements.map((p) => p.region)]));
  return { ...cfg, traffic: { ...cfg.traffic, endpoints } };
}
