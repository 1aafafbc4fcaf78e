// Load generators: how requests arrive at a system.
//   closed    N requests in flight per model: each completion lets the next one in (a client
//             that waits for answers; N large enough keeps every stage busy);
//   poisson   open loop, exponential gaps at a mean rate (independent clients);
//   periodic  open loop, one request every 1/rate (a camera).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace tpulab::pipeline {

enum class LoadKind { kClosed, kPoisson, kPeriodic };

// "closed" / "poisson" / "periodic" (UsageError otherwise) and back.
LoadKind parse_load_kind(const std::string& name);
std::string load_kind_name(LoadKind kind);

struct Workload {
  LoadKind kind = LoadKind::kClosed;
  int64_t requests = 1000;  // per model
  int in_flight = 0;        // closed: outstanding requests per model; 0 = 2 per stage it runs on
  double rate_ips = 0;      // open loops: arrivals per second, per model
  uint64_t seed = 1;        // poisson
};

// The load a user means by `name` ("closed", "poisson", "periodic"; UsageError otherwise), or
// without one by a rate: an arrival rate alone means independent clients (poisson), no rate a
// closed loop.
LoadKind load_kind_or_default(const std::string& name, double rate_ips);

// Throws FieldError for requests < 1, a negative in_flight, an open loop without a rate > 0, an
// infinite rate, a rate on a closed loop, or an in_flight on an open loop.
void check_workload(const Workload& w);

// The arrival times in ms from 0 of an open-loop workload's requests for model `model`, one at a
// time, so a long run does not hold them all. Each model draws its own Poisson stream from the
// seed: the same run twice gives the same arrivals. Throws UsageError for a closed loop or a bad
// workload.
class Arrivals {
 public:
  Arrivals(const Workload& w, size_t model);
  // The next request's arrival (the workload's request count is the caller's to keep).
  double next();

 private:
  bool periodic_;
  double gap_ms_;
  int64_t index_ = 0;
  double now_ms_ = 0;
  std::mt19937_64 rng_;
  std::exponential_distribution<double> gap_;
};

// All of Arrivals' times for `model`. Empty for a closed loop.
std::vector<double> arrival_times(const Workload& w, size_t model);

}  // namespace tpulab::pipeline
