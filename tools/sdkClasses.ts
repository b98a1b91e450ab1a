/**
 * The SDK class a program declares a resource type with, as a module path and export name, so the
 * benchmark's bare-SDK script (tools/bench.ts) registers each recorded resource through the same class
 * the program used. The class is part of the SDK's cost: a typed resource (aws.ec2.Subnet) declares every
 * input and output property of its schema and the SDK makes an output per property (four runtime
 * promises each), about three times the work of a generic CustomResource carrying only the set inputs.
 *
 * Paths follow the packages' generated layout (@pulumi/aws 7.48.0, @pulumi/kubernetes 4.34.2,
 * @pulumi/random 4.21.2): `<pkg>:<module>/<file>:<Class>` lives in `<package>/<module>/<file>.js`
 * (module `index` at the package root), a Kubernetes built-in `kubernetes:<group>/<version>:<Kind>` in
 * `@pulumi/kubernetes/<first label of the group>/<version>/<kind, first letter lower>.js`, a provider
 * `pulumi:providers:<pkg>` in `<package>/provider.js`. Kinds of other API groups (CRDs) are declared with
 * `apiextensions.CustomResource`, as the program does.
 */

export interface SdkClass {
  /** What `require` takes. */
  readonly module: string;
  /** The class's export name in that module. */
  readonly exportName: string;
}

const PACKAGES: Record<string, string> = { aws: "@pulumi/aws", random: "@pulumi/random", kubernetes: "@pulumi/kubernetes" };

/** API groups @pulumi/kubernetes generates classes for that the committed programs use, by their directory. */
const KUBERNETES_GROUPS: Record<string, string> = {
  core: "core",
  apps: "apps",
  policy: "policy",
  "networking.k8s.io": "networking",
  "storage.k8s.io": "storage",
  "rbac.authorization.k8s.io": "rbac",
  "apiextensions.k8s.io": "apiextensions",
  "admissionregistration.k8s.io": "admissionregistration",
  "scheduling.k8s.io": "scheduling",
  batch: "batch",
  autoscaling: "autoscaling",
  "helm.sh": "helm",
};

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/**
 * The class of a resource type token, or an error naming the token: a type this cannot place would
 * make the bare script's floor a different workload, so the benchmark stops instead of guessing.
 */
export function sdkClassOf(type: string): SdkClass {
  const parts = type.split(":");
  if (parts.length !== 3) throw new Error(`bench: resource type "${type}" is not <package>:<module>:<name>`);
  const [pkg, mod, name] = parts;
  if (pkg === "pulumi" && mod === "providers") {
    const provider = PACKAGES[name];
    if (!provider) throw new Error(`bench: no SDK package known for provider type "${type}"`);
    return { module: `${provider}/provider`, exportName: "Provider" };
  }
  const root = PACKAGES[pkg];
  if (!root) throw new Error(`bench: no SDK package known for resource type "${type}"`);
  const [dir, file] = mod.split("/");
  if (file === undefined) throw new Error(`bench: resource type "${type}" has no <module>/<file> part`);
  if (pkg === "kubernetes") {
    const group = KUBERNETES_GROUPS[dir];
    return group ? { module: `${root}/${group}/${file}/${lowerFirst(name)}`, exportName: name } : { module: `${root}/apiextensions`, exportName: "CustomResource" };
  }
  return { module: dir === "index" ? `${root}/${file}` : `${root}/${dir}/${file}`, exportName: name };
}
