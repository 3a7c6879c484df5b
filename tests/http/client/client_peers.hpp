// Real peers for the HTTP client tests: processes started on loopback ports
// chosen at run time and killed when the guard goes.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "support/support.hpp"

namespace aio::test {

/// The Python aiohttp test server (tests/http/client/peers/aiohttp_server.py).
inline std::string aiohttp_server_command() {
    return "/usr/bin/python3 " + source_path("tests/http/client/peers/aiohttp_server.py") + " {port}";
}
/// The misbehaving raw server (tests/http/client/peers/faulty_server.py).
inline std::string faulty_server_command() {
    return "/usr/bin/python3 " + source_path("tests/http/client/peers/faulty_server.py") + " {port}";
}

inline void write_file(const std::string& path, const std::string& data) {
    std::ofstream f(path, std::ios::binary);
    f << data;
}

/// A test suite sharing one peer server, started once per suite by the
/// command Command() returns.
template <std::string (*Command)()>
class PeerSuite : public ::testing::Test {
protected:
    static void SetUpTestSuite() { server_ = new PeerServer(Command(), free_port()); }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    void SetUp() override { ASSERT_TRUE(server_->up) << server_->why; }
    static std::string url(const std::string& path) { return server_->base() + path; }
    static inline PeerServer* server_ = nullptr;
};

}  // namespace aio::test
