// Asks pact-mcp a list of tool calls through the official MCP TypeScript SDK
// client and prints what each returned, so that a test can compare the
// answers with the `pact` CLI's.
// Usage: node ask.mjs PATH_TO_PACT_MCP CALLS_JSON
//   CALLS_JSON: [{"name": "pact_diff", "arguments": {"node": "n1"}}, ...]
// Prints one JSON array: [{isError, text, structured}, ...] in call order.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [bin, callsJson] = process.argv.slice(2);
const transport = new StdioClientTransport({
  command: bin,
  args: [],
  env: { ...process.env },
  stderr: "inherit",
});
const client = new Client({ name: "pact-e2e-ask", version: "1.0.0" });
await client.connect(transport);
const answers = [];
for (const call of JSON.parse(callsJson)) {
  const r = await client.callTool(call);
  answers.push({
    isError: r.isError === true,
    text: r.content[0].text,
    structured: r.structuredContent ?? null,
  });
}
await client.close();
console.log(JSON.stringify(answers));
