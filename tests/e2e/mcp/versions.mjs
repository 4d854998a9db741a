// Initializes pact-mcp at each given protocol version through the SDK's
// StdioClientTransport with raw JSON-RPC (the SDK Client itself always asks
// for the newest version), then lists the tools and makes one call; each
// response is checked with the SDK's own zod schemas.
//
// Usage: node versions.mjs PATH_TO_PACT_MCP VERSIONS_JSON CALL_JSON
//   VERSIONS_JSON: ["2025-11-25", ...]; CALL_JSON: {"name", "arguments"}
// Prints one JSON line: {VERSION: {initialize, list, call: {result, zod,
// schema_errors}}} where each `result` is the raw JSON-RPC result and `zod`
// is null when the SDK schema accepts it, else the schema's error text;
// `schema_errors` (call only, null when fine) is what ajv finds wrong with
// the call's structuredContent by the tool's listed outputSchema, when
// the version has both.
import _Ajv from "ajv";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import {
  CallToolResultSchema,
  InitializeResultSchema,
  ListToolsResultSchema,
} from "@modelcontextprotocol/sdk/types.js";

const Ajv = _Ajv.default ?? _Ajv;
const [bin, versionsJson, callJson] = process.argv.slice(2);
const call = JSON.parse(callJson);

async function session(version) {
  const transport = new StdioClientTransport({
    command: bin,
    args: [],
    env: { ...process.env },
    stderr: "inherit",
  });
  const waiting = new Map();
  transport.onmessage = (m) => {
    const w = waiting.get(m.id);
    if (w) {
      waiting.delete(m.id);
      w(m);
    }
  };
  await transport.start();
  let next = 1;
  const request = (method, params) => new Promise((resolve, reject) => {
    const id = next++;
    const timer = setTimeout(() => reject(new Error(method + " timed out")),
                             30000);
    waiting.set(id, (m) => { clearTimeout(timer); resolve(m); });
    transport.send({ jsonrpc: "2.0", id, method, params }).catch(reject);
  });
  const checked = (m, schema) => {
    if (!("result" in m))
      return { result: null, error: m.error ?? m, zod: "no result" };
    const z = schema.safeParse(m.result);
    return { result: m.result, zod: z.success ? null : z.error.message };
  };
  const init = await request("initialize", {
    protocolVersion: version,
    capabilities: {},
    clientInfo: { name: "pact-e2e-versions", version: "1.0.0" },
  });
  await transport.send({ jsonrpc: "2.0",
                         method: "notifications/initialized" });
  const out = { initialize: checked(init, InitializeResultSchema) };
  out.list = checked(await request("tools/list", {}), ListToolsResultSchema);
  out.call = checked(await request("tools/call", call),
                     CallToolResultSchema);
  out.call.schema_errors = null;
  const tool = out.list.result?.tools?.find((t) => t.name === call.name);
  const structured = out.call.result?.structuredContent;
  if (tool?.outputSchema && structured !== undefined) {
    const v = new Ajv({ strict: false, allErrors: true })
      .compile(tool.outputSchema);
    if (!v(structured))
      out.call.schema_errors = v.errors.map(
        (e) => `${e.instancePath} ${e.message}`);
  }
  await transport.close();
  return out;
}

const all = {};
for (const v of JSON.parse(versionsJson))
  all[v] = await session(v);
console.log(JSON.stringify(all));
