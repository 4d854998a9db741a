// One MCP session with pact-mcp through the official TypeScript SDK Client
// (which asks for the newest protocol version), driven by a plan, for
// tests/e2e/test_mcp_interop.py.
//
// Usage: node session.mjs PATH_TO_PACT_MCP PLAN_JSON  (environment passed
// through to pact-mcp)
//   PLAN_JSON: {"elicitation": null | "accept" | "decline",
//               "steps": [STEP, ...]}
//   STEP: {"op": "call", "name": N, "arguments": {...}}
//         {"op": "abort", "name": N, "arguments": {...}, "after_ms": MS}
//             the call with an AbortSignal, aborted after MS
//         {"op": "parallel", "calls": [{"name", "arguments"}, ...]}
//             all at once on this session; reports the order they finished
//         {"op": "wait_line"}  prints {"op": "waiting"} and reads one line
//             from stdin before going on (the test changes the world)
//
// Before the steps the driver lists every tool, following nextCursor, and
// compiles each inputSchema and outputSchema with ajv (strict: false); every
// result's structuredContent is then validated with ajv against its tool's
// outputSchema, besides the validation the SDK Client does itself.
// Prints one JSON line per step (the list first) and a last line
// {"op": "done", "elicitations": [...], "client_errors": [...]}.
import { createInterface } from "node:readline";
import _Ajv from "ajv";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const Ajv = _Ajv.default ?? _Ajv;
const [bin, planJson] = process.argv.slice(2);
const plan = JSON.parse(planJson);
const emit = (o) => console.log(JSON.stringify(o));
const started = performance.now();
const now = () => Math.round(performance.now() - started);

const transport = new StdioClientTransport({
  command: bin,
  args: [],
  env: { ...process.env },
  stderr: "inherit",
});
const capabilities = plan.elicitation ? { elicitation: {} } : {};
const client = new Client({ name: "pact-e2e-interop", version: "1.0.0" },
                          { capabilities });
const elicitations = [];
if (plan.elicitation) {
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    elicitations.push(request.params);
    if (plan.elicitation === "accept")
      return { action: "accept", content: { confirm: true } };
    return { action: "decline" };
  });
}
// Anything the SDK could not place, such as a response to a request it
// has cancelled (the bridge must send none).
const clientErrors = [];
client.onerror = (e) => clientErrors.push(String(e?.message ?? e));
await client.connect(transport);

const ajv = new Ajv({ strict: false, allErrors: true });
const tools = [];
const pages = [];
let cursor;
do {
  const page = await client.listTools(cursor === undefined ? {} : { cursor });
  pages.push({ count: page.tools.length, nextCursor: page.nextCursor ?? null });
  tools.push(...page.tools);
  cursor = page.nextCursor;
} while (cursor !== undefined);
// The SDK caches output validators per listTools page; give it them all.
client.cacheToolMetadata(tools);
const validators = {};
const compileErrors = [];
for (const t of tools) {
  for (const key of ["inputSchema", "outputSchema"]) {
    if (!t[key])
      continue;
    try {
      const v = ajv.compile(t[key]);
      if (key === "outputSchema")
        validators[t.name] = v;
    } catch (e) {
      compileErrors.push({ tool: t.name, schema: key, error: e.message });
    }
  }
}
emit({ op: "list", pages, tools, compile_errors: compileErrors,
       server: client.getServerVersion(),
       capabilities: client.getServerCapabilities() });

function outcome(name, r, t0) {
  const out = {
    name,
    ms: now() - t0,
    isError: r.isError === true,
    text: r.content?.[0]?.text ?? null,
    structured: r.structuredContent ?? null,
    schema_errors: null,
  };
  const v = validators[name];
  if (!v)
    out.schema_errors = ["no outputSchema listed for " + name];
  else if (r.structuredContent === undefined)
    out.schema_errors = ["no structuredContent"];
  else if (!v(r.structuredContent))
    out.schema_errors = v.errors.map((e) => `${e.instancePath} ${e.message}`);
  return out;
}

function failure(name, e, t0) {
  return { name, ms: now() - t0, rejected: true,
           error: { name: e?.name ?? null, code: e?.code ?? null,
                    message: String(e?.message ?? e) } };
}

async function call(c) {
  const t0 = now();
  try {
    return outcome(c.name, await client.callTool(
      { name: c.name, arguments: c.arguments ?? {} }), t0);
  } catch (e) {
    return failure(c.name, e, t0);
  }
}

const stdinLines = createInterface({ input: process.stdin })[
  Symbol.asyncIterator]();

for (const step of plan.steps) {
  if (step.op === "call") {
    emit({ op: "call", ...(await call(step)) });
  } else if (step.op === "abort") {
    const t0 = now();
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), step.after_ms);
    try {
      const r = await client.callTool(
        { name: step.name, arguments: step.arguments ?? {} }, undefined,
        { signal: ac.signal });
      emit({ op: "abort", ...outcome(step.name, r, t0) });
    } catch (e) {
      emit({ op: "abort", ...failure(step.name, e, t0) });
    } finally {
      clearTimeout(timer);
    }
  } else if (step.op === "parallel") {
    const order = [];
    const results = await Promise.all(step.calls.map((c, i) =>
      call(c).then((r) => { order.push(i); return r; })));
    emit({ op: "parallel", results, finished: order });
  } else if (step.op === "wait_line") {
    emit({ op: "waiting" });
    await stdinLines.next();
  } else {
    throw new Error("unknown step " + step.op);
  }
}
await client.ping();
await client.close();
emit({ op: "done", elicitations, client_errors: clientErrors });
process.exit(0);
