/**
 * An input file that cannot be used (missing, syntax error, invalid content). Dependency-free so
 * that the policy pack, which runs from policies/ with its own dependencies, can throw it too.
 * The offline plan maps it to exit code 2 and prints only the message.
 */
export class InputFileError extends Error {
  readonly exitCode = 2;
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = "InputFileError";
  }

  static isInstance(err: unknown): err is InputFileError {
    return err instanceof Error && err.name === "InputFileError" && typeof (err as InputFileError).file === "string";
  }
}

/** Line and column (1-based) of a character offset, with that line and a caret under the column. */
export function locate(text: string, offset: number): { line: number; col: number; snippet: string } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const line = before.split("\n").length;
  const lineStart = before.lastIndexOf("\n") + 1;
  const col = before.length - lineStart + 1;
  const lineEnd = text.indexOf("\n", lineStart);
  const lineText = text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd).replace(/\t/g, " ");
  return { line, col, snippet: `  ${lineText}\n  ${" ".repeat(col - 1)}^` };
}

/** JSON.parse with a message naming the file, line and column, and showing the line. */
export function parseJsonText(text: string, shownAs: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const message = (err as Error).message;
    // Node reports "... in JSON at position N" (and, from Node 22, "(line L column C)").
    const position = /at position (\d+)/.exec(message);
    const reason = message.replace(/ in JSON at position \d+.*$/, "").replace(/^JSON\.parse: /, "");
    const offset = position ? Number(position[1]) : /end of JSON input/.test(message) ? text.length : undefined;
    if (offset === undefined) throw new InputFileError(shownAs, `${shownAs}: JSON syntax error: ${reason}`);
    const at = locate(text, offset);
    throw new InputFileError(shownAs, `${shownAs}:${at.line}:${at.col}: JSON syntax error: ${reason}\n${at.snippet}`);
  }
}
