// aio::SSLContext on OpenSSL 3: Python's ssl.SSLContext defaults and rules.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>

#include "aio/ssl.hpp"
#include "core/c_string.hpp"
#include "streams/tls.hpp"

namespace aio {

namespace {

/// Python's default cipher list for TLS 1.2 (Lib/ssl.py, _DEFAULT_CIPHERS
/// since 3.10): forward secrecy and AEAD first, no SHA-1, no DSS, no CCM.
/// TLS 1.3 suites are OpenSSL's defaults.
constexpr const char* kDefaultCiphers =
    "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM";

/// Hands OpenSSL the password for an encrypted key; with none given, fails
/// at once instead of letting OpenSSL prompt on the terminal.
int password_callback(char* buf, int size, int /*rwflag*/, void* userdata) {
    const auto* password = static_cast<const std::string*>(userdata);
    if (!password || password->empty() || password->size() > static_cast<std::size_t>(size)) return 0;
    std::memcpy(buf, password->data(), password->size());
    return static_cast<int>(password->size());
}

/// The server's ALPN choice: the first of the context's protocols (in its
/// order of preference) the client offers; none when nothing matches (the
/// handshake goes on without ALPN, as in Python).
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
                void* arg) {
    const auto* impl = static_cast<const SSLContext::Impl*>(arg);
    if (impl->alpn_wire.empty()) return SSL_TLSEXT_ERR_NOACK;
    unsigned char* chosen = nullptr;
    const auto* server = reinterpret_cast<const unsigned char*>(impl->alpn_wire.data());
    int r = SSL_select_next_proto(&chosen, outlen, server, static_cast<unsigned>(impl->alpn_wire.size()), in, inlen);
    if (r != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_NOACK;
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

void apply_verify_mode(SSLContext::Impl& impl) {
    int mode = SSL_VERIFY_NONE;
    if (impl.verify_mode == VerifyMode::CERT_OPTIONAL) mode = SSL_VERIFY_PEER;
    if (impl.verify_mode == VerifyMode::CERT_REQUIRED)
        mode = SSL_VERIFY_PEER | (impl.server_side ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
    SSL_CTX_set_verify(impl.ctx, mode, nullptr);
}

void require_exists(const std::string& path) {
    aio::detail::check_no_nul(path);  // OpenSSL would load the file of the path cut at the NUL
    if (::access(path.c_str(), F_OK) != 0) throw_os_error(errno, path);
}

const char* library_name(int lib) {
    switch (lib) {
        case ERR_LIB_SSL: return "SSL";
        case ERR_LIB_PEM: return "PEM";
        case ERR_LIB_X509: return "X509";
        case ERR_LIB_X509V3: return "X509V3";
        case ERR_LIB_EVP: return "EVP";
        case ERR_LIB_ASN1: return "ASN1";
        case ERR_LIB_SYS: return "SYS";
        case ERR_LIB_BIO: return "BIO";
        case ERR_LIB_PKCS12: return "PKCS12";
        case ERR_LIB_RSA: return "RSA";
        case ERR_LIB_EC: return "EC";
        case ERR_LIB_PROV: return "PROV";
        case ERR_LIB_OSSL_DECODER: return "DECODER";
        default: return "SSL";
    }
}

int tls_version(TLSVersion v) { return v == TLSVersion::TLSv1_2 ? TLS1_2_VERSION : TLS1_3_VERSION; }

}  // namespace

namespace detail {

std::string take_ssl_errors(std::string_view fallback) {
    unsigned long e = ERR_peek_last_error();
    ERR_clear_error();
    if (e == 0) return std::string(fallback);
    int lib = ERR_GET_LIB(e);
    if (lib == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
        return "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol";
    const char* reason = ERR_reason_error_string(e);
    std::string lname = library_name(lib);
    if (!reason) return "[" + lname + "] error " + std::to_string(ERR_GET_REASON(e));
    // OpenSSL's reason texts are its reason codes' names in lower case, which
    // Python shows in upper case: "wrong version number" → WRONG_VERSION_NUMBER.
    std::string code;
    for (const char* p = reason; *p; ++p) {
        unsigned char c = static_cast<unsigned char>(*p);
        if (std::islower(c) || std::isdigit(c)) {
            code += static_cast<char>(std::toupper(c));
        } else if (c == ' ') {
            code += '_';
        } else {
            code.clear();
            break;
        }
    }
    if (code.empty()) return "[" + lname + "] " + reason;
    return "[" + lname + ": " + code + "] " + reason;
}

}  // namespace detail

SSLCertVerificationError::SSLCertVerificationError(long verify_code, std::string verify_message)
    : SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: " + verify_message),
      code_(verify_code), reason_(std::move(verify_message)) {}

SSLContext::SSLContext(bool server_side) : impl_(std::make_shared<Impl>()) {
    Impl& i = *impl_;
    i.server_side = server_side;
    i.ctx = SSL_CTX_new(server_side ? TLS_server_method() : TLS_client_method());
    if (!i.ctx) throw SSLError(detail::take_ssl_errors("cannot create an OpenSSL context"));
    SSL_CTX_set_min_proto_version(i.ctx, TLS1_2_VERSION);
    // Python's options, and no TLS 1.2 renegotiation (see docs/differences.md):
    // streams read only when asked, so a renegotiation started while nobody
    // reads could not make progress.
    SSL_CTX_set_options(i.ctx, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_SINGLE_DH_USE |
                                   SSL_OP_SINGLE_ECDH_USE | SSL_OP_NO_RENEGOTIATION);
    // The transport hands SSL_write a buffer that may move between retries,
    // and idle connections give their record buffers back.
    SSL_CTX_set_mode(i.ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE |
                                SSL_MODE_RELEASE_BUFFERS | SSL_MODE_AUTO_RETRY);
    if (SSL_CTX_set_cipher_list(i.ctx, kDefaultCiphers) != 1)
        throw SSLError(detail::take_ssl_errors("No cipher can be selected."));
    SSL_CTX_set_default_passwd_cb(i.ctx, password_callback);
    SSL_CTX_set_default_passwd_cb_userdata(i.ctx, nullptr);
    apply_verify_mode(i);
    if (server_side) {
        // Needed for session resumption when client certificates are verified.
        static const unsigned char kSessionContext[] = "aio";
        SSL_CTX_set_session_id_context(i.ctx, kSessionContext, sizeof kSessionContext - 1);
        SSL_CTX_set_alpn_select_cb(i.ctx, select_alpn, impl_.get());
    }
}

bool SSLContext::server_side() const noexcept { return impl_->server_side; }

void SSLContext::load_verify_locations(const std::string& cafile, const std::string& capath) {
    if (cafile.empty() && capath.empty()) throw TypeError("cafile and capath cannot be both omitted");
    if (!cafile.empty()) {
        require_exists(cafile);
        if (SSL_CTX_load_verify_file(impl_->ctx, cafile.c_str()) != 1)
            throw SSLError(detail::take_ssl_errors("cannot load the CA certificates in " + cafile));
    }
    if (!capath.empty()) {
        require_exists(capath);
        if (SSL_CTX_load_verify_dir(impl_->ctx, capath.c_str()) != 1)
            throw SSLError(detail::take_ssl_errors("cannot use the CA directory " + capath));
    }
}

void SSLContext::load_verify_data(const std::string& pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    if (!bio) throw SSLError(detail::take_ssl_errors("out of memory"));
    X509_STORE* store = SSL_CTX_get_cert_store(impl_->ctx);
    int loaded = 0;
    ERR_clear_error();
    while (true) {
        std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, password_callback, nullptr),
                                                          X509_free);
        if (!cert) break;
        if (X509_STORE_add_cert(store, cert.get()) != 1)
            throw SSLError(detail::take_ssl_errors("cannot add a CA certificate"));
        ++loaded;
    }
    // The loop ends at the end of the data (PEM's "no start line"); anything
    // else is a malformed certificate.
    unsigned long e = ERR_peek_last_error();
    bool at_end = ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
    if (loaded == 0) {
        ERR_clear_error();
        throw SSLError("not enough data: cadata does not contain a certificate");
    }
    if (e != 0 && !at_end) throw SSLError(detail::take_ssl_errors("a malformed certificate in cadata"));
    ERR_clear_error();
}

void SSLContext::load_default_certs() {
    if (SSL_CTX_set_default_verify_paths(impl_->ctx) != 1)
        throw SSLError(detail::take_ssl_errors("cannot load the system's CA certificates"));
}

void SSLContext::load_cert_chain(const std::string& certfile, const std::string& keyfile, const std::string& password) {
    const std::string& key = keyfile.empty() ? certfile : keyfile;
    require_exists(certfile);
    require_exists(key);
    SSL_CTX* ctx = impl_->ctx;
    // The password is lent to OpenSSL only for the duration of this call.
    SSL_CTX_set_default_passwd_cb_userdata(ctx, const_cast<std::string*>(&password));
    struct Unlend {
        SSL_CTX* ctx;
        ~Unlend() { SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr); }
    } unlend{ctx};
    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(ctx, certfile.c_str()) != 1)
        throw SSLError(detail::take_ssl_errors("cannot load the certificate chain " + certfile));
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1)
        throw SSLError(detail::take_ssl_errors("cannot load the private key " + key));
    if (SSL_CTX_check_private_key(ctx) != 1)
        throw SSLError(detail::take_ssl_errors("the private key does not match the certificate"));
}

bool SSLContext::check_hostname() const noexcept { return impl_->check_hostname; }

void SSLContext::set_check_hostname(bool on) {
    if (on && impl_->verify_mode == VerifyMode::CERT_NONE) {
        impl_->verify_mode = VerifyMode::CERT_REQUIRED;
        apply_verify_mode(*impl_);
    }
    impl_->check_hostname = on;
}

VerifyMode SSLContext::verify_mode() const noexcept { return impl_->verify_mode; }

void SSLContext::set_verify_mode(VerifyMode mode) {
    if (mode == VerifyMode::CERT_NONE && impl_->check_hostname)
        throw ValueError("Cannot set verify_mode to CERT_NONE when check_hostname is enabled.");
    impl_->verify_mode = mode;
    apply_verify_mode(*impl_);
}

void SSLContext::set_alpn_protocols(const std::vector<std::string>& protocols) {
    std::string wire;
    for (const auto& p : protocols) {
        if (p.empty() || p.size() > 255) throw ValueError("ALPN protocols must be 1 to 255 in length");
        wire += static_cast<char>(p.size());
        wire += p;
    }
    if (!impl_->server_side &&
        SSL_CTX_set_alpn_protos(impl_->ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                                static_cast<unsigned>(wire.size())) != 0)
        throw SSLError(detail::take_ssl_errors("cannot set the ALPN protocols"));
    impl_->alpn = protocols;
    impl_->alpn_wire = std::move(wire);
}

const std::vector<std::string>& SSLContext::alpn_protocols() const noexcept { return impl_->alpn; }

void SSLContext::set_minimum_version(TLSVersion v) { SSL_CTX_set_min_proto_version(impl_->ctx, tls_version(v)); }

void SSLContext::set_maximum_version(TLSVersion v) { SSL_CTX_set_max_proto_version(impl_->ctx, tls_version(v)); }

void SSLContext::set_ciphers(const std::string& ciphers) {
    if (SSL_CTX_set_cipher_list(impl_->ctx, ciphers.c_str()) != 1) {
        ERR_clear_error();
        throw SSLError("No cipher can be selected.");
    }
}

bool SSLContext::suppress_ragged_eofs() const noexcept { return impl_->suppress_ragged_eofs; }

void SSLContext::set_suppress_ragged_eofs(bool on) { impl_->suppress_ragged_eofs = on; }

void* SSLContext::native_handle() const noexcept { return impl_->ctx; }

SSLContext create_default_context(Purpose purpose, const std::string& cafile) {
    SSLContext ctx(purpose == Purpose::CLIENT_AUTH);
    if (purpose == Purpose::SERVER_AUTH) ctx.set_check_hostname(true);  // and CERT_REQUIRED
    // As Python: a given CA file replaces the system store; a context that
    // verifies nothing loads no store.
    if (!cafile.empty())
        ctx.load_verify_locations(cafile);
    else if (ctx.verify_mode() != VerifyMode::CERT_NONE)
        ctx.load_default_certs();
    return ctx;
}

}  // namespace aio
