// The TLS transport: OpenSSL over two memory BIOs, on top of a plain Transport.
//
// Reading: read_some asks OpenSSL for plaintext; when OpenSSL needs more
// ciphertext, one read of the plain transport feeds the input BIO and the
// call retries. One task at a time reads the plain transport; another task
// that needs input meanwhile (the writer, in the middle of a handshake
// message) waits for that read to finish instead of reading itself.
//
// Writing: write_nowait encrypts plaintext record by record into the output
// BIO, moves the records to `out_` and hands them to the plain transport's
// write_nowait. It stops taking plaintext while kOutputLimit bytes of
// records wait to be sent, so the writer's buffer, not this one, holds the
// backlog and its drain() marks apply. flush() waits on the plain transport
// until the records are out.
//
// Records OpenSSL produces while reading (a TLS 1.3 KeyUpdate answer) go out
// the same way; what the kernel does not take at once stays in `out_`, which
// has_pending_output() reports and flush() sends.
#include "streams/tls.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>
#include <cstdint>

#include "aio/detail/wait_list.hpp"
#include "core/c_string.hpp"

namespace aio::detail {

namespace {

/// Ciphertext asked of the plain transport per read: one TLS record of the
/// largest size (16 KiB of data, plus header, padding and tag), so one read
/// gives OpenSSL at least one whole record to decrypt.
constexpr std::size_t kCipherReadChunk = 16 * 1024 + 512;
/// Plaintext handed to SSL_write at a time: one full record.
constexpr std::size_t kRecordData = 16 * 1024;
/// Encrypted bytes that may wait for the plain transport before write_nowait
/// stops taking plaintext (four full records: enough to keep a socket busy).
constexpr std::size_t kOutputLimit = 64 * 1024;

/// "[::1]" → "::1" (a bracketed IPv6 literal, as in URLs).
std::string strip_brackets(const std::string& host) {
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
    return host;
}

bool is_ip_literal(const std::string& host) {
    unsigned char buf[sizeof(in6_addr)];
    return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

/// Python's wording of a verification failure.
std::string verify_message(long code, const std::string& host) {
    if (code == X509_V_ERR_HOSTNAME_MISMATCH) return "Hostname mismatch, certificate is not valid for '" + host + "'.";
    if (code == X509_V_ERR_IP_ADDRESS_MISMATCH)
        return "IP address mismatch, certificate is not valid for '" + host + "'.";
    return X509_verify_cert_error_string(code);
}

std::string pem_of(X509* cert) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
        ERR_clear_error();
        return {};
    }
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

/// "CN=localhost,O=aio" (RFC 2253 order and escaping).
std::string subject_of(X509* cert) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    if (!bio || X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0) {
        ERR_clear_error();
        return {};
    }
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

class TlsTransport final : public Transport {
public:
    TlsTransport(std::unique_ptr<Transport> plain, SSLContext ctx, std::string hostname, bool server_side)
        : plain_(std::move(plain)), ctx_(std::move(ctx)), hostname_(strip_brackets(hostname)),
          server_side_(server_side) {}
    TlsTransport(const TlsTransport&) = delete;
    TlsTransport& operator=(const TlsTransport&) = delete;
    ~TlsTransport() override { SSL_free(ssl_); }  // and the two BIOs with it

    /// Makes the connection's SSL object. `received`: ciphertext already read.
    void setup(const std::string& received);
    Task<> handshake();

    Task<std::size_t> read_some(char* buf, std::size_t n) override;
    std::size_t write_nowait(std::string_view data) override;
    Task<> flush() override;
    bool has_pending_output() const noexcept override {
        return pending_output() > 0 || (wbio_ && BIO_ctrl_pending(wbio_) > 0) || plain_->has_pending_output();
    }
    Task<> write_eof() override;
    bool can_write_eof() const noexcept override { return plain_->can_write_eof(); }
    void close() noexcept override;
    int fd() const noexcept override { return plain_->fd(); }
    std::any extra_info(std::string_view name) const override;

private:
    std::size_t pending_output() const noexcept { return out_.size() - out_pos_; }
    /// Moves what OpenSSL wrote into the output BIO to out_.
    void collect_output();
    /// Hands out_ to the plain transport (what it takes now). Throws its errors.
    void push_output();
    void push_output_quietly() noexcept;
    /// Until out_ (and the plain transport's own buffer) is sent.
    Task<> send_output();
    /// One read of ciphertext into the input BIO (or waits for another
    /// task's read). Sets raw_eof_ at the plain transport's EOF.
    Task<> fill_input();
    /// Turns OpenSSL's error into the exception, makes it the connection's
    /// fate, sends the alert OpenSSL queued, and throws.
    [[noreturn]] void fail(int ssl_error);
    bool shutdown_allowed() const noexcept {
        return ssl_ && !error_ && !closed_ && SSL_is_init_finished(ssl_) && !(SSL_get_shutdown(ssl_) & SSL_SENT_SHUTDOWN);
    }
    /// Queues close_notify.
    void send_close_notify() noexcept;

    std::unique_ptr<Transport> plain_;
    SSLContext ctx_;  // keeps the ALPN list the server's callback reads alive
    std::string hostname_;
    bool server_side_;
    SSL* ssl_ = nullptr;
    BIO* rbio_ = nullptr;  // owned by ssl_
    BIO* wbio_ = nullptr;  // owned by ssl_

    std::string out_;  // records not yet taken by the plain transport, from out_pos_
    std::size_t out_pos_ = 0;
    std::unique_ptr<char[]> in_;  // kCipherReadChunk bytes, allocated at the first read

    bool reading_ = false;  // a task is in plain_->read_some
    WaitList read_waiters_;
    bool raw_eof_ = false;         // the plain transport reported EOF
    std::exception_ptr raw_error_;  // ... or failed
    bool tls_eof_ = false;         // close_notify received (or a tolerated ragged EOF)
    bool write_wants_read_ = false;
    bool closed_ = false;
    std::exception_ptr error_;  // a fatal TLS error: every later operation throws it
};

void TlsTransport::setup(const std::string& received) {
    const SSLContext::Impl& impl = *ctx_.impl();
    ssl_ = SSL_new(impl.ctx);
    if (!ssl_) throw SSLError(take_ssl_errors("cannot create a TLS connection"));
    rbio_ = BIO_new(BIO_s_mem());
    wbio_ = BIO_new(BIO_s_mem());
    if (!rbio_ || !wbio_) {
        BIO_free(rbio_);
        BIO_free(wbio_);
        rbio_ = wbio_ = nullptr;
        throw SSLError(take_ssl_errors("cannot create the TLS buffers"));
    }
    SSL_set_bio(ssl_, rbio_, wbio_);
    if (!received.empty()) BIO_write(rbio_, received.data(), static_cast<int>(received.size()));
    if (server_side_) {
        SSL_set_accept_state(ssl_);
        return;
    }
    SSL_set_connect_state(ssl_);
    // "localhost\0.example.com" would be sent and verified as "localhost".
    aio::detail::check_no_nul(hostname_);
    bool ip = is_ip_literal(hostname_);
    // SNI carries host names only (RFC 6066 §3).
    if (!hostname_.empty() && !ip && SSL_set_tlsext_host_name(ssl_, hostname_.c_str()) != 1)
        throw SSLError(take_ssl_errors("invalid server_hostname '" + hostname_ + "'"));
    if (impl.check_hostname) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, hostname_.c_str())
                    : X509_VERIFY_PARAM_set1_host(param, hostname_.c_str(), 0);
        if (ok != 1) throw SSLError(take_ssl_errors("invalid server_hostname '" + hostname_ + "'"));
    }
}

void TlsTransport::collect_output() {
    std::size_t n = BIO_ctrl_pending(wbio_);
    if (n == 0) return;
    if (out_pos_ == out_.size()) {
        out_.clear();
        out_pos_ = 0;
    }
    std::size_t old = out_.size();
    out_.resize(old + n);
    int got = BIO_read(wbio_, out_.data() + old, static_cast<int>(n));
    out_.resize(old + static_cast<std::size_t>(std::max(got, 0)));
}

void TlsTransport::push_output() {
    if (closed_ || out_pos_ == out_.size()) return;
    out_pos_ += plain_->write_nowait(std::string_view(out_).substr(out_pos_));
    if (out_pos_ == out_.size()) {
        if (out_.capacity() > 2 * kOutputLimit) out_ = std::string();  // a burst's memory goes back
        out_.clear();
        out_pos_ = 0;
    } else if (out_pos_ >= kOutputLimit) {
        out_.erase(0, out_pos_);
        out_pos_ = 0;
    }
}

void TlsTransport::push_output_quietly() noexcept {
    // From the read side: a dead socket is reported to the writer by its next
    // operation, and to the reader by its next read.
    try {
        push_output();
    } catch (...) {
    }
}

Task<> TlsTransport::send_output() {
    while (true) {
        push_output();
        if (pending_output() == 0 && !plain_->has_pending_output()) co_return;
        if (closed_) throw ConnectionAbortedError(ECONNABORTED, "the TLS connection was closed", "");
        co_await plain_->flush();
    }
}

Task<> TlsTransport::fill_input() {
    if (reading_) {
        ListWait done(read_waiters_);  // the read another task is doing ends
        co_await done;
        co_return;
    }
    if (raw_error_) std::rethrow_exception(raw_error_);
    reading_ = true;
    struct Reading {
        TlsTransport& t;
        ~Reading() {
            t.reading_ = false;
            t.read_waiters_.grant_all();
        }
    } reading{*this};
    if (!in_) in_ = std::make_unique_for_overwrite<char[]>(kCipherReadChunk);
    std::size_t n = 0;
    try {
        n = co_await plain_->read_some(in_.get(), kCipherReadChunk);
    } catch (const CancelledError&) {
        throw;  // nothing was read; the next read starts over
    } catch (...) {
        raw_error_ = std::current_exception();
        throw;
    }
    if (n == 0)
        raw_eof_ = true;
    else
        BIO_write(rbio_, in_.get(), static_cast<int>(n));
}

void TlsTransport::fail(int ssl_error) {
    std::exception_ptr e;
    unsigned long code = ERR_peek_last_error();
    if (ssl_error == SSL_ERROR_SSL && ERR_GET_LIB(code) == ERR_LIB_SSL &&
        ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
        ERR_clear_error();
        long result = SSL_get_verify_result(ssl_);
        e = std::make_exception_ptr(SSLCertVerificationError(result, verify_message(result, hostname_)));
    } else if (ssl_error == SSL_ERROR_SSL) {
        e = std::make_exception_ptr(SSLError(take_ssl_errors("TLS protocol error")));
    } else {
        e = std::make_exception_ptr(
            SSLError(take_ssl_errors("TLS failure (OpenSSL error " + std::to_string(ssl_error) + ")")));
    }
    error_ = e;
    collect_output();
    push_output_quietly();
    std::rethrow_exception(e);
}

Task<> TlsTransport::handshake() {
    std::size_t stalled_at = SIZE_MAX;
    while (true) {
        ERR_clear_error();
        int r = SSL_do_handshake(ssl_);
        int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, r);
        collect_output();
        if (r == 1) break;
        if (err != SSL_ERROR_WANT_READ) fail(err);
        // OpenSSL may stop after a message with input still buffered: go on
        // while it makes progress through it, else read more.
        std::size_t pending = BIO_ctrl_pending(rbio_);
        if (pending > 0 && pending != stalled_at) {
            stalled_at = pending;
            continue;
        }
        co_await send_output();
        if (raw_eof_) throw ConnectionResetError(ECONNRESET, "the peer closed the connection during the TLS handshake", "");
        co_await fill_input();
        stalled_at = SIZE_MAX;
    }
    co_await send_output();  // the last flight (a TLS 1.3 server's session tickets)
}

Task<std::size_t> TlsTransport::read_some(char* buf, std::size_t n) {
    if (n == 0) co_return 0;
    int want = static_cast<int>(std::min<std::size_t>(n, INT_MAX));
    std::size_t stalled_at = SIZE_MAX;
    while (true) {
        if (error_) std::rethrow_exception(error_);
        if (tls_eof_ || closed_) co_return 0;
        ERR_clear_error();
        int r = SSL_read(ssl_, buf, want);
        int err = r > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, r);
        collect_output();  // e.g. the answer to a KeyUpdate
        push_output_quietly();
        if (r > 0) co_return static_cast<std::size_t>(r);
        if (err == SSL_ERROR_ZERO_RETURN) {  // the peer's close_notify
            tls_eof_ = true;
            co_return 0;
        }
        if (err != SSL_ERROR_WANT_READ) fail(err);
        std::size_t pending = BIO_ctrl_pending(rbio_);
        if (pending > 0 && pending != stalled_at) {
            stalled_at = pending;
            continue;
        }
        if (raw_eof_) {
            // TCP ended without close_notify (see SSLContext::suppress_ragged_eofs).
            if (ctx_.suppress_ragged_eofs()) {
                tls_eof_ = true;
                co_return 0;
            }
            error_ = std::make_exception_ptr(SSLEOFError("EOF occurred in violation of protocol"));
            std::rethrow_exception(error_);
        }
        co_await fill_input();
        stalled_at = SIZE_MAX;
    }
}

std::size_t TlsTransport::write_nowait(std::string_view data) {
    if (error_) std::rethrow_exception(error_);
    push_output();
    std::size_t taken = 0;
    while (taken < data.size() && pending_output() < kOutputLimit) {
        std::size_t len = std::min(data.size() - taken, kRecordData);
        ERR_clear_error();
        int r = SSL_write(ssl_, data.data() + taken, static_cast<int>(len));
        int err = r > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, r);
        collect_output();
        if (r > 0) {
            taken += static_cast<std::size_t>(r);
            write_wants_read_ = false;
            continue;
        }
        // OpenSSL needs the peer's next handshake message first; flush() waits
        // for it. (aio refuses TLS 1.2 renegotiation, the usual cause.)
        if (err == SSL_ERROR_WANT_READ) {
            write_wants_read_ = true;
            break;
        }
        fail(err);
    }
    push_output();
    return taken;
}

Task<> TlsTransport::flush() {
    if (error_) std::rethrow_exception(error_);
    co_await send_output();
    if (write_wants_read_) {
        if (raw_eof_) throw ConnectionResetError(ECONNRESET, "the peer closed the TLS connection", "");
        co_await fill_input();
    }
}

void TlsTransport::send_close_notify() noexcept {
    ERR_clear_error();
    SSL_shutdown(ssl_);  // queues close_notify; never waits for the peer's
    ERR_clear_error();
    collect_output();
}

Task<> TlsTransport::write_eof() {
    if (error_) std::rethrow_exception(error_);
    if (shutdown_allowed()) send_close_notify();
    co_await send_output();
    co_await plain_->write_eof();
}

void TlsTransport::close() noexcept {
    if (closed_) return;
    // close_notify, if the socket takes it at once: a peer that reads to EOF
    // then knows the data is complete.
    if (shutdown_allowed()) send_close_notify();
    push_output_quietly();
    closed_ = true;
    plain_->close();
}

std::any TlsTransport::extra_info(std::string_view name) const {
    if (name == "ssl_object") return static_cast<void*>(ssl_);
    if (name == "sslcontext") return ctx_;
    if (name == "peercert" || name == "peercert_subject") {
        X509* cert = SSL_get0_peer_certificate(ssl_);
        if (!cert) return {};
        if (name == "peercert") return pem_of(cert);
        return subject_of(cert);
    }
    if (name == "cipher") {
        const char* c = SSL_get_cipher_name(ssl_);
        if (!c) return {};
        return std::string(c);
    }
    if (name == "version") return std::string(SSL_get_version(ssl_));
    if (name == "alpn_protocol") {
        const unsigned char* p = nullptr;
        unsigned len = 0;
        SSL_get0_alpn_selected(ssl_, &p, &len);
        if (len == 0) return {};
        return std::string(reinterpret_cast<const char*>(p), len);
    }
    if (name == "server_hostname") {
        // Client: the name it asked for; server: the SNI the client sent.
        if (!server_side_) return hostname_.empty() ? std::any() : std::any(hostname_);
        const char* sni = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
        if (!sni) return {};
        return std::string(sni);
    }
    return plain_->extra_info(name);
}

}  // namespace

Task<std::unique_ptr<Transport>> tls_handshake(std::unique_ptr<Transport> plain, SSLContext ctx, bool server_side,
                                               std::string server_hostname, std::string received) {
    if (server_side && !ctx.server_side())
        throw ValueError("a server needs a server-side SSLContext (create_default_context(Purpose::CLIENT_AUTH))");
    if (!server_side && ctx.server_side())
        throw ValueError("a client needs a client-side SSLContext (create_default_context())");
    if (!server_side && ctx.check_hostname() && server_hostname.empty())
        throw ValueError("check_hostname requires server_hostname");
    auto t = std::make_unique<TlsTransport>(std::move(plain), std::move(ctx), std::move(server_hostname), server_side);
    t->setup(received);
    co_await t->handshake();
    co_return std::unique_ptr<Transport>(std::move(t));
}

Task<std::unique_ptr<Transport>> tls_handshake(std::unique_ptr<Transport> plain, SSLContext ctx, bool server_side,
                                               std::string server_hostname) {
    return tls_handshake(std::move(plain), std::move(ctx), server_side, std::move(server_hostname), std::string());
}

}  // namespace aio::detail
