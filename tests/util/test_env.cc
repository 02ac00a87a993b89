// test_env.cc - locating ../shared and the rtml command for tests.
#include "tests/util/test_env.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace rtml::test {

std::string shared_dir() {
  const char* d = std::getenv("RTML_SHARED_DIR");
  if (d && *d && std::filesystem::is_directory(d)) return d;
  return "";
}
std::string rtml_binary() {
  const char* d = std::getenv("RTML_BINARY");
  return d ? d : "";
}
std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace rtml::test
