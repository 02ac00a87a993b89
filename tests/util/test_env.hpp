// test_env.hpp - where the tests find ../shared and the built `rtml` command.
#pragma once
#include <string>

namespace rtml::test {
// The shared/ folder (RTML_SHARED_DIR), or "" when absent: tests that need it GTEST_SKIP() with
// a message saying so.
std::string shared_dir();
std::string rtml_binary();
std::string read_file(const std::string& path);
}  // namespace rtml::test
