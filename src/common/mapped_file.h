// Read-only memory-mapped file: models are read zero-copy from the mapping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace tpulab {

class MappedFile {
 public:
  // Maps `path` read-only. Throws IoError when it cannot be opened or mapped.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

 private:
  void release() noexcept;
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Writes `bytes` to `path` atomically (temporary file + rename), so an interrupted
// write never leaves a truncated file behind.
void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes);

}  // namespace tpulab
