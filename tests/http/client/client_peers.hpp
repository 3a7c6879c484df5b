// Real peers for the HTTP client tests: processes started on loopback ports
// chosen at run time and killed when the guard goes.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <fstream>
#include <string>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AIO_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(AIO_TEST_ASAN)
#define AIO_TEST_ASAN 1
#endif
#ifdef AIO_TEST_ASAN
// From the sanitizer runtime (<sanitizer/allocator_interface.h>, which g++ 12
// does not ship): the bytes the program holds allocated now.
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

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

/// Shell commands making, in directory `dir`, a test CA (ca.pem, ca.key)
/// and a server certificate it signed for localhost and 127.0.0.1
/// (server.pem, server.key), with `www/` and `tmp/` for nginx; ends with
/// " && " so that more commands can follow.
inline std::string make_test_ca_commands(const std::string& dir) {
    return "cd " + dir + " && mkdir -p www tmp && "
           "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=aio-test-ca "
           ">/dev/null 2>&1 && "
           "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost "
           ">/dev/null 2>&1 && "
           "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ext.cnf && "
           "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
           "-extfile ext.cnf >/dev/null 2>&1 && ";
}

inline void write_file(const std::string& path, const std::string& data) {
    std::ofstream f(path, std::ios::binary);
    f << data;
}

/// Watches how far memory grows from its construction: sample() as often as
/// the work allows, growth_kib() is the largest growth seen. Without ASan
/// the kernel's peak RSS (VmHWM, reset at the start through clear_refs) is
/// read, which needs no sampling; under ASan, whose quarantine keeps freed
/// memory resident, the allocator's count of live heap bytes is sampled.
class MemoryGrowth {
public:
    MemoryGrowth() {
#ifdef AIO_TEST_ASAN
        start_ = static_cast<long>(__sanitizer_get_current_allocated_bytes() / 1024);
#else
        {
            std::ofstream clear("/proc/self/clear_refs");
            clear << "5";  // VmHWM := VmRSS
        }
        start_ = status_kib("VmRSS");
#endif
        peak_ = start_;
    }
    void sample() {
#ifdef AIO_TEST_ASAN
        peak_ = std::max(peak_, static_cast<long>(__sanitizer_get_current_allocated_bytes() / 1024));
#endif
    }
    long growth_kib() {
#ifndef AIO_TEST_ASAN
        peak_ = status_kib("VmHWM");
#endif
        return peak_ - start_;
    }

private:
    static long status_kib(const std::string& field) {
        std::ifstream f("/proc/self/status");
        std::string line;
        while (std::getline(f, line))
            if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
        return -1;
    }
    long start_ = 0;
    long peak_ = 0;
};

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
