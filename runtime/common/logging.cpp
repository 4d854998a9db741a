#include "runtime/common/logging.hpp"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace pact {

namespace {

void append_json_string(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 0xf]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

/// spdlog formatter writing json_log_line()s.
class json_formatter final : public spdlog::formatter {
public:
  void format(const spdlog::details::log_msg& msg,
              spdlog::memory_buf_t& dest) override {
    using namespace std::chrono;
    auto t = system_clock::to_time_t(msg.time);
    auto ms = duration_cast<milliseconds>(msg.time.time_since_epoch()).count()
              % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
    auto level = spdlog::level::to_string_view(msg.level);
    auto line = json_log_line(
      buf, std::string_view(level.data(), level.size()),
      std::string_view(msg.logger_name.data(), msg.logger_name.size()),
      std::string_view(msg.payload.data(), msg.payload.size()));
    line.push_back('\n');
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>();
  }
};

bool json_format = false;

} // namespace

bool logging_as_json() {
  return json_format;
}

std::string_view request_id_of(std::string_view message) {
  constexpr std::string_view prefix = "request ";
  if (message.substr(0, prefix.size()) != prefix)
    return {};
  auto rest = message.substr(prefix.size());
  size_t n = 0;
  while (n < rest.size() && n < 128
         && (std::isalnum(static_cast<unsigned char>(rest[n])) || rest[n] == '#'
             || rest[n] == '-' || rest[n] == '_' || rest[n] == '.'))
    ++n;
  if (n == 0 || (n < rest.size() && rest[n] != ' '))
    return {};
  return rest.substr(0, n);
}

std::string json_log_line(std::string_view time, std::string_view level,
                          std::string_view component,
                          std::string_view message) {
  std::string out = "{\"time\":";
  append_json_string(out, time);
  out += ",\"level\":";
  append_json_string(out, level);
  out += ",\"component\":";
  append_json_string(out, component);
  if (auto id = request_id_of(message); !id.empty()) {
    out += ",\"request_id\":";
    append_json_string(out, id);
  }
  out += ",\"message\":";
  append_json_string(out, message);
  out.push_back('}');
  return out;
}

status init_logging(std::string_view component, std::string_view level,
                    std::string_view format) {
  auto lvl = spdlog::level::from_str(std::string(level));
  // from_str maps unknown names to "off"; only accept "off" when asked.
  if (lvl == spdlog::level::off && level != "off")
    return make_error("unknown log level '" + std::string(level)
                      + "' (use trace, debug, info, warn, error, critical "
                        "or off)");
  if (format != "text" && format != "json")
    return make_error("unknown log format '" + std::string(format)
                      + "' (use text or json)");
  auto logger = spdlog::stderr_color_mt(std::string(component));
  json_format = format == "json";
  if (json_format)
    logger->set_formatter(std::make_unique<json_formatter>());
  else
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %n %^%l%$ %v");
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  return {};
}

} // namespace pact
