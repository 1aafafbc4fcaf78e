// A model file that another process truncates while tpulab holds its Graph: with a memory
// mapping, the next touch of a constant died of SIGBUS; the reader now owns the bytes.
#include <gtest/gtest.h>
#include <unistd.h>

#include "model/tflite.h"
#include "testing/fashion_cnn.h"
#include "testing/testing.h"

namespace tpulab {
namespace {

TEST(ReadTflite, AGraphOutlivesTheTruncationOfItsFile) {
  testing::TempDir dir;
  const std::string path = (dir / "m.tflite").string();
  write_tflite_file(testing::fashion_cnn(), path);
  const std::vector<uint8_t> original = testing::read_bytes(path);
  const Graph g = read_tflite(path);
  ASSERT_EQ(::truncate(path.c_str(), 0), 0);
  uint64_t sum = 0, bytes = 0;
  for (const Tensor& t : g.main().tensors) {
    for (uint8_t b : t.data.span()) sum += b;
    bytes += t.data.size();
  }
  EXPECT_GT(bytes, 1000u);  // the weights were all read after the file lost them
  EXPECT_GT(sum, 0u);
  EXPECT_EQ(write_tflite(g), original);  // the writer is deterministic and lossless
}

}  // namespace
}  // namespace tpulab
