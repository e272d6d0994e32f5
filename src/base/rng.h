// Seeded random streams. A stream is identified by (job seed, item id, purpose), never by the rank,
// so that a run gives the same per-item draws on any number of ranks. The generator is
// xoshiro256** seeded through SplitMix64; normals use the Box–Muller transform.
// Rng is a small value type: copy it to fork a stream; not thread-safe (one per thread).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace t2 {

// Purposes of random streams; add new ones at the end (values are part of reproducibility).
enum class RngPurpose : uint64_t {
  generic = 0,
  sampling = 1,      // token sampling during generation
  shuffle = 2,       // dataset shuffles and few-shot selection
  init = 3,          // parameter initialisation
  cem = 4,           // CEM population draws
  batch = 5,         // REINFORCE batch draws
};

class Rng {
 public:
  explicit Rng(uint64_t seed);
  // The stream for one (seed, item, purpose) triple.
  static Rng stream(uint64_t seed, uint64_t item, RngPurpose purpose);

  uint64_t next_u64();
  // Uniform in [0, 1) with 53 random bits.
  double uniform();
  // Uniform integer in [0, n) without modulo bias. n > 0.
  uint64_t below(uint64_t n);
  // Standard normal N(0, 1).
  double normal();

  // Raw state, for checkpoints that must resume exactly.
  std::array<uint64_t, 4> state() const { return s_; }
  void set_state(const std::array<uint64_t, 4>& s) { s_ = s; }

 private:
  std::array<uint64_t, 4> s_{};
};

// SplitMix64 step: used for seeding and for hashing ids into seeds.
uint64_t splitmix64(uint64_t& state);

// A stable 64-bit hash of a string (FNV-1a), for turning string ids into stream items.
uint64_t hash_string(std::string_view s);

}  // namespace t2
