// TLS over a byte-stream transport (OpenSSL with memory BIOs), and the state
// behind aio::SSLContext.
//
// The TLS transport never touches a socket itself: OpenSSL reads ciphertext
// from one memory BIO and writes ciphertext to another, and the transport
// moves bytes between those BIOs and the plain transport underneath. So every
// wait is a wait of the plain transport, and the OpenSSL calls never block.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aio/ssl.hpp"
#include "aio/streams.hpp"

namespace aio {

/// What an SSLContext handle shares: the OpenSSL context and the settings
/// OpenSSL does not keep (or keeps only per connection).
struct SSLContext::Impl {
    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl() { SSL_CTX_free(ctx); }

    SSL_CTX* ctx = nullptr;
    bool server_side = false;
    bool check_hostname = false;
    VerifyMode verify_mode = VerifyMode::CERT_NONE;
    bool suppress_ragged_eofs = true;
    std::vector<std::string> alpn;
    /// `alpn` in the wire format (length-prefixed names), which the server's
    /// selection callback reads.
    std::string alpn_wire;
};

namespace detail {

/// Runs the TLS handshake over `plain` (client or server side) and returns the
/// TLS transport. Client side: SNI and host name verification use
/// server_hostname (SNI is not sent for an IP address). Throws ValueError
/// for a context of the other side, or check_hostname without a name;
/// SSLCertVerificationError when the peer's certificate does not verify;
/// SSLError for any other TLS failure; ConnectionResetError when the peer
/// closes during the handshake; the plain transport's errors.
Task<std::unique_ptr<Transport>> tls_handshake(std::unique_ptr<Transport> plain, SSLContext ctx, bool server_side,
                                               std::string server_hostname);

/// The same, for a connection whose first bytes of ciphertext were already
/// read from `plain` (start_tls on a stream whose reader buffered them).
Task<std::unique_ptr<Transport>> tls_handshake(std::unique_ptr<Transport> plain, SSLContext ctx, bool server_side,
                                               std::string server_hostname, std::string received);

/// OpenSSL's error queue as Python words it ("[SSL: WRONG_VERSION_NUMBER]
/// wrong version number"), or `fallback` when it is empty. Clears the queue.
std::string take_ssl_errors(std::string_view fallback);

}  // namespace detail
}  // namespace aio
