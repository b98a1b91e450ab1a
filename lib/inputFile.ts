import * as fs from "fs";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { InputFileError, parseJsonText } from "./inputError";

/**
 * Reads the YAML and JSON files a plan depends on (stack files, catalog, price file, pack config).
 * A missing file or a syntax error becomes one InputFileError naming the file, line and column with
 * the offending line, never a parser stack trace.
 */

export { InputFileError, parseJsonText } from "./inputError";

function readText(fullPath: string, shownAs: string): string {
  try {
    return fs.readFileSync(fullPath, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputFileError(shownAs, code === "ENOENT" ? `${shownAs} does not exist` : `cannot read ${shownAs}: ${(err as Error).message}`);
  }
}

/** Parses YAML text; `shownAs` names the file in the error. */
export function parseYamlText(text: string, shownAs: string): unknown {
  try {
    return parseYaml(text);
  } catch (err) {
    if (!(err instanceof YAMLParseError)) throw err;
    const pos = err.linePos?.[0];
    // The parser's message is "<reason> at line L, column C:\n\n<lines>\n<caret>\n"; keep the reason and the snippet.
    const [head, ...rest] = err.message.split("\n");
    const reason = head.replace(/ at line \d+, column \d+:$/, "");
    const snippet = rest.filter((l, i) => i > 0 || l !== "").map((l) => `  ${l}`).join("\n").trimEnd();
    const where = pos ? `${shownAs}:${pos.line}:${pos.col}` : shownAs;
    throw new InputFileError(shownAs, `${where}: YAML syntax error: ${reason}${snippet ? `\n${snippet}` : ""}`);
  }
}

export function readYamlFile(fullPath: string, shownAs = fullPath): unknown {
  return parseYamlText(readText(fullPath, shownAs), shownAs);
}

export function readJsonFile(fullPath: string, shownAs = fullPath): unknown {
  return parseJsonText(readText(fullPath, shownAs), shownAs);
}
