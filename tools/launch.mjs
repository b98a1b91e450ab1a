#!/usr/bin/env node
// @ts-check
/**
 * `node tools/launch.mjs <entry.ts> [args...]`: runs one of the repository's TypeScript tools (tools/plan.ts,
 * tools/bench.ts, tools/drift.ts) with plain Node.js from a bundle of its sources, instead of transpiling
 * about a hundred files on every run (tsx). This is what `npm run plan|bench|drift` call.
 *
 * - The bundle holds the repository's own sources only (packages stay in node_modules, loaded by Node as
 *   they are) plus the program of every Pulumi project (each <dir>/Pulumi.yaml's `main`), registered by
 *   file so tools/engine/programs.ts runs the same code the entry point holds. Pulumi itself (`pulumi up`)
 *   keeps running the TypeScript entry points Pulumi.yaml names; nothing here changes that.
 * - Freshness: beside the bundle a manifest keeps the inputs esbuild reported in its metafile and a hash
 *   of their contents (and of the projects' Pulumi.yaml files, this file and esbuild's version). A run
 *   rehashes those files (a few milliseconds) and rebuilds (well under a second) when anything differs,
 *   so a new source file is picked up as soon as a file already in the bundle imports it.
 * - The bundle lives in .build/ (git-ignored, never committed), written to a temporary name and renamed,
 *   so concurrent runs (test forks) never read half a bundle.
 * - Errors point at TypeScript lines: stack frames in the bundle are mapped through its source map when
 *   a stack is formatted (Node's own --enable-source-maps would parse the maps of every package too).
 * - Package bundles: a module listed in PACKAGE_BUNDLES is compiled together with the ES-module packages it
 *   imports into a CommonJS file of its own (.build/<name>.cjs), which the tool's bundle requires in its
 *   place. Node resolves, reads and links an ES module graph file by file (the Kubernetes schema models the
 *   policy pack loads are ~600 files, about half a second); one compiled file loads in a tenth of that.
 *   CommonJS files those packages import stay in node_modules, required by absolute path (the one Node would
 *   resolve from the importing file), so a package that reads files beside its code (re2-wasm) still finds them.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import { createRequire } from "module";
import * as path from "path";
import { fileURLToPath } from "url";

const SELF = fileURLToPath(import.meta.url);
export const ROOT = path.resolve(path.dirname(SELF), "..");
export const BUILD_DIR = path.join(ROOT, ".build");
const REGISTRY_KEY = "__llmBlueprintPrograms"; // tools/engine/programs.ts reads the same key
const require = createRequire(import.meta.url);

/**
 * Modules compiled with the ES-module packages they import into a bundle of their own (see above), by
 * repository-relative path. The module's exports are the bundle's; nothing else about it changes.
 */
const PACKAGE_BUNDLES = [{ module: "policies/rules/kubernetesModels.ts", bundle: "kubernetes-models.cjs" }];

/** The Pulumi projects of the repository: every direct subdirectory holding a Pulumi.yaml, with its program file. */
function projectPrograms() {
  /** @type {{ projectFile: string, program: string }[]} */
  const found = [];
  for (const entry of fs.readdirSync(ROOT, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const projectFile = path.join(ROOT, entry.name, "Pulumi.yaml");
    if (!fs.existsSync(projectFile)) continue;
    // `main: <file>` at the top level of Pulumi.yaml; without it the language host runs the directory's index.
    const main = /^main:\s*["']?([^"'\s#]+)/m.exec(fs.readFileSync(projectFile, "utf8"))?.[1] ?? ".";
    let program = path.resolve(ROOT, entry.name, main);
    if (fs.existsSync(program) && fs.statSync(program).isDirectory()) program = path.join(program, "index.ts");
    else if (path.extname(program) === "") program += ".ts";
    found.push({ projectFile, program });
  }
  return found.sort((a, b) => a.program.localeCompare(b.program));
}

/** @param {string} entry repository-relative .ts path */
function bundlePaths(entry) {
  const slug = entry.replace(/\.ts$/, "").replace(/[\\/]/g, "-");
  const bundle = path.join(BUILD_DIR, `${slug}.cjs`);
  return { bundle, map: `${bundle}.map`, manifest: path.join(BUILD_DIR, `${slug}.manifest.json`) };
}

/** @param {readonly string[]} files repository-relative */
function contentKey(files) {
  const hash = createHash("sha256");
  hash.update(`${ROOT}\0${process.version}\0`);
  for (const file of [...files].sort()) {
    hash.update(file);
    hash.update("\0");
    try {
      hash.update(fs.readFileSync(path.join(ROOT, file)));
    } catch {
      hash.update("<missing>");
    }
    hash.update("\0");
  }
  return hash.digest("hex");
}

/** Files whose change changes the bundle besides esbuild's inputs: this launcher, the projects, the compiler. */
function fixedInputs() {
  const esbuildPackage = path.relative(ROOT, require.resolve("esbuild/package.json"));
  return [path.relative(ROOT, SELF), "tsconfig.json", esbuildPackage, ...projectPrograms().map((p) => path.relative(ROOT, p.projectFile))];
}

/**
 * Returns the bundle of `entry`, building it first when it is missing or any input changed.
 * @param {string} entry repository-relative .ts path, e.g. tools/plan.ts
 * @returns {Promise<string>} absolute path of the bundle
 */
export async function ensureBundle(entry) {
  const paths = bundlePaths(entry);
  /** @type {{ key: string, inputs: string[], packageBundles?: string[] } | undefined} */
  let previous;
  let fresh = false;
  try {
    previous = JSON.parse(fs.readFileSync(paths.manifest, "utf8"));
    fresh = previous?.key === contentKey(previous?.inputs ?? []) && fs.existsSync(paths.bundle);
  } catch {
    // no manifest yet, or an unreadable one: build
  }
  /** The package bundles a manifest lists (each fresh on its own terms); before any build, all of them. */
  const packageBundlesOf = (/** @type {{ packageBundles?: string[] } | undefined} */ m) => PACKAGE_BUNDLES.filter((b) => !m || m.packageBundles?.includes(b.module));
  try {
    if (fresh) {
      await Promise.all(packageBundlesOf(previous).map(ensurePackageBundle));
      return paths.bundle;
    }
    // The package bundles the last build needed (before a first build: every one whose module exists) are
    // built at the same time as the tool's bundle, in the same esbuild service; the new manifest then says
    // which the tool needs (only their failures count) and which are still missing.
    const started = new Map(
      packageBundlesOf(previous)
        .filter((b) => fs.existsSync(path.join(ROOT, b.module)))
        .map((b) => {
          const building = ensurePackageBundle(b);
          // Its failure is reported below if the tool needs it; until then it must not count as unhandled.
          building.catch(() => undefined);
          return [b.module, building];
        }),
    );
    let manifest;
    try {
      manifest = await buildBundle(entry, paths);
    } finally {
      await Promise.allSettled(started.values());
    }
    for (const b of packageBundlesOf(manifest)) await (started.get(b.module) ?? ensurePackageBundle(b));
    return paths.bundle;
  } finally {
    // esbuild's service process is not needed while the tool runs.
    if (esbuildStarted) await (await import("esbuild")).stop();
  }
}

/** Whether this process has started esbuild's service (then ensureBundle stops it when its builds are done). */
let esbuildStarted = false;

/**
 * @param {string} entry
 * @param {{ bundle: string, map: string, manifest: string }} paths
 * @returns {Promise<{ key: string, inputs: string[], packageBundles: string[] }>} the manifest written
 */
async function buildBundle(entry, paths) {
  const esbuild = await import("esbuild");
  esbuildStarted = true;
  const programs = projectPrograms();
  // The entry registers each project's program by file, then runs the tool.
  const entrySource = [
    // Before anything loads @pulumi/pulumi: two modules it requires and a plan never uses load on first use.
    `require("./tools/deferSdkModules.cjs").deferSdkModules();`,
    `globalThis[${JSON.stringify(REGISTRY_KEY)}] = {`,
    ...programs.map((p) => `  ${JSON.stringify(p.program)}: () => require(${JSON.stringify(`./${path.relative(ROOT, p.program)}`)}),`),
    `};`,
    `require(${JSON.stringify(`./${entry}`)});`,
  ].join("\n");
  /** @type {import("esbuild").Plugin} */
  const sourceDirectory = {
    // __dirname and __filename keep meaning the TypeScript file's location (data files are read beside
    // their module). Prepended on the file's first line so line numbers in the source map stay the same.
    name: "source-directory",
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        let contents = await fs.promises.readFile(args.path, "utf8");
        if (/\b__(dirname|filename)\b/.test(contents)) {
          contents = `var __dirname = ${JSON.stringify(path.dirname(args.path))}, __filename = ${JSON.stringify(args.path)}; ${contents}`;
        }
        return { contents, loader: "ts" };
      });
    },
  };
  /** @type {Set<string>} */
  const packageBundles = new Set();
  /** @type {import("esbuild").Plugin} */
  const packageBundleModules = {
    // A module with a package bundle is required from that bundle (beside this one in .build/) instead.
    name: "package-bundle-modules",
    setup(build) {
      for (const { module, bundle } of PACKAGE_BUNDLES) {
        const target = path.join(ROOT, module);
        const base = path.basename(module, ".ts").replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        build.onResolve({ filter: new RegExp(`(^|/)${base}(\\.ts)?$`) }, (args) => {
          const resolved = path.resolve(args.resolveDir, args.path);
          if (resolved !== target && `${resolved}.ts` !== target) return undefined;
          packageBundles.add(module);
          return { path: `./${bundle}`, external: true };
        });
      }
    },
  };
  fs.mkdirSync(BUILD_DIR, { recursive: true });
  const tmp = `${paths.bundle}.${process.pid}.tmp`;
  const result = await esbuild.build({
    stdin: { contents: entrySource, resolveDir: ROOT, sourcefile: "launch-entry.js", loader: "js" },
    absWorkingDir: ROOT,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: `node${process.versions.node.split(".")[0]}`,
    // Packages load from node_modules as Node resolves them: the bundle is the repository's code only.
    packages: "external",
    // Class and function names as written (messages and error names print them).
    keepNames: true,
    sourcemap: "linked",
    sourcesContent: false,
    metafile: true,
    logLevel: "error",
    outfile: tmp,
    plugins: [sourceDirectory, packageBundleModules],
  });
  const compiled = Object.keys(result.metafile.inputs);
  const inputs = [...new Set([...compiled.filter((f) => !f.startsWith("<")), ...fixedInputs()])].sort();
  // The linked map is named after the temporary file; point the bundle at its final name.
  const code = fs.readFileSync(tmp, "utf8").replace(/\/\/# sourceMappingURL=\S+\s*$/, `//# sourceMappingURL=${path.basename(paths.map)}\n`);
  fs.writeFileSync(tmp, code);
  fs.renameSync(`${tmp}.map`, paths.map);
  fs.renameSync(tmp, paths.bundle);
  const manifest = { entry, key: contentKey(inputs), inputs, packageBundles: [...packageBundles].sort() };
  const manifestTmp = `${paths.manifest}.${process.pid}.tmp`;
  fs.writeFileSync(manifestTmp, JSON.stringify(manifest, null, 1) + "\n");
  fs.renameSync(manifestTmp, paths.manifest);
  return manifest;
}

/** @type {Map<string, boolean>} package.json file -> whether its .js files are ES modules */
const moduleTypes = new Map();

/**
 * Whether Node loads `file` as an ES module: .mjs, or .js in a package whose package.json says "type": "module".
 * @param {string} file absolute
 */
function isEsModule(file) {
  if (file.endsWith(".mjs")) return true;
  if (!file.endsWith(".js")) return false;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (!moduleTypes.has(manifest) && fs.existsSync(manifest)) moduleTypes.set(manifest, JSON.parse(fs.readFileSync(manifest, "utf8")).type === "module");
    if (moduleTypes.has(manifest)) return /** @type {boolean} */ (moduleTypes.get(manifest));
    if (path.dirname(dir) === dir) return false;
  }
}

/**
 * The package.json of the package holding `file`, for the bundle's freshness key.
 * @param {string} file repository-relative
 */
function packageManifestOf(file) {
  const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(file);
  return m ? `${m[1]}/package.json` : undefined;
}

/**
 * Builds (when missing or stale) the package bundle of one module: the module and the ES modules it reaches,
 * as one minified CommonJS file; the CommonJS files they import stay external, by absolute path. Fresh while
 * the module, the package.json of every package compiled in, npm's record of the install
 * (node_modules/.package-lock.json) and this launcher are unchanged.
 * @param {{ module: string, bundle: string }} packageBundle
 */
async function ensurePackageBundle({ module, bundle }) {
  const out = path.join(BUILD_DIR, bundle);
  const manifestFile = `${out}.manifest.json`;
  try {
    const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8"));
    if (manifest.key === contentKey(manifest.inputs) && fs.existsSync(out)) return;
  } catch {
    // no manifest yet, or an unreadable one: build
  }
  const esbuild = await import("esbuild");
  esbuildStarted = true;
  /** @type {import("esbuild").Plugin} */
  const commonJsExternal = {
    name: "common-js-external",
    setup(build) {
      // Package imports only (a relative import stays inside its package, ES modules importing ES modules):
      // asking for each of the thousands of relative imports cost seconds of build.
      // Every file of one package resolves a bare import alike (Node looks from the package's directory up),
      // so one lookup per package, kind and specifier serves them all: 348 lookups became 108, about 0.9 s of the first build.
      /** @type {Map<string, Promise<import("esbuild").OnResolveResult | undefined>>} */
      const lookups = new Map();
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.kind === "entry-point" || args.pluginData === "resolving") return undefined;
        const scope = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(args.importer)?.[1] ?? args.resolveDir;
        const key = `${args.kind}\0${scope}\0${args.path}`;
        let lookup = lookups.get(key);
        if (!lookup) {
          lookup = build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: "resolving" }).then((resolved) => {
            if (resolved.errors.length > 0 || resolved.external || !path.isAbsolute(resolved.path)) return resolved;
            return isEsModule(resolved.path) || resolved.path.endsWith(".ts") ? resolved : { path: resolved.path, external: true };
          });
          lookups.set(key, lookup);
        }
        return lookup;
      });
    },
  };
  fs.mkdirSync(BUILD_DIR, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const result = await esbuild.build({
    entryPoints: [path.join(ROOT, module)],
    absWorkingDir: ROOT,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: `node${process.versions.node.split(".")[0]}`,
    // Third-party code only: smaller to parse; names kept for anything that prints them.
    minify: true,
    keepNames: true,
    metafile: true,
    logLevel: "error",
    outfile: tmp,
    plugins: [commonJsExternal],
  });
  const compiled = Object.keys(result.metafile.inputs);
  const manifests = [...new Set(compiled.map(packageManifestOf).filter((f) => f !== undefined))];
  const inputs = [...new Set([module, path.relative(ROOT, SELF), path.relative(ROOT, require.resolve("esbuild/package.json")), "node_modules/.package-lock.json", ...manifests])].sort();
  fs.renameSync(tmp, out);
  const manifestTmp = `${manifestFile}.${process.pid}.tmp`;
  fs.writeFileSync(manifestTmp, JSON.stringify({ module, key: contentKey(inputs), inputs }, null, 1) + "\n");
  fs.renameSync(manifestTmp, manifestFile);
}

/**
 * Program errors point at TypeScript lines: positions in the bundle that reach stdout or stderr (an error's
 * stack in "plan failed: ...") are rewritten through the bundle's source map, read the first time one is
 * printed. Not Error.prepareStackTrace, and not --enable-source-maps: the SDK formats a full stack for
 * every resource it registers (@pulumi/pulumi resource.js Resource.callsites), and mapping those would
 * cost more than the plan itself.
 * @param {string} bundle
 */
function mapBundlePositions(bundle) {
  /** @type {import("module").SourceMap | undefined} */
  let sourceMap;
  const { SourceMap } = require("module");
  const position = new RegExp(`${bundle.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:(\\d+):(\\d+)`, "g");
  /** @param {string} text */
  const mapText = (text) =>
    text.replace(position, (whole, line, column) => {
      try {
        sourceMap ??= new SourceMap(JSON.parse(fs.readFileSync(`${bundle}.map`, "utf8")));
        const found = /** @type {{ originalSource?: string, originalLine?: number, originalColumn?: number }} */ (sourceMap.findEntry(Number(line) - 1, Number(column) - 1));
        if (!found.originalSource || found.originalLine === undefined || found.originalColumn === undefined) return whole;
        return `${path.resolve(path.dirname(bundle), found.originalSource)}:${found.originalLine + 1}:${found.originalColumn + 1}`;
      } catch {
        return whole;
      }
    });
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    /** @type {any} */ (stream).write = (/** @type {unknown} */ chunk, /** @type {unknown[]} */ ...rest) =>
      write(typeof chunk === "string" && chunk.includes(bundle) ? mapText(chunk) : chunk, .../** @type {[any]} */ (rest));
  }
}

const USAGE = "usage: node tools/launch.mjs <tool.ts> [args...]   (a TypeScript tool of this repository, e.g. tools/plan.ts)\n" +
  "       node tools/launch.mjs --build <tool.ts>...   (bring the tools' bundles up to date, run nothing)\n";

/** @param {string} entry */
function isTool(entry) {
  return entry.endsWith(".ts") && fs.existsSync(path.join(ROOT, entry));
}

/** @param {string[]} argv */
async function main(argv) {
  if (argv[0] === "--build") {
    const tools = argv.slice(1);
    if (tools.length === 0 || !tools.every(isTool)) {
      process.stderr.write(USAGE);
      process.exitCode = 2;
      return;
    }
    for (const tool of tools) await ensureBundle(path.relative(ROOT, path.resolve(ROOT, tool)));
    return;
  }
  const [entry, ...args] = argv;
  if (!entry || !isTool(entry)) {
    process.stderr.write(USAGE);
    process.exitCode = 2;
    return;
  }
  const bundle = await ensureBundle(path.relative(ROOT, path.resolve(ROOT, entry)));
  mapBundlePositions(bundle);
  // Node 22+ keeps a compile cache of the packages' code between runs; Node 20 has no such API.
  const nodeModule = /** @type {{ enableCompileCache?: (dir?: string) => unknown }} */ (require("module"));
  nodeModule.enableCompileCache?.(path.join(BUILD_DIR, "compile-cache"));
  // The tool reads its arguments where tsx would have put them: process.argv[2...].
  process.argv = [process.argv[0], path.join(ROOT, entry), ...args];
  require(bundle);
}

if (process.argv[1] && path.resolve(process.argv[1]) === SELF) {
  main(process.argv.slice(2)).catch((err) => {
    // esbuild has printed each compile error with its file, line and source; the stack adds nothing.
    const compileErrors = err && Array.isArray(err.errors) ? err.errors.length : 0;
    process.stderr.write(
      compileErrors > 0
        ? `${process.argv[2]} did not start: the TypeScript sources do not compile (${compileErrors} error${compileErrors > 1 ? "s" : ""} above)\n`
        : `launch failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 2;
  });
}
