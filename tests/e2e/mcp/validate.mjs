// Validates tool results against their tools' outputSchemas with ajv
// (strict: false), for results that did not come through session.mjs
// (e.g. the MCP Inspector's output).
// Usage: node validate.mjs < {"tools": [TOOL, ...], "results": [{"name",
//   "structuredContent"}, ...]}
// Prints one JSON array: per result null (fits) or the list of errors.
import { readFileSync } from "node:fs";
import _Ajv from "ajv";

const Ajv = _Ajv.default ?? _Ajv;
const { tools, results } = JSON.parse(readFileSync(0, "utf8"));
const ajv = new Ajv({ strict: false, allErrors: true });
const out = results.map(({ name, structuredContent }) => {
  const tool = tools.find((t) => t.name === name);
  if (!tool?.outputSchema)
    return ["no outputSchema listed for " + name];
  if (structuredContent === undefined)
    return ["no structuredContent"];
  const v = ajv.compile(tool.outputSchema);
  return v(structuredContent)
    ? null
    : v.errors.map((e) => `${e.instancePath} ${e.message}`);
});
console.log(JSON.stringify(out));
