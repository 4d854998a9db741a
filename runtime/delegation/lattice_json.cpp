#include "runtime/delegation/lattice_json.hpp"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

namespace pact::delegation {

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

bool is_64bit(const FieldDescriptor& f) {
  switch (f.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT64:
      return true;
    default:
      return false;
  }
}

nlohmann::json number_of(const FieldDescriptor& f, const nlohmann::json& v) {
  if (!v.is_string())
    return v;
  const auto& s = v.get_ref<const std::string&>();
  try {
    if (f.cpp_type() == FieldDescriptor::CPPTYPE_UINT64)
      return std::stoull(s);
    return std::stoll(s);
  } catch (const std::exception&) {
    return v;
  }
}

/// Walks `j` along descriptor `d`, turning 64-bit integers into numbers.
void numbers(const Descriptor& d, nlohmann::json& j) {
  if (!j.is_object() || d.full_name() == "google.protobuf.Timestamp")
    return;
  for (int i = 0; i < d.field_count(); ++i) {
    const auto& f = *d.field(i);
    auto it = j.find(f.name());
    if (it == j.end())
      continue;
    if (is_64bit(f)) {
      if (it->is_array())
        for (auto& v : *it)
          v = number_of(f, v);
      else
        *it = number_of(f, *it);
    } else if (f.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE
               && !f.is_map()) {
      if (it->is_array())
        for (auto& v : *it)
          numbers(*f.message_type(), v);
      else
        numbers(*f.message_type(), *it);
    }
  }
}

} // namespace

nlohmann::json to_json(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.always_print_primitive_fields = true;
  opts.preserve_proto_field_names = true;
  std::string text;
  if (!google::protobuf::util::MessageToJsonString(message, &text, opts).ok())
    return nlohmann::json::object();
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded())
    return nlohmann::json::object();
  numbers(*message.GetDescriptor(), j);
  return j;
}

bool from_json(const std::string& text, google::protobuf::Message& message) {
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  return google::protobuf::util::JsonStringToMessage(text, &message, opts).ok();
}

} // namespace pact::delegation
