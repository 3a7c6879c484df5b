// aio/ssl.hpp — TLS configuration (Python's ssl.SSLContext), on OpenSSL 3.
//
//     auto ctx = aio::create_default_context();             // verify peers, check host names
//     ctx.load_verify_locations("ca.pem");
//     auto [r, w] = co_await aio::open_connection("example.org", 443, {.ssl = ctx});
//
//     auto srv = aio::create_default_context(aio::Purpose::CLIENT_AUTH);   // a server's context
//     srv.load_cert_chain("cert.pem", "key.pem");
//
// An SSLContext is a shared handle: copies refer to the same configuration
// (as Python objects do). Configure it before the first connection uses it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "aio/exceptions.hpp"

namespace aio {

/// A TLS failure (Python's ssl.SSLError, an OSError): the library's reason.
class SSLError : public OSError {
public:
    /// A TLS failure described by `message` (what()); the errno is 0.
    explicit SSLError(std::string message) : OSError(0, std::move(message), {}) {}
};

/// The peer's certificate did not verify (ssl.SSLCertVerificationError):
/// untrusted issuer, expired, wrong host name, ... — verify_message() says which.
class SSLCertVerificationError : public SSLError {
public:
    /// The certificate did not verify: `verify_code` is OpenSSL's X509
    /// verification result, `verify_message` its text. what() is Python's
    /// "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: <message>".
    SSLCertVerificationError(long verify_code, std::string verify_message);
    /// OpenSSL's verification result (an X509_V_ERR_... code, e.g. 10 for an
    /// expired certificate; ssl's verify_code).
    long verify_code() const noexcept { return code_; }
    /// OpenSSL's text for verify_code() ("certificate has expired"; ssl's verify_message).
    const std::string& verify_message() const noexcept { return reason_; }

private:
    long code_;
    std::string reason_;
};

/// The peer closed the TCP connection without TLS's close_notify
/// (ssl.SSLEOFError: "EOF occurred in violation of protocol"). Reads report it
/// only when the context's suppress_ragged_eofs is off; see there.
class SSLEOFError : public SSLError {
public:
    using SSLError::SSLError;
};

/// What a context is for (ssl.Purpose). SERVER_AUTH: a client's context, which
/// authenticates servers; CLIENT_AUTH: a server's context.
enum class Purpose { SERVER_AUTH, CLIENT_AUTH };

/// ssl.VerifyMode.
enum class VerifyMode { CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED };
inline constexpr VerifyMode CERT_NONE = VerifyMode::CERT_NONE;
inline constexpr VerifyMode CERT_OPTIONAL = VerifyMode::CERT_OPTIONAL;
inline constexpr VerifyMode CERT_REQUIRED = VerifyMode::CERT_REQUIRED;

/// ssl.TLSVersion (the ones aio allows).
enum class TLSVersion { TLSv1_2, TLSv1_3 };

/// TLS settings for connections (Python's ssl.SSLContext): trusted CAs, this
/// side's certificate, peer verification, ALPN, protocol versions. A shared
/// handle: copies refer to the same configuration, which lives while any copy
/// or connection made with it does. Configure it before the first connection
/// uses it; the setters are not thread-safe.
class SSLContext {
public:
    /// A bare context: client side (server_side = false) verifies nothing
    /// until configured; prefer create_default_context().
    explicit SSLContext(bool server_side = false);

    /// True for a server's context, false for a client's (as constructed).
    bool server_side() const noexcept;
    /// Trusts the CA certificates in cafile (PEM) and/or the directory capath.
    /// Throws SSLError / FileNotFoundError; ValueError for a path holding a NUL byte.
    void load_verify_locations(const std::string& cafile, const std::string& capath = {});
    /// Trusts PEM certificates given as text (Python's cadata=).
    void load_verify_data(const std::string& pem);
    /// Trusts the system's CA store (/etc/ssl/certs).
    void load_default_certs();
    /// This side's certificate chain and private key (PEM files). Throws
    /// SSLError when they do not match, FileNotFoundError when missing, ValueError
    /// for a path holding a NUL byte.
    void load_cert_chain(const std::string& certfile, const std::string& keyfile = {},
                         const std::string& password = {});

    /// Whether the peer's certificate must name the host connected to (ssl.SSLContext.check_hostname).
    bool check_hostname() const noexcept;
    /// Verify that the peer's certificate names the host connected to.
    /// Setting true while verify_mode is CERT_NONE also sets it to
    /// CERT_REQUIRED (as Python).
    void set_check_hostname(bool on);
    /// How the peer's certificate is verified (ssl.SSLContext.verify_mode).
    VerifyMode verify_mode() const noexcept;
    /// Throws ValueError for CERT_NONE while check_hostname is on (as Python).
    void set_verify_mode(VerifyMode mode);
    /// ALPN protocols to offer (client) or accept (server), e.g. {"http/1.1"}.
    void set_alpn_protocols(const std::vector<std::string>& protocols);
    /// The ALPN protocols set by set_alpn_protocols(), in order.
    const std::vector<std::string>& alpn_protocols() const noexcept;
    /// The oldest TLS version to negotiate (ssl.SSLContext.minimum_version; TLS 1.2 by default).
    void set_minimum_version(TLSVersion v);
    /// The newest TLS version to negotiate (ssl.SSLContext.maximum_version; TLS 1.3 by default).
    void set_maximum_version(TLSVersion v);
    /// OpenSSL cipher list (TLS 1.2); throws SSLError when none matches.
    void set_ciphers(const std::string& ciphers);
    /// What a read does when the peer closes the TCP connection without
    /// sending close_notify first (a "ragged EOF"). On (the default, as
    /// Python's wrap_socket(suppress_ragged_eofs=True) and asyncio's TLS
    /// streams): it is reported as an ordinary EOF, and protocols that frame
    /// their messages (HTTP's Content-Length, chunked encoding) detect a
    /// truncated message themselves. Off: the read throws SSLEOFError, so that
    /// a truncation attack cannot pass for the end of the data.
    bool suppress_ragged_eofs() const noexcept;
    /// Sets suppress_ragged_eofs() (see there).
    void set_suppress_ragged_eofs(bool on);

    /// The OpenSSL SSL_CTX* (for what aio does not wrap).
    void* native_handle() const noexcept;

    struct Impl;
    /// The shared configuration (for aio's TLS streams; not for users).
    std::shared_ptr<Impl> impl() const noexcept { return impl_; }

private:
    std::shared_ptr<Impl> impl_;
};

/// ssl.create_default_context: TLS 1.2+, the system CA store, and for
/// SERVER_AUTH (a client's context) CERT_REQUIRED with host name checks.
/// A CLIENT_AUTH (server) context verifies no client certificate unless asked.
SSLContext create_default_context(Purpose purpose = Purpose::SERVER_AUTH, const std::string& cafile = {});

/// What `ssl=` accepts (as aiohttp/asyncio): nothing or `false` for plain
/// TCP, `true` for create_default_context(), or a context.
using SSLOption = std::variant<std::monostate, bool, SSLContext>;

}  // namespace aio
