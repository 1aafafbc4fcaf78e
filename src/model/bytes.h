// Bytes: an immutable, shareable byte buffer. Constant tensor data read from a model points
// straight into the file mapping (zero-copy); edited or generated data owns its vector.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

namespace tpulab {

class Bytes {
 public:
  Bytes() = default;
  // Owns the vector.
  static Bytes own(std::vector<uint8_t> data) {
    auto holder = std::make_shared<const std::vector<uint8_t>>(std::move(data));
    return Bytes({holder->data(), holder->size()}, holder);
  }
  static Bytes copy(std::span<const uint8_t> data) {
    return own(std::vector<uint8_t>(data.begin(), data.end()));
  }
  // Views memory kept alive by `keepalive` (e.g. the file mapping).
  static Bytes view(std::span<const uint8_t> data, std::shared_ptr<const void> keepalive) {
    return Bytes(data, std::move(keepalive));
  }

  std::span<const uint8_t> span() const { return span_; }
  const uint8_t* data() const { return span_.data(); }
  size_t size() const { return span_.size(); }
  bool empty() const { return span_.empty(); }
  // Same memory (not just equal contents): used to keep shared buffers shared on write.
  bool same_storage(const Bytes& o) const {
    return span_.data() == o.span_.data() && span_.size() == o.span_.size();
  }
  template <typename T>
  std::span<const T> as() const {
    return {reinterpret_cast<const T*>(span_.data()), span_.size() / sizeof(T)};
  }

  friend bool operator==(const Bytes& a, const Bytes& b) {
    return a.size() == b.size() && (a.size() == 0 || std::memcmp(a.data(), b.data(), a.size()) == 0);
  }

 private:
  Bytes(std::span<const uint8_t> s, std::shared_ptr<const void> keepalive)
      : span_(s), keepalive_(std::move(keepalive)) {}
  std::span<const uint8_t> span_;
  std::shared_ptr<const void> keepalive_;
};

}  // namespace tpulab
