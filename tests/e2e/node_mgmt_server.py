"""REST contract servers for pact's node management client
(runtime/delegation/node_mgmt.hpp), on loopback HTTP.

`NodeMgmtServer(backend, token=None, nodes=[...], boot_params={node: {...}},
templates={name: {...}})` plays the site's node management as pact's client
reaches it:

- both backends: the Power Control Service (PCS) v1 transitions,
  `POST {pcs}/transitions` and `GET {pcs}/transitions/{id}`, with {pcs} the
  URL's root for "ochami" (the `ochami` CLI's default PCS base path) and
  /apis/power-control/v1 for "csm" (CSM's API gateway). Per
  OpenCHAMI/power-control api/swagger.yaml and internal/domain: the POST
  answers 200 {transitionID, operation} for any well-formed request; a
  location PCS cannot act on fails only in the transition's task
  ("Invalid xname" for a name that is no xname, "Missing xname" for one
  HSM lacks).
- "ochami": the Boot Script Service, `GET /boot/v1/bootparameters?name=N`
  (OpenCHAMI/bss api/swagger.yaml): a list of boot parameters, or 404
  "Cannot find boot parameters for requested Hosts".
- "csm": the Boot Orchestration Service v2,
  `GET /apis/bos/v2/sessiontemplates/{name}` (404 when unknown) and
  `POST /apis/bos/v2/sessions` (201 with the session; 400 "Session Template
  Name invalid: NAME" for an unknown template) per Cray-HPE/bos
  api/openapi.yaml.in and server/controllers/v2/sessions.py.

Every request needs `Authorization: Bearer TOKEN` when `token` is set (401
otherwise). Errors are RFC 7807 problem details (application/problem+json),
as both services send them. `requests` lists what arrived, in order:
{"method", "path", "query" (dict of lists), "headers" (dict), "body" (the
JSON, or the raw text when it is not JSON, or None)}. `pcs_task_status`
is the state a known node's task reports ("in-progress" by default).
`faults[path] = (status, problem)` answers requests for `path` (after the
token check) with that status and problem-details body instead, to play a
failing service.
"""
import json
import re
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PCS_OPERATIONS = {"on": "On", "off": "Off", "soft-off": "Soft-Off",
                  "soft-restart": "Soft-Restart",
                  "hard-restart": "Hard-Restart", "init": "Init",
                  "force-off": "Force-Off"}
BOS_OPERATIONS = {"boot", "reboot", "shutdown"}
BOS_SESSION_KEYS = {"name", "operation", "template_name", "limit", "stage",
                    "include_disabled"}
# A node xname (the one component type pact reboots), as the xname
# pattern of PCS's swagger has it.
NODE_XNAME = re.compile(r"^x[0-9]{1,4}c[0-7]s[0-9]+b[0-9]+n[0-9]+$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                  r"[0-9a-f]{12}$")


class NodeMgmtServer:
    def __init__(self, backend, token=None, nodes=(), boot_params=None,
                 templates=None):
        assert backend in ("ochami", "csm")
        self.backend = backend
        self.token = token
        self.nodes = set(nodes)
        self.boot_params = dict(boot_params or {})
        self.templates = dict(templates or {})
        self.pcs_task_status = "in-progress"
        self.faults = {}
        self.requests = []
        self.transitions = {}
        self.sessions = []
        self.url = None
        self._lock = threading.Lock()
        self._httpd = None
        self._thread = None

    @property
    def pcs_prefix(self):
        return "/apis/power-control/v1" if self.backend == "csm" else ""

    def start(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server._handle(self, "GET")

            def do_POST(self):
                server._handle(self, "POST")

            def do_PUT(self):
                server._handle(self, "PUT")

            def do_PATCH(self):
                server._handle(self, "PATCH")

            def do_DELETE(self):
                server._handle(self, "DELETE")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    # -- plumbing -------------------------------------------------------

    def _handle(self, h, method):
        split = urllib.parse.urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length).decode("utf-8", "replace") if length else ""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        with self._lock:
            self.requests.append({
                "method": method, "path": split.path,
                "query": urllib.parse.parse_qs(split.query),
                "headers": {k: v for k, v in h.headers.items()},
                "body": body})
        status, answer = self._route(method, split.path,
                                     urllib.parse.parse_qs(split.query),
                                     h.headers, raw, body)
        data = json.dumps(answer).encode()
        h.send_response(status)
        problem = status >= 400
        h.send_header("Content-Type", "application/problem+json" if problem
                      else "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    @staticmethod
    def _problem(status, title, detail=None):
        p = {"type": "about:blank", "title": title, "status": status}
        if detail:
            p["detail"] = detail
        return status, p

    def _route(self, method, path, query, headers, raw, body):
        if self.token is not None and \
                headers.get("Authorization") != f"Bearer {self.token}":
            return self._problem(401, "Unauthorized",
                                 "missing or invalid bearer token")
        if path in self.faults:
            return self.faults[path]
        pcs = self.pcs_prefix + "/transitions"
        routes = [(pcs, {"POST": self._pcs_create})]
        if self.backend == "ochami":
            routes.append(("/boot/v1/bootparameters",
                           {"GET": self._bss_get}))
        else:
            routes.append(("/apis/bos/v2/sessions",
                           {"POST": self._bos_session}))
        for route, handlers in routes:
            if path == route:
                if method not in handlers:
                    return self._problem(405, "Method Not Allowed")
                return handlers[method](query, raw, body)
        if path.startswith(pcs + "/"):
            if method != "GET":
                return self._problem(405, "Method Not Allowed")
            return self._pcs_get(path[len(pcs) + 1:])
        bos_tmpl = "/apis/bos/v2/sessiontemplates/"
        if self.backend == "csm" and path.startswith(bos_tmpl):
            if method != "GET":
                return self._problem(405, "Method Not Allowed")
            return self._bos_template(urllib.parse.unquote(
                path[len(bos_tmpl):]))
        return self._problem(404, "Not Found", f"no route for {path}")

    # -- PCS v1 ---------------------------------------------------------

    def _pcs_create(self, query, raw, body):
        if not raw:
            return self._problem(400, "Bad Request",
                                 "empty body not allowed")
        if not isinstance(body, dict):
            return self._problem(400, "Bad Request", "Unparseable json")
        op = body.get("operation")
        if not isinstance(op, str) or op.lower() not in PCS_OPERATIONS:
            return self._problem(400, "Bad Request", "Invalid operation")
        location = body.get("location")
        if not isinstance(location, list) or not all(
                isinstance(loc, dict) and isinstance(loc.get("xname"), str)
                for loc in location):
            return self._problem(400, "Bad Request", "Unparseable json")
        tid = str(uuid.uuid4())
        tasks = []
        for loc in location:
            x = loc["xname"]
            if not NODE_XNAME.match(x):
                tasks.append({"xname": x, "taskStatus": "failed",
                              "taskStatusDescription":
                                  "Failed to achieve transition",
                              "error": "Invalid xname"})
            elif x not in self.nodes:
                tasks.append({"xname": x, "taskStatus": "failed",
                              "taskStatusDescription":
                                  "Failed to achieve transition",
                              "error": "Missing xname"})
            else:
                tasks.append({"xname": x, "taskStatus": self.pcs_task_status,
                              "taskStatusDescription": "Gathering data"})
        operation = PCS_OPERATIONS[op.lower()]
        with self._lock:
            self.transitions[tid] = {
                "transitionID": tid,
                "createTime": "2026-12-01T12:00:00",
                "automaticExpirationTime": "2026-12-02T12:00:00Z",
                "transitionStatus": "in-progress",
                "operation": operation,
                "taskCounts": self._counts(tasks),
                "tasks": tasks}
        return 200, {"transitionID": tid, "operation": operation}

    @staticmethod
    def _counts(tasks):
        counts = {"total": len(tasks), "new": 0, "in-progress": 0,
                  "failed": 0, "succeeded": 0, "un-supported": 0}
        for t in tasks:
            key = {"unsupported": "un-supported"}.get(t["taskStatus"],
                                                      t["taskStatus"])
            counts[key] = counts.get(key, 0) + 1
        return counts

    def _pcs_get(self, tid):
        if not UUID.match(tid):
            return self._problem(400, "Bad Request",
                                 f"invalid UUID: {tid}")
        with self._lock:
            record = self.transitions.get(tid)
        if record is None:
            return self._problem(404, "Not Found",
                                 "TransitionID does not exist")
        return 200, record

    # -- BSS /boot/v1 ---------------------------------------------------

    def _bss_get(self, query, raw, body):
        names = [n for v in query.get("name", []) for n in v.split(",")]
        if not names:
            return 200, [dict(bp, hosts=[n])
                         for n, bp in self.boot_params.items()]
        found = [dict(self.boot_params[n], hosts=[n]) for n in names
                 if n in self.boot_params]
        if not found:
            return self._problem(
                404, "Not Found",
                "Cannot find boot parameters for requested Hosts")
        return 200, found

    # -- BOS v2 ---------------------------------------------------------

    def _bos_template(self, name):
        if name not in self.templates:
            return self._problem(404, "The resource was not found",
                                 f"Sessiontemplate {name} could not be "
                                 "found")
        return 200, dict(self.templates[name], name=name)

    def _bos_session(self, query, raw, body):
        if not isinstance(body, dict):
            return self._problem(400, "Bad Request",
                                 "Error parsing the data provided")
        extra = set(body) - BOS_SESSION_KEYS
        if extra:
            return self._problem(
                400, "Bad Request",
                f"Additional properties are not allowed: {sorted(extra)}")
        if body.get("operation") not in BOS_OPERATIONS:
            return self._problem(400, "Bad Request",
                                 "operation must be boot, reboot or shutdown")
        name = body.get("template_name")
        if not isinstance(name, str) or not name:
            return self._problem(400, "Bad Request",
                                 "'template_name' is a required property")
        limit = body.get("limit")
        if limit is not None and not isinstance(limit, str):
            return self._problem(400, "Bad Request",
                                 "limit must be a string")
        if name not in self.templates:
            return self._problem(400, "Bad Request",
                                 f"Session Template Name invalid: {name}")
        session = {
            "name": body.get("name") or str(uuid.uuid4()),
            "tenant": "",
            "operation": body["operation"],
            "template_name": name,
            "limit": limit or "",
            "stage": bool(body.get("stage", False)),
            "components": "",
            "include_disabled": bool(body.get("include_disabled", False)),
            "status": {"start_time": "2026-12-01T12:00:00",
                       "end_time": None, "status": "pending",
                       "error": None}}
        with self._lock:
            self.sessions.append(session)
        return 201, session
