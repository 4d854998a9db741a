// The agent's metrics (issue 18 item 3; docs/operations.md "Metrics and
// alerts"): bounded labels, restarts counted across service actors, the
// commit window's phase, and GPU series that go with their device. The
// registry is the process's, so each case reads what it changed.

#include <doctest/doctest.h>

#include "actors/agent/agent_metrics.hpp"

namespace pact::agent {

namespace {

/// The value of the sample `series` (name and labels as rendered), or -1.
double sample(const std::string& series) {
  auto text = agent_metrics::get().render();
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos)
    return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

} // namespace

TEST_CASE("exec results are counted by a bounded label, started is not") {
  auto& m = agent_metrics::get();
  auto ok = sample("pact_agent_exec_total{result=\"ok\"}");
  auto nonzero = sample("pact_agent_exec_total{result=\"nonzero_exit\"}");
  CHECK(ok >= 0); // exists before the first exec
  m.exec_recorded("started", 0, false);
  m.exec_recorded("finished", 0, false);
  m.exec_recorded("finished", 2, false);
  m.exec_recorded("finished", -1, true);
  m.exec_recorded("refused", 0, false);
  CHECK(sample("pact_agent_exec_total{result=\"ok\"}") == ok + 1);
  CHECK(sample("pact_agent_exec_total{result=\"nonzero_exit\"}")
        == nonzero + 1);
  CHECK(sample("pact_agent_exec_total{result=\"timed_out\"}") >= 1);
  CHECK(sample("pact_agent_exec_total{result=\"refused\"}") >= 1);
  CHECK(sample("pact_agent_exec_total{result=\"started\"}") == -1);
}

TEST_CASE("service restarts add up across a service actor's restart") {
  auto& m = agent_metrics::get();
  m.service_restarts("web", 0);
  CHECK(sample("pact_agent_service_restarts_total{service=\"web\"}") == 0);
  m.service_restarts("web", 2);
  m.service_restarts("web", 2); // the same report again
  CHECK(sample("pact_agent_service_restarts_total{service=\"web\"}") == 2);
  m.service_restarts("web", 1); // a new actor counts from 0
  CHECK(sample("pact_agent_service_restarts_total{service=\"web\"}") == 3);
}

TEST_CASE("services by state: states no longer present go to 0") {
  auto& m = agent_metrics::get();
  m.services({{"running", 2}, {"backoff", 1}});
  CHECK(sample("pact_agent_services{state=\"running\"}") == 2);
  CHECK(sample("pact_agent_services{state=\"backoff\"}") == 1);
  m.services({{"running", 3}});
  CHECK(sample("pact_agent_services{state=\"backoff\"}") == 0);
  CHECK(sample("pact_agent_services{state=\"failed\"}") == 0);
}

TEST_CASE("the commit window's phase is one of three series at 1") {
  auto& m = agent_metrics::get();
  m.drift_state(2, node::window_phase::open, 1'800'000'000'000);
  CHECK(sample("pact_agent_drift_items") == 2);
  CHECK(sample("pact_agent_commit_window_state{state=\"open\"}") == 1);
  CHECK(sample("pact_agent_commit_window_state{state=\"closed\"}") == 0);
  CHECK(sample("pact_agent_commit_window_end_timestamp_seconds")
        == doctest::Approx(1'800'000'000));
  m.drift_state(0, node::window_phase::closed, 1'800'000'000'000);
  CHECK(sample("pact_agent_commit_window_state{state=\"closed\"}") == 1);
  CHECK(sample("pact_agent_commit_window_end_timestamp_seconds") == 0);
}

TEST_CASE("drift records are labelled by kind, records by entry type") {
  auto& m = agent_metrics::get();
  auto before = sample("pact_agent_drift_records_total{kind=\"window_"
                       "expired\"}");
  CHECK(before >= 0);
  protocol::JournalCommand cmd;
  cmd.set_kind(protocol::COMMAND_KIND_RECORD);
  cmd.set_record_type(protocol::ENTRY_TYPE_WINDOW_EXPIRED);
  m.drift_record(cmd);
  CHECK(sample("pact_agent_drift_records_total{kind=\"window_expired\"}")
        == before + 1);
  cmd.set_kind(protocol::COMMAND_KIND_DRIFT_DETECTED);
  m.drift_record(cmd);
  CHECK(sample("pact_agent_drift_records_total{kind=\"drift_detected\"}") >= 1);
}

TEST_CASE("a GPU that goes takes its series with it") {
  auto& m = agent_metrics::get();
  node::gpu_poll p;
  p.status = "ok";
  p.tool = "nvidia-smi";
  for (uint32_t i = 0; i < 2; ++i) {
    node::gpu_device d;
    d.index = i;
    d.temperature_c = 40 + i;
    d.ecc_uncorrected = 0;
    p.report.devices.push_back(d);
  }
  p.report.devices[1].throttle_reasons = {"hw_thermal_slowdown"};
  m.gpu_polled(p);
  CHECK(sample("pact_agent_gpu_devices") == 2);
  CHECK(sample("pact_agent_gpu_temperature_celsius{gpu=\"1\"}") == 41);
  CHECK(sample("pact_agent_gpu_throttled{gpu=\"0\"}") == 0);
  CHECK(sample("pact_agent_gpu_throttled{gpu=\"1\"}") == 1);
  p.report.devices.pop_back();
  p.status = "error: nvidia-smi exited 9";
  m.gpu_polled(p);
  CHECK(sample("pact_agent_gpu_devices") == 1);
  CHECK(sample("pact_agent_gpu_tool_failed") == 1);
  CHECK(sample("pact_agent_gpu_temperature_celsius{gpu=\"1\"}") == -1);
  CHECK(sample("pact_agent_gpu_temperature_celsius{gpu=\"0\"}") == 40);
}

} // namespace pact::agent
