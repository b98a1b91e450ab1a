// Lint rules that catch the defects review cares about: hollow tests and Outputs in template literals.
import pulumi from "@pulumi/eslint-plugin";
import vitest from "@vitest/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/**", "bin/**", ".build/**", ".bench/**", "policies/node_modules/**", "policies/bin/**"] },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: {
        // Building the typed Program (one per nearest tsconfig.json: root and policies/) is most of lint time: ~2,400
        // declaration files, 16 of 35 MB @pulumi/aws, mostly doc comments. "type-info" skips JSDoc in .ts files, where it
        // never feeds types (TypeScript JSDocParsingMode.ParseForTypeInfo, microsoft/TypeScript#55739); our typed rules
        // (pulumi/*) read expression types only, and comments incl. eslint-disable come from the scanner
        // (@typescript-eslint/typescript-estree 8.73.0 dist/convert-comments.js). Same reports, ~20% less lint CPU.
        // No --cache: it cannot see a file's types change with another file (typescript-eslint issue #4694).
        // This is `npm run lint` and editors. `npm test` lints through tools/typecheckAndLint.mjs, which overrides
        // these options with parserOptions.programs: the typecheck's own Program (tsc's JSDoc mode), built once.
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
        jsDocParsingMode: "type-info",
      },
    },
    plugins: { pulumi },
    rules: {
      "pulumi/no-output-in-template-literal": "error",
      "pulumi/no-output-instance-in-template-literal": "error",
      "@typescript-eslint/no-explicit-any": "error",
    },
  },
  {
    // A CommonJS file (tools/deferSdkModules.cjs, loaded by plain node as well as bundled) has only require().
    files: ["**/*.cjs"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // @pulumi/aws by service, never its root: the root (7.48.0 index.js/index.d.ts) loads all ~240 service modules
    // at run time and all their declarations into every type-check (tsc, lint, and ts-node, which type-checks the
    // program when `pulumi up` compiles it, unless PULUMI_NODEJS_TRANSPILE_ONLY or tsconfig noCheck says otherwise:
    // @pulumi/pulumi 3.248.0 cmd/run/run.js; its ts-node caches what it compiled, so a fresh runner or an edit pays it).
    // typescript-eslint's copy of the rule, so that it does not replace the core rule's lib/ layer patterns below;
    // test/layers.test.ts checks the same on every file (require, import() too).
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          paths: [
            {
              name: "@pulumi/aws",
              message:
                'Import the service module instead of @pulumi/aws\'s root, which loads all ~240 services and their declarations: `import * as ec2 from "@pulumi/aws/ec2"`, `import { Provider as AwsProvider } from "@pulumi/aws/provider"`, `import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity"`, `import type * as awsInputs from "@pulumi/aws/types/input"`.',
            },
          ],
        },
      ],
    },
  },
  {
    // Layers: lib/ is pure logic that components/, policies/, tools/ and the projects build on; it
    // never imports them back (test/layers.test.ts checks the same on the import graph).
    files: ["lib/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["**/components", "**/components/**"], message: "lib/ is the lowest layer: it must not import components/ (move the composition to components/)." },
            { group: ["**/policies", "**/policies/**"], message: "lib/ is the lowest layer: it must not import policies/ (the plan engine that runs the pack lives in tools/engine/)." },
            { group: ["**/tools/**", "**/platform/**", "**/serving/**", "**/index"], message: "lib/ is the lowest layer: it must not import tools/ or a project's program." },
          ],
        },
      ],
    },
  },
  {
    files: ["test/**/*.ts"],
    plugins: { vitest },
    rules: {
      ...vitest.configs.recommended.rules,
      // expect(value, message) is vitest API: the message names the resource that failed.
      "vitest/valid-expect": ["error", { maxArgs: 2 }],
      "vitest/no-disabled-tests": "error",
      "vitest/no-focused-tests": "error",
      "vitest/expect-expect": ["error", { assertFunctionNames: ["expect", "expect*"] }],
    },
  },
);
