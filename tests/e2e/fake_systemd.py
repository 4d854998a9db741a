"""A stand-in for systemd's manager on a private D-Bus (test_services_systemd):
owns org.freedesktop.systemd1, answers the org.freedesktop.systemd1.Manager
calls pact-agent makes (StartUnit, StopUnit, RestartUnit, LoadUnit,
GetUnit, SetUnitProperties) and each unit's properties
(org.freedesktop.DBus.Properties Get/GetAll on the .Unit and .Service
interfaces), and records every call, one JSON object a line, in CALLS.

Usage: fake_systemd.py ADDRESS STATE_DIR UNIT...
  UNIT: the units that exist (web.service ...); any other is not found, as
  systemd says it.
  STATE_DIR/calls.jsonl: the calls received.
  STATE_DIR/fail: unit names, one a line, that have failed (read on every
  call; a unit named there reads failed until it is removed and the unit
  restarted).
  STATE_DIR/ready: written once the name is owned.

Needs python3-dbus and python3-gi (Debian's, so /usr/bin/python3)."""
import itertools
import json
import os
import sys
import time

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

MANAGER = "org.freedesktop.systemd1.Manager"
UNIT = "org.freedesktop.systemd1.Unit"
SERVICE = "org.freedesktop.systemd1.Service"
PROPS = "org.freedesktop.DBus.Properties"
NO_SUCH_UNIT = "org.freedesktop.systemd1.NoSuchUnit"


class NoSuchUnit(dbus.DBusException):
    _dbus_error_name = NO_SUCH_UNIT


def escape(name):
    """systemd's object path escaping: web.service -> web_2eservice."""
    return "".join(c if c.isalnum() else "_%02x" % ord(c) for c in name)


class Manager(dbus.service.Object):
    def __init__(self, conn, state_dir, known):
        super().__init__(conn, "/org/freedesktop/systemd1")
        self.conn = conn
        self.state_dir = state_dir
        self.known = set(known)
        self.units = {}
        self.pids = itertools.count(4000)
        self.jobs = itertools.count(1)

    def record(self, method, *args):
        with open(os.path.join(self.state_dir, "calls.jsonl"), "a") as f:
            f.write(json.dumps({"method": method, "args": list(args)}) + "\n")

    def failing(self):
        try:
            with open(os.path.join(self.state_dir, "fail")) as f:
                return {line.strip() for line in f if line.strip()}
        except OSError:
            return set()

    def unit(self, name):
        if name not in self.units:
            self.units[name] = Unit(self, name)
        return self.units[name]

    def job(self):
        return dbus.ObjectPath("/org/freedesktop/systemd1/job/%d"
                               % next(self.jobs))

    def existing(self, name):
        if name not in self.known:
            raise NoSuchUnit("Unit %s not found." % name)
        return self.unit(name)

    @dbus.service.method(MANAGER, in_signature="ss", out_signature="o")
    def StartUnit(self, name, mode):
        self.record("StartUnit", str(name), str(mode))
        u = self.existing(str(name))
        if u.active != "active":
            u.run()
        return self.job()

    @dbus.service.method(MANAGER, in_signature="ss", out_signature="o")
    def StopUnit(self, name, mode):
        self.record("StopUnit", str(name), str(mode))
        self.existing(str(name)).stop()
        return self.job()

    @dbus.service.method(MANAGER, in_signature="ss", out_signature="o")
    def RestartUnit(self, name, mode):
        self.record("RestartUnit", str(name), str(mode))
        self.existing(str(name)).run()
        return self.job()

    @dbus.service.method(MANAGER, in_signature="s", out_signature="o")
    def LoadUnit(self, name):
        return self.unit(str(name)).path

    @dbus.service.method(MANAGER, in_signature="s", out_signature="o")
    def GetUnit(self, name):
        return self.existing(str(name)).path

    @dbus.service.method(MANAGER, in_signature="sba(sv)", out_signature="")
    def SetUnitProperties(self, name, runtime, props):
        self.record("SetUnitProperties", str(name), bool(runtime),
                    [[str(k), int(v) if isinstance(v, (int, dbus.UInt64))
                      else str(v)] for k, v in props])
        self.existing(str(name))


class Unit(dbus.service.Object):
    def __init__(self, manager, name):
        self.path = dbus.ObjectPath("/org/freedesktop/systemd1/unit/"
                                    + escape(name))
        super().__init__(manager.conn, self.path)
        self.manager = manager
        self.name = name
        self.active, self.sub, self.result = "inactive", "dead", "success"
        self.pid, self.restarts, self.started = 0, 0, 0

    def run(self):
        self.active, self.sub, self.result = "active", "running", "success"
        self.pid = next(self.manager.pids)
        self.started = int(time.time() * 1e6)

    def stop(self):
        self.active, self.sub, self.pid = "inactive", "dead", 0

    def properties(self, interface):
        if self.name in self.manager.failing() and self.active == "active":
            self.active, self.sub, self.result = "failed", "failed", \
                "exit-code"
            self.pid = 0
        load = "loaded" if self.name in self.manager.known else "not-found"
        if interface == UNIT:
            return {"LoadState": dbus.String(load, variant_level=1),
                    "ActiveState": dbus.String(self.active, variant_level=1),
                    "SubState": dbus.String(self.sub, variant_level=1)}
        if interface == SERVICE and load == "loaded":
            return {"MainPID": dbus.UInt32(self.pid, variant_level=1),
                    "NRestarts": dbus.UInt32(self.restarts, variant_level=1),
                    "ExecMainStartTimestamp":
                        dbus.UInt64(self.started, variant_level=1),
                    "Result": dbus.String(self.result, variant_level=1)}
        raise dbus.DBusException("no interface " + interface,
                                 name="org.freedesktop.DBus.Error."
                                      "UnknownInterface")

    @dbus.service.method(PROPS, in_signature="ss", out_signature="v")
    def Get(self, interface, prop):
        props = self.properties(str(interface))
        if str(prop) not in props:
            raise dbus.DBusException(
                "no property " + prop,
                name="org.freedesktop.DBus.Error.UnknownProperty")
        return props[str(prop)]

    @dbus.service.method(PROPS, in_signature="s", out_signature="a{sv}")
    def GetAll(self, interface):
        return self.properties(str(interface))


def main():
    address, state_dir, units = sys.argv[1], sys.argv[2], sys.argv[3:]
    DBusGMainLoop(set_as_default=True)
    conn = dbus.bus.BusConnection(address)
    name = dbus.service.BusName("org.freedesktop.systemd1", conn)
    manager = Manager(conn, state_dir, units)  # noqa: F841 (serves calls)
    with open(os.path.join(state_dir, "ready"), "w") as f:
        f.write(name.get_name() + "\n")
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
