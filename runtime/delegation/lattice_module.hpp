#pragma once

/// The `pact-lattice` module: pact's gRPC client of the lattice scheduler
/// (docs/delegation.md), loaded by `pact` and `pact-mcp` only when a
/// lattice command or tool runs (lattice_client.hpp loads it).
///
/// Why a module: gRPC and its ~50 shared libraries (abseil, c-ares, re2,
/// upb) cost every process that links them about 5 ms of dynamic loading
/// at start, which would double the start of every `pact` invocation
/// (docs/benchmarks.md, "The CLI's own start") for the few commands that
/// talk to lattice. The module also needs protobuf's full runtime (its
/// JSON mapping uses reflection) while pact's programs link the lite one;
/// the two must not share a symbol space, so the module is opened with
/// RTLD_LOCAL | RTLD_DEEPBIND and exchanges only C strings.
///
/// The interface is C and JSON, versioned by pact_lattice_abi():
///
/// Call (UTF-8 JSON object):
///   endpoint     "https://host:port" (TLS, the default without a scheme)
///                or "http://host:port" (plaintext)
///   token        bearer token sent as `authorization: Bearer TOKEN`;
///                empty: none
///   ca_bundle    PEM file of the CAs trusted for an https endpoint; empty:
///                the system's roots
///   deadline_ms  per-call deadline (pact uses 5000)
///   method       "NodeService/DrainNode", …: a service of package
///                lattice.v1 and one of its methods in the module's
///                schema (runtime/delegation/proto)
///   request      the request message in proto3 JSON, fields named as in
///                the schema (unknown fields are an error)
///
/// Answer (malloc'ed, NUL-terminated JSON; free with pact_lattice_free):
///   {"ok": true, "response": {…}}   the response in proto3 JSON with
///       the schema's field names, every field present, 64-bit integers as
///       numbers, Timestamps as RFC 3339 strings
///   {"ok": false, "exit_code": N, "message": "…", "code": "UNAVAILABLE"}
///       the failure in pact's words (exit codes of DESIGN.md §6, the
///       endpoint named; no gRPC or OpenSSL text), and the gRPC status
///       code's name

extern "C" {

/// The interface version; the loader refuses a module of another.
int pact_lattice_abi(void);

/// Performs one unary call as described above; never returns null.
char* pact_lattice_call(const char* call_json);

/// Frees an answer of pact_lattice_call.
void pact_lattice_free(char* answer);

} // extern "C"

/// The version this build's loader and module speak.
#define PACT_LATTICE_ABI_VERSION 1
