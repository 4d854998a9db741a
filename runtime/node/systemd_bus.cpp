#include "runtime/node/systemd_bus.hpp"

#include <systemd/sd-bus.h>
#include <systemd/sd-journal.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace pact::node {

/// An sd_bus_error that frees itself.
struct bus_error {
  sd_bus_error e = SD_BUS_ERROR_NULL;
  ~bus_error() {
    sd_bus_error_free(&e);
  }
  std::string name() const {
    return e.name != nullptr ? e.name : "";
  }
  std::string message() const {
    return e.message != nullptr ? e.message : "";
  }
};

namespace {

constexpr const char* destination = "org.freedesktop.systemd1";
constexpr const char* manager_path = "/org/freedesktop/systemd1";
constexpr const char* manager_iface = "org.freedesktop.systemd1.Manager";
constexpr const char* unit_iface = "org.freedesktop.systemd1.Unit";
constexpr const char* service_iface = "org.freedesktop.systemd1.Service";

struct reply_ref {
  sd_bus_message* m = nullptr;
  ~reply_ref() {
    sd_bus_message_unref(m);
  }
};

std::string bus_address() {
  const char* a = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
  return a != nullptr && *a != '\0' ? a
                                    : "unix:path=/run/dbus/system_bus_socket";
}

/// An error of a call that failed before any D-Bus error came back.
error call_error(const std::string& unit, const std::string& what,
                 const bus_error& e, int r) {
  auto name = e.name();
  auto message = e.message();
  if (name.empty())
    message = std::strerror(-r);
  return make_error(bus_error_text(unit, what, name, message));
}

} // namespace

systemd_manager::systemd_manager(std::chrono::milliseconds call_timeout)
  : timeout_(call_timeout) {
}

systemd_manager::~systemd_manager() {
  sd_bus_flush_close_unref(bus_);
}

expected<sd_bus*> systemd_manager::bus(const std::string& unit,
                                       const std::string& what) {
  reached_ = false;
  if (bus_ != nullptr)
    return bus_;
  sd_bus* b = nullptr;
  int r = sd_bus_open_system(&b);
  if (r < 0)
    return make_error("systemd: " + what + " of " + unit
                      + " failed: cannot connect to the system bus at "
                      + bus_address() + ": " + std::strerror(-r)
                      + " (is dbus running?)");
  sd_bus_set_method_call_timeout(b, static_cast<uint64_t>(timeout_.count())
                                      * 1000);
  bus_ = b;
  return bus_;
}

error systemd_manager::failed(const std::string& unit, const std::string& what,
                              const bus_error& e, int r) {
  reached_ = e.name().rfind("org.freedesktop.systemd1.", 0) == 0;
  if (e.name().empty()) { // the bus, not systemd: connect again next time
    sd_bus_flush_close_unref(bus_);
    bus_ = nullptr;
  }
  return call_error(unit, what, e, r);
}

status systemd_manager::manager_call(const std::string& method,
                                     const std::string& unit) {
  auto b = bus(unit, method);
  if (!b)
    return b.err();
  bus_error e;
  reply_ref reply;
  int r = sd_bus_call_method(*b, destination, manager_path, manager_iface,
                             method.c_str(), &e.e, &reply.m, "ss", unit.c_str(),
                             "replace");
  if (r < 0) {
    return failed(unit, method, e, r);
  }
  reached_ = true;
  return {};
}

status systemd_manager::start(const std::string& unit) {
  return manager_call("StartUnit", unit);
}

status systemd_manager::stop(const std::string& unit) {
  return manager_call("StopUnit", unit);
}

status systemd_manager::restart(const std::string& unit) {
  return manager_call("RestartUnit", unit);
}

status systemd_manager::set_memory_max(const std::string& unit,
                                       uint64_t bytes) {
  auto b = bus(unit, "SetUnitProperties");
  if (!b)
    return b.err();
  reply_ref call;
  int r = sd_bus_message_new_method_call(*b, &call.m, destination, manager_path,
                                         manager_iface, "SetUnitProperties");
  if (r >= 0)
    r = sd_bus_message_append(call.m, "sb", unit.c_str(), 1);
  if (r >= 0)
    r = sd_bus_message_append(call.m, "a(sv)", 1, "MemoryMax", "t", bytes);
  bus_error e;
  if (r < 0)
    return call_error(unit, "SetUnitProperties", e, r);
  reply_ref reply;
  r = sd_bus_call(*b, call.m, 0, &e.e, &reply.m);
  if (r < 0) {
    return failed(unit, "SetUnitProperties", e, r);
  }
  reached_ = true;
  return {};
}

expected<unit_properties> systemd_manager::properties(const std::string& unit) {
  auto b = bus(unit, "LoadUnit");
  if (!b)
    return b.err();
  bus_error e;
  reply_ref reply;
  int r = sd_bus_call_method(*b, destination, manager_path, manager_iface,
                             "LoadUnit", &e.e, &reply.m, "s", unit.c_str());
  const char* path = nullptr;
  if (r >= 0)
    r = sd_bus_message_read(reply.m, "o", &path);
  if (r < 0) {
    return failed(unit, "LoadUnit", e, r);
  }
  std::string object = path;
  unit_properties p;
  auto text = [&](const char* iface, const char* name,
                  std::string& out) -> status {
    bus_error pe;
    char* v = nullptr;
    int rr = sd_bus_get_property_string(*b, destination, object.c_str(), iface,
                                        name, &pe.e, &v);
    if (rr < 0)
      return call_error(unit, std::string("Get ") + name, pe, rr);
    out = v;
    std::free(v);
    return {};
  };
  auto trivial = [&](const char* iface, const char* name, char type,
                     void* out) -> status {
    bus_error pe;
    int rr = sd_bus_get_property_trivial(*b, destination, object.c_str(), iface,
                                         name, &pe.e, type, out);
    if (rr < 0)
      return call_error(unit, std::string("Get ") + name, pe, rr);
    return {};
  };
  for (auto s : {text(unit_iface, "LoadState", p.load_state),
                 text(unit_iface, "ActiveState", p.active_state),
                 text(unit_iface, "SubState", p.sub_state)})
    if (!s)
      return s.err();
  if (p.load_state != "loaded")
    return p; // no Service interface to read
  uint32_t pid = 0;
  for (auto s :
       {text(service_iface, "Result", p.result),
        trivial(service_iface, "MainPID", 'u', &pid),
        trivial(service_iface, "NRestarts", 'u', &p.n_restarts),
        trivial(service_iface, "ExecMainStartTimestamp", 't', &p.start_usec)})
    if (!s)
      return s.err();
  p.main_pid = pid;
  return p;
}

expected<journal_tail> unit_journal(const std::string& root,
                                    const std::string& unit, uint32_t n) {
  auto none = make_error("no systemd journal on this node"
                         + (root == "/" ? "" : " under " + root)
                         + " (journald keeps the output of " + unit
                         + "): run `journalctl -u " + unit + "` on the node");
  sd_journal* j = nullptr;
  int r = root == "/"
            ? sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM)
            : sd_journal_open_directory(&j, root.c_str(), SD_JOURNAL_OS_ROOT);
  if (r < 0)
    return none;
  struct closer {
    sd_journal* j;
    ~closer() {
      sd_journal_close(j);
    }
  } close{j};
  uint64_t bytes = 0;
  if (sd_journal_get_usage(j, &bytes) < 0 || bytes == 0)
    return none;
  auto match = "_SYSTEMD_UNIT=" + unit;
  if (sd_journal_add_match(j, match.c_str(), 0) < 0
      || sd_journal_seek_tail(j) < 0)
    return make_error("cannot read the systemd journal of " + unit
                      + ": run `journalctl -u " + unit + "` on the node");
  journal_tail out;
  while (sd_journal_previous(j) > 0) {
    if (out.lines.size() == n) {
      out.truncated = true;
      break;
    }
    const void* data = nullptr;
    size_t len = 0;
    if (sd_journal_get_data(j, "MESSAGE", &data, &len) < 0)
      continue;
    std::string line(static_cast<const char*>(data), len);
    out.lines.push_back(line.substr(std::strlen("MESSAGE=")));
  }
  std::reverse(out.lines.begin(), out.lines.end());
  return out;
}

} // namespace pact::node
