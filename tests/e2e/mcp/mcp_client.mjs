// Drives pact-mcp through the official MCP TypeScript SDK client over stdio:
// the SDK performs the real initialize handshake, then lists and calls tools.
// Usage: node mcp_client.mjs PATH_TO_PACT_MCP  (environment passed through)
// Prints one JSON object with what it observed; exits non-zero on failure.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const bin = process.argv[2];
const transport = new StdioClientTransport({
  command: bin,
  args: [],
  env: { ...process.env },
  stderr: "inherit",
});
const client = new Client({ name: "pact-e2e", version: "1.0.0" });
await client.connect(transport);
const out = {
  serverVersion: client.getServerVersion(),
  capabilities: client.getServerCapabilities(),
};
const tools = await client.listTools();
out.tools = tools.tools.map((t) => t.name);
const status = await client.callTool({ name: "pact_status", arguments: {} });
out.status = {
  isError: status.isError,
  text: status.content[0].text,
  structured: status.structuredContent,
};
const log = await client.callTool({ name: "pact_log",
                                   arguments: { limit: 5, verify: true } });
out.log = { isError: log.isError, text: log.content[0].text,
            structured: log.structuredContent };
const diff = await client.callTool({ name: "pact_diff",
                                    arguments: { node: "no-such-node" } });
out.diff = { isError: diff.isError, text: diff.content[0].text };
await client.ping();
await client.close();
console.log(JSON.stringify(out));
