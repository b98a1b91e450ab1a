import { describe, expect, it } from "vitest";
import { planInProcess } from "../planInProcess";

describe("npm run plan: a secret by nature written as plaintext is a config error (exit 2)", () => {
  it("names each plaintext secret key and the command that stores it encrypted", async () => {
    const fixture = "test/fixtures/serving/Pulumi.plaintext-secrets.yaml";
    const { code, stdout, stderr } = await planInProcess(["--stack", "dev", "--config-file", fixture]);
    expect([code, stdout]).toEqual([2, ""]);
    expect(stderr).toBe(
      `Invalid stack configuration in ${fixture} (2 problems):\n` +
        '  - llm-blueprint:huggingFaceToken: holds a Hugging Face token as plaintext; remove the line and set it encrypted with `pulumi config set --secret huggingFaceToken <value>` (the stack file then carries it as "secure:")\n' +
        '  - llm-blueprint:alertReceiverSecret: holds a Slack webhook URL or PagerDuty routing key as plaintext; remove the line and set it encrypted with `pulumi config set --secret alertReceiverSecret <value>` (the stack file then carries it as "secure:")\n',
    );
  }, 300_000);

  it("accepts the same values written as secure:", async () => {
    const { code, stderr } = await planInProcess(["--stack", "dev", "--config-file", "test/fixtures/serving/Pulumi.secure-secrets.yaml", "--quiet"]);
    expect(code).not.toBe(2);
    expect(stderr).not.toContain("as plaintext");
  }, 300_000);
});
