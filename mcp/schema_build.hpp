#pragma once

/// Small builders for the tools' JSON Schemas (inputSchema, outputSchema),
/// so that every spec reads as a table of its arguments. Only the keywords
/// schema.hpp checks are produced.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pact::mcp::schema {

using json = nlohmann::json;

json str(const std::string& description);
json str_enum(const std::vector<std::string>& values,
              const std::string& description);
json integer(const std::string& description, int64_t min, int64_t max);
json boolean(const std::string& description);
json strings(const std::string& description, int min_items = 0);
/// An array of objects (members not listed).
json objects(const std::string& description);
/// An object whose members are not listed.
json any_object(const std::string& description);

/// The arguments object: `properties`, the `required` ones, nothing else.
json arguments(json properties, std::vector<std::string> required = {});

/// The shape of a failed call's structuredContent, {"error": {message,
/// exit_code, meaning}} (render/failure.hpp failure_json).
json error_object();

/// A held write (two-person vCluster): {"pending_approval": {id, scope,
/// action, requester, expires}}.
json pending_object();

/// An outputSchema: an object that has the `required` members of a
/// success (typed by `properties`), or else is a failure ({"error": …})
/// or, with `can_be_held`, a held write ({"pending_approval": …}).
json output(json properties, std::vector<std::string> required,
            bool can_be_held = false);

/// output() for a tool whose successes come in several shapes, each given
/// by its required members.
json output_of(json properties,
               const std::vector<std::vector<std::string>>& successes,
               bool can_be_held);

} // namespace pact::mcp::schema
