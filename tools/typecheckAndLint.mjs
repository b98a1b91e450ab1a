#!/usr/bin/env node
// @ts-check
/**
 * The typecheck and the lint of `npm test` in one process, on one TypeScript Program.
 *
 * `tsc --noEmit -p tsconfig.json` and `eslint .` each built the same type-checked Program (~2,700 files on
 * 2026-11-26, most of them declarations): tsc for its diagnostics, typescript-eslint's project service for the
 * two typed pulumi/* rules. Here the Program is built once, as tsc builds it, its diagnostics are printed as tsc
 * prints them (with colour and context on a terminal, but without the closing "Found N errors" line), and ESLint
 * (its Node API, the same eslint.config.mjs) lints with `parserOptions.programs: [that Program]` instead of the
 * project service. (An eslint-suppressions.json, which the CLI would apply, is not read: there is none.)
 *
 *   node tools/typecheckAndLint.mjs [--project tsconfig.json] [--tsBuildInfoFile <file>]
 *
 * Run from the project root (the working directory is ESLint's cwd and tsc's). --tsBuildInfoFile makes the
 * typecheck incremental exactly like `tsc --incremental --tsBuildInfoFile <file>` (same file format: either can
 * read what the other wrote). Exit code: the typecheck's (tsc's exit status) if it failed, else the lint's
 * (eslint's: 1 on an error, 2 when ESLint itself fails), so any error fails.
 *
 * A linted .ts file that is not in the Program is an error, never linted untyped: typescript-eslint throws
 * "The file was not found in any of the provided program instance(s)" and ESLint reports it as a parsing error
 * (@typescript-eslint/typescript-estree 8.73.0 dist/create-program/useProvidedPrograms.js, read 2026-11-26).
 * `npm run typecheck` and `npm run lint` stay the plain commands (editors and people run ESLint with the
 * project service from eslint.config.mjs).
 */
// typescript and eslint load after the arguments are read, so a wrong argument answers at once.
/** @typedef {typeof import("typescript")} TypeScript @typedef {import("typescript").Program} Program */

/** @param {string[]} argv @returns {{ project: string, tsBuildInfoFile: string | undefined }} */
function parseArgs(argv) {
  let project = "tsconfig.json";
  /** @type {string | undefined} */
  let tsBuildInfoFile;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if ((flag === "--project" || flag === "-p" || flag === "--tsBuildInfoFile") && value !== undefined && !value.startsWith("-")) {
      if (flag === "--tsBuildInfoFile") tsBuildInfoFile = value;
      else project = value;
      i++;
    } else {
      throw new Error(`typecheckAndLint: unknown or incomplete argument '${flag}'; allowed: --project <tsconfig.json>, --tsBuildInfoFile <file>`);
    }
  }
  return { project, tsBuildInfoFile };
}

/**
 * tsc's own flow, with public API only (typescript 5.9.3, src/compiler/executeCommandLine/executeCommandLine.ts:
 * parseConfigFileWithSystem, performCompilation, performIncrementalCompilation; src/compiler/watch.ts:
 * emitFilesAndReportErrors, emitFilesAndReportErrorsAndGetExitStatus; read 2026-11-26 in node_modules).
 * @param {TypeScript} ts @param {string} project @param {string | undefined} tsBuildInfoFile
 * @returns {{ program: Program | undefined, output: string, status: number, errors: number }}
 */
function typecheck(ts, project, tsBuildInfoFile) {
  let output = "";
  /** @type {import("typescript").Diagnostic[]} */
  const unrecoverable = [];
  const optionsToExtend = tsBuildInfoFile === undefined ? { noEmit: true } : { noEmit: true, incremental: true, tsBuildInfoFile };
  const parsed = ts.getParsedCommandLineOfConfigFile(project, optionsToExtend, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => unrecoverable.push(diagnostic),
  });
  // tsc prints with colour and source context when stdout is a terminal, unless tsconfig says "pretty".
  const pretty = parsed?.options.pretty ?? Boolean(process.stdout.isTTY);
  /** @type {import("typescript").FormatDiagnosticsHost} */
  const formatHost = {
    getCurrentDirectory: () => ts.sys.getCurrentDirectory(),
    getNewLine: () => ts.sys.newLine,
    getCanonicalFileName: ts.sys.useCaseSensitiveFileNames ? (f) => f : (f) => f.toLowerCase(),
  };
  /** @param {readonly import("typescript").Diagnostic[]} diagnostics */
  const report = (diagnostics) => {
    for (const d of diagnostics) output += pretty ? ts.formatDiagnosticsWithColorAndContext([d], formatHost) + ts.sys.newLine : ts.formatDiagnostic(d, formatHost);
  };
  if (!parsed) {
    report(unrecoverable);
    return { program: undefined, output, status: 1, errors: unrecoverable.length };
  }
  const configFileParsingDiagnostics = ts.getConfigFileParsingDiagnostics(parsed);
  const programOptions = { rootNames: parsed.fileNames, options: parsed.options, projectReferences: parsed.projectReferences, configFileParsingDiagnostics };
  // tsc reads JSDoc in .ts files only for @see/@link (executeCommandLine.ts: defaultJSDocParsingMode); the same mode
  // keeps an incremental build-info file interchangeable with tsc's.
  /** @type {Program | import("typescript").BuilderProgram} */
  let checked;
  // tsc's isIncrementalCompilation and getEmitDeclarations (utilities.ts computed options) are not public API.
  const { incremental, composite, declaration } = parsed.options;
  if (incremental || composite) {
    const host = ts.createIncrementalCompilerHost(parsed.options);
    host.jsDocParsingMode = ts.JSDocParsingMode.ParseForTypeErrors;
    checked = ts.createIncrementalProgram({ ...programOptions, host });
  } else {
    const host = ts.createCompilerHost(parsed.options);
    host.jsDocParsingMode = ts.JSDocParsingMode.ParseForTypeErrors;
    checked = ts.createProgram({ ...programOptions, host });
  }
  // emitFilesAndReportErrors: semantic diagnostics only when there are no syntactic, options or global ones.
  const all = [...checked.getConfigFileParsingDiagnostics()];
  const configCount = all.length;
  all.push(...checked.getSyntacticDiagnostics());
  if (all.length === configCount) {
    all.push(...checked.getOptionsDiagnostics());
    all.push(...checked.getGlobalDiagnostics());
    if (all.length === configCount) all.push(...checked.getSemanticDiagnostics());
    if (parsed.options.noEmit && (declaration || composite) && all.length === configCount) all.push(...checked.getDeclarationDiagnostics());
  }
  // With noEmit this writes only the incremental build-info file, if any.
  const emitResult = checked.emit();
  all.push(...emitResult.diagnostics);
  const diagnostics = ts.sortAndDeduplicateDiagnostics(all);
  report(diagnostics);
  const status = diagnostics.length === 0 ? 0 : emitResult.emitSkipped ? 1 : 2;
  const program = "getProgram" in checked ? checked.getProgram() : checked;
  return { program, output, status, errors: diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error).length };
}

/**
 * `eslint .` through the Node API with the typed .ts files given the typecheck's Program. eslint.config.mjs types
 * every **\/*.ts file with the project service; projectService: false is needed because typescript-estree asks the
 * project service first when both are set (dist/parser.js getProgramAndAST).
 * @param {Program} program @returns {Promise<{ output: string, status: number, errors: number, warnings: number }>}
 */
async function lint(program) {
  const { ESLint } = await import("eslint");
  const eslint = new ESLint({
    cwd: process.cwd(),
    overrideConfig: [{ files: ["**/*.ts"], languageOptions: { parserOptions: { projectService: false, programs: [program] } } }],
  });
  const results = await eslint.lintFiles(["."]);
  const formatter = await eslint.loadFormatter("stylish");
  // The CLI prints the formatter's text with console.log (eslint 9.39.1 lib/cli.js printResults), a newline added.
  const text = await formatter.format(results, {});
  const errors = results.reduce((n, r) => n + r.errorCount, 0);
  const warnings = results.reduce((n, r) => n + r.warningCount, 0);
  return { output: text ? `${text}\n` : "", status: errors > 0 ? 1 : 0, errors, warnings };
}

/** @param {number} n @param {string} noun */
const count = (n, noun) => `${n} ${noun}${n === 1 ? "" : "s"}`;
/** @param {number} t0 */
const seconds = (t0) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

/** @returns {Promise<number>} the exit code */
async function main() {
  /** @type {ReturnType<typeof parseArgs>} */
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  let t0 = performance.now();
  const { default: ts } = await import("typescript");
  const checked = typecheck(ts, args.project, args.tsBuildInfoFile);
  process.stdout.write(`── typecheck: ${checked.status === 0 ? "ok" : `failed (tsc exit ${checked.status}, ${count(checked.errors, "error")})`} in ${seconds(t0)}\n${checked.output}`);
  t0 = performance.now();
  if (!checked.program) {
    process.stdout.write("── lint: not run (the tsconfig could not be read, so there is no Program to type the .ts files)\n");
    return checked.status;
  }
  let lintStatus;
  try {
    const linted = await lint(checked.program);
    lintStatus = linted.status;
    process.stdout.write(`── lint: ${linted.status === 0 ? "ok" : `failed (${count(linted.errors, "error")})`}${linted.warnings ? `, ${count(linted.warnings, "warning")}` : ""} in ${seconds(t0)}\n${linted.output}`);
  } catch (err) {
    // What the CLI does when ESLint itself throws (a bad config, a rule crash): print it, exit 2.
    lintStatus = 2;
    process.stdout.write(`── lint: ESLint failed in ${seconds(t0)}\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  return checked.status !== 0 ? checked.status : lintStatus;
}

process.exitCode = await main();
