#pragma once

/// proto3 JSON of lattice's messages for the pact-lattice module: field
/// names as in the schema, every field present, 64-bit integers as JSON
/// numbers (proto3 JSON writes them as strings; pact's output and the MCP
/// schemas want numbers), Timestamps as RFC 3339 strings.

#include <string>

#include <google/protobuf/message.h>
#include <nlohmann/json.hpp>

namespace pact::delegation {

/// `message` as JSON.
nlohmann::json to_json(const google::protobuf::Message& message);

/// Parses `text` into `message`; false when it does not fit the schema
/// (an unknown field, a wrong type).
bool from_json(const std::string& text, google::protobuf::Message& message);

} // namespace pact::delegation
