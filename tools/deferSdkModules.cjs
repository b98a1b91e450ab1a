// @ts-check
/**
 * Two modules @pulumi/pulumi requires when it loads and that a plan under mocks never uses: the TypeScript
 * compiler (through its typescript-shim, for closure serialisation: parseFunction.js, rewriteSuper.js,
 * utils.js) and @npmcli/arborist (runtime/closure/codePaths.js, for computeCodePaths). Measured 2026-11-26 on
 * this 2-core machine: `require("@pulumi/pulumi")` takes ~1.2 s of CPU more with them than without (load 7-10;
 * about 0.65 s on a quiet machine, by the earlier per-module timings).
 * `deferSdkModules()` hands those two requires a stand-in that requires the real module the first time it is
 * used and from then on is that module, so nothing the SDK does changes, only when the module loads. Only the
 * offline plan's tools install it (tools/launch.mjs, in their bundle); `pulumi up` loads the SDK as it is.
 * The shapes it relies on, read in @pulumi/pulumi 3.248.0 (the pinned version):
 * - typescript-shim.js: `module.exports = require("typescript")`, its users read properties (ts.SyntaxKind,
 *   ts.createSourceFile, ...) inside functions;
 * - runtime/closure/codePaths.js: `const arborist = __importStar(require("@npmcli/arborist"))`, then only
 *   `new arborist.Arborist(...)` inside computeCodePaths. __importStar returns a module that says __esModule as it
 *   is (it would otherwise copy every key, loading it); the stand-in says so and reads every other property from
 *   the real module (arborist's module is its Arborist class, which has an `Arborist` property).
 * A requester not in DEFERRED (another file, another version's layout) gets the module as usual.
 */
const Module = require("module");

/** @type {readonly { request: string, requester: RegExp, esModule: boolean }[]} */
const DEFERRED = [
  { request: "typescript", requester: /[\\/]@pulumi[\\/]pulumi[\\/]typescript-shim\.js$/, esModule: false },
  { request: "@npmcli/arborist", requester: /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]closure[\\/]codePaths\.js$/, esModule: true },
];

/**
 * A stand-in for the module `load()` returns, loading it on first use.
 * @param {() => any} load
 * @param {boolean} esModule whether the stand-in answers `__esModule` with true without loading
 * @returns {any}
 */
function deferredModule(load, esModule) {
  /** @type {any} */
  let real;
  const target = () => (real ??= load());
  return new Proxy(
    {},
    {
      get: (_t, key) => (esModule && key === "__esModule" ? true : Reflect.get(target(), key)),
      has: (_t, key) => Reflect.has(target(), key),
      ownKeys: () => Reflect.ownKeys(target()),
      // A proxy may only report a property as non-configurable if its own target has it so; the target is {}.
      getOwnPropertyDescriptor: (_t, key) => {
        const d = Reflect.getOwnPropertyDescriptor(target(), key);
        return d && { ...d, configurable: true };
      },
      set: (_t, key, value) => Reflect.set(target(), key, value),
    },
  );
}

let installed = false;

/** Installs the deferral for this process (once; later calls do nothing). */
function deferSdkModules() {
  if (installed) return;
  installed = true;
  // @ts-expect-error Module._load is Node's internal loader entry (not in the typings), the one every require goes through.
  const load = Module._load;
  // @ts-expect-error as above
  Module._load = function deferringLoad(/** @type {string} */ request, /** @type {any} */ parent, /** @type {boolean} */ isMain) {
    const deferred = parent?.filename && DEFERRED.find((d) => d.request === request && d.requester.test(parent.filename));
    if (deferred) return deferredModule(() => load.call(this, request, parent, isMain), deferred.esModule);
    return load.call(this, request, parent, isMain);
  };
}

module.exports = { deferSdkModules, deferredModule, DEFERRED };
