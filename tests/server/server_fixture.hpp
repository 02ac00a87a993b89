// server_fixture.hpp - test helpers: models written to a temporary folder, an in-process server
// on port 0, and a cpp-httplib client for it.
#pragma once

#include <httplib.h>
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "server/server.hpp"
#include "tests/util/model_builder.hpp"

namespace rtml::test {

inline std::string temp_dir() {
  char tmpl[] = "/tmp/rtml_server_test_XXXXXX";
  const char* d = mkdtemp(tmpl);
  return d ? d : "/tmp";
}

inline void write_file(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// A model whose outputs are its inputs (no nodes): every dtype goes through the codec both ways.
inline std::string passthrough_model(const std::vector<std::pair<std::string, DType>>& ins,
                                     std::vector<int64_t> dims = {-1, 4}) {
  ModelBuilder b;
  for (auto& [n, t] : ins) b.input(n, t, dims);
  for (auto& [n, t] : ins) b.output(n, t, dims, true);
  return b.bytes();
}

struct TestServer {
  std::unique_ptr<server::Server> s;
  int port = 0;
  explicit TestServer(server::ServeOptions o) {
    signal(SIGPIPE, SIG_IGN);  // a client writing into a closed connection gets an error instead
    o.port = 0;
    o.host = "127.0.0.1";
    o.quiet = true;
    if (o.threads == 0) o.threads = 2;
    s = std::make_unique<server::Server>(o);
    std::string err;
    if (!s->start(&err)) ADD_FAILURE() << "server did not start: " << err;
    port = s->port();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_keep_alive(true);
    c.set_tcp_nodelay(true);
    c.set_read_timeout(10, 0);
    return c;
  }
};

}  // namespace rtml::test
