// aio-test-shards: 6
// TLS streams against real peers: `openssl s_server` as the server of an aio
// client, `openssl s_client` and `curl` as clients of an aio server, and aio
// on both ends. A CA and its certificates are made with the `openssl` command
// when the tests start. Every refusal is an SSLCertVerificationError naming
// its reason; close_notify goes both ways; start_tls upgrades open
// connections; no descriptor leaks.
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <fcntl.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "faults/sigpipe_recorder.hpp"
#include "support/support.hpp"

using namespace std::chrono_literals;

namespace {

// ---------------------------------------------------------------- certificates

/// The shell script that makes the test PKI in the current directory:
/// ca (trusted), rogue (an untrusted CA), server (localhost + 127.0.0.1),
/// sni (sni.test), wrong (wrong.example), untrusted (localhost, by rogue),
/// client (a client certificate), expired (localhost, January 2020),
/// self (self-signed localhost).
const char* kMakeCerts = R"SH(
set -e
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
ca() {
  key $1.key
  openssl req -x509 -new -key $1.key -out $1.pem -days 3650 -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}
leaf() {
  key $1.key
  openssl req -new -key $1.key -out $1.csr -subj "/CN=$2"
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n' "$3" > $1.ext
  openssl x509 -req -in $1.csr -CA $4.pem -CAkey $4.key -CAcreateserial -days 365 -extfile $1.ext -out $1.pem
}
ca ca "aio test CA"
ca rogue "aio rogue CA"
leaf server localhost "DNS:localhost,IP:127.0.0.1" ca
leaf sni sni.test "DNS:sni.test" ca
leaf wrong wrong.example "DNS:wrong.example" ca
leaf untrusted localhost "DNS:localhost,IP:127.0.0.1" rogue
leaf client "aio client" "DNS:client.test" ca
key expired.key
openssl req -new -key expired.key -out expired.csr -subj "/CN=localhost"
printf '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\nx509_extensions=e\n[p]\ncommonName=supplied\n[e]\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > ca.cnf
: > index.txt
echo 1000 > serial
openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem \
  -startdate 20200101000000Z -enddate 20200201000000Z
key self.key
openssl req -x509 -new -key self.key -out self.pem -days 365 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1"
)SH";

/// The directory of the test PKI, made once per process and removed at exit.
class Pki : public ::testing::Environment {
public:
    static const std::string& dir() {
        static const std::string d = make();
        return d;
    }
    void TearDown() override {
        if (made_) std::filesystem::remove_all(dir());
    }

private:
    static std::string make() {
        char tmpl[] = "/tmp/aio-tls-XXXXXX";
        if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        std::string d = tmpl;
        std::ofstream(d + "/make.sh") << kMakeCerts;
        auto r = aio::test::run_command("cd " + d + " && sh make.sh > make.log 2>&1; echo $?");
        if (r.output != "0\n") throw std::runtime_error("making the test certificates failed; see " + d + "/make.log");
        made_ = true;
        return d;
    }
    static inline bool made_ = false;
};
[[maybe_unused]] auto* const pki_environment = ::testing::AddGlobalTestEnvironment(new Pki);

std::string cert(const std::string& name) { return Pki::dir() + "/" + name; }

/// A client's context trusting the test CA (host names checked).
aio::SSLContext client_context() { return aio::create_default_context(aio::Purpose::SERVER_AUTH, cert("ca.pem")); }

/// A server's context with the certificate `name`.pem.
aio::SSLContext server_context(const std::string& name = "server") {
    auto ctx = aio::create_default_context(aio::Purpose::CLIENT_AUTH);
    ctx.load_cert_chain(cert(name + ".pem"), cert(name + ".key"));
    return ctx;
}

std::string any_string(const std::any& a) { return a.has_value() ? std::any_cast<std::string>(a) : std::string("<none>"); }

std::uint16_t port_of(const aio::Server& s) { return s.sockets().at(0).getsockname().port(); }

/// Runs a test's body under a deadline, so that a bug fails instead of hanging.
template <class T>
aio::Task<T> with_deadline(aio::Task<T> body) {
    co_return co_await aio::timeout(30s, std::move(body));
}
template <class T>
T run_tls(aio::Task<T> body) {
    return aio::run(with_deadline(std::move(body)));
}

// ---------------------------------------------------------------- openssl s_server

/// `openssl s_server` on a free port of 127.0.0.1, in the background; killed
/// at the end of the scope. With -rev it answers each line reversed.
class OpensslServer {
public:
    explicit OpensslServer(const std::string& options) : port_(static_cast<std::uint16_t>(aio::test::free_port())) {
        log_ = Pki::dir() + "/s_server-" + std::to_string(port_) + ".log";
        std::string command = "exec openssl s_server -accept 127.0.0.1:" + std::to_string(port_) + " " + options +
                              " < /dev/null > " + log_ + " 2>&1";
        // Everything the child needs is made before fork().
        const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
        const std::string dir = Pki::dir();
        pid_ = ::fork();
        if (pid_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a crashed test leaves no server behind
            if (::chdir(dir.c_str()) != 0) ::_exit(126);
            ::execv("/bin/sh", const_cast<char* const*>(argv));
            ::_exit(127);
        }
        for (int i = 0; i < 500 && !ready(); ++i) std::this_thread::sleep_for(10ms);
        if (!ready()) ADD_FAILURE() << "openssl s_server did not start: " << log();
    }
    ~OpensslServer() {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    OpensslServer(const OpensslServer&) = delete;
    OpensslServer& operator=(const OpensslServer&) = delete;

    std::uint16_t port() const { return port_; }
    std::string log() const {
        std::ifstream in(log_);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }

private:
    bool ready() const { return log().find("ACCEPT") != std::string::npos; }
    std::uint16_t port_;
    std::string log_;
    pid_t pid_ = -1;
};

/// Connects an aio client to 127.0.0.1:port with `ctx` as `server_hostname`;
/// returns the exception it ended with (null if it connected).
aio::Task<std::exception_ptr> try_connect(std::uint16_t port, aio::SSLContext ctx, std::string server_hostname) {
    std::exception_ptr error;
    try {
        aio::ConnectOptions opts{.ssl = std::move(ctx), .server_hostname = std::move(server_hostname)};
        auto conn = co_await aio::open_connection("127.0.0.1", port, opts);
        conn.second.close();
        co_await conn.second.wait_closed();
    } catch (...) {
        error = std::current_exception();
    }
    co_return error;
}

/// Checks that `e` is an SSLCertVerificationError with `code` whose message
/// contains `reason`.
void expect_verification_error(std::exception_ptr e, long code, const std::string& reason) {
    ASSERT_TRUE(e) << "the connection was not refused";
    try {
        std::rethrow_exception(e);
    } catch (const aio::SSLCertVerificationError& err) {
        EXPECT_EQ(err.verify_code(), code) << err.what();
        EXPECT_NE(err.verify_message().find(reason), std::string::npos) << err.verify_message();
        EXPECT_NE(std::string(err.what()).find(reason), std::string::npos) << err.what();
        EXPECT_NE(std::string(err.what()).find("CERTIFICATE_VERIFY_FAILED"), std::string::npos) << err.what();
    } catch (...) {
        ADD_FAILURE() << "not an SSLCertVerificationError: " << aio::describe_exception(std::current_exception());
    }
}

/// The message of an exception_ptr ("" for none).
std::string message_of(std::exception_ptr e) { return e ? aio::describe_exception(e) : std::string(); }

}  // namespace

// ---------------------------------------------------------------- SSLContext

TEST(SSLContext, DefaultContextsFollowPython) {
    auto client = aio::create_default_context();
    EXPECT_FALSE(client.server_side());
    EXPECT_TRUE(client.check_hostname());
    EXPECT_EQ(client.verify_mode(), aio::CERT_REQUIRED);
    EXPECT_TRUE(client.suppress_ragged_eofs());
    EXPECT_GE(SSL_CTX_get_min_proto_version(static_cast<SSL_CTX*>(client.native_handle())), TLS1_2_VERSION);

    auto server = aio::create_default_context(aio::Purpose::CLIENT_AUTH);
    EXPECT_TRUE(server.server_side());
    EXPECT_FALSE(server.check_hostname());
    EXPECT_EQ(server.verify_mode(), aio::CERT_NONE);

    aio::SSLContext bare;
    EXPECT_FALSE(bare.check_hostname());
    EXPECT_EQ(bare.verify_mode(), aio::CERT_NONE);
}

TEST(SSLContext, CheckHostnameAndVerifyModeGoTogether) {
    auto ctx = aio::create_default_context();
    EXPECT_THROW(ctx.set_verify_mode(aio::CERT_NONE), aio::ValueError);
    ctx.set_check_hostname(false);
    ctx.set_verify_mode(aio::CERT_NONE);
    EXPECT_EQ(ctx.verify_mode(), aio::CERT_NONE);
    ctx.set_check_hostname(true);  // raises the mode again, as Python
    EXPECT_EQ(ctx.verify_mode(), aio::CERT_REQUIRED);

    auto copy = ctx;  // a shared handle
    copy.set_check_hostname(false);
    EXPECT_FALSE(ctx.check_hostname());
}

TEST(SSLContext, LoadingErrorsAreTyped) {
    aio::SSLContext ctx(true);
    EXPECT_THROW(ctx.load_verify_locations("/nonexistent/ca.pem"), aio::FileNotFoundError);
    EXPECT_THROW(ctx.load_cert_chain("/nonexistent/cert.pem"), aio::FileNotFoundError);
    try {
        ctx.load_cert_chain(cert("server.pem"), cert("client.key"));
        ADD_FAILURE() << "a key of another certificate was accepted";
    } catch (const aio::SSLError& e) {
        EXPECT_NE(std::string(e.what()).find("KEY_VALUES_MISMATCH"), std::string::npos) << e.what();
    }
    EXPECT_THROW(ctx.load_verify_locations(cert("make.sh")), aio::SSLError);  // not a certificate
    EXPECT_THROW(ctx.set_ciphers("NO-SUCH-CIPHER"), aio::SSLError);
    EXPECT_THROW(ctx.set_alpn_protocols({std::string(256, 'x')}), aio::ValueError);
    EXPECT_THROW(ctx.set_alpn_protocols({""}), aio::ValueError);
    EXPECT_THROW(ctx.load_verify_data("not a certificate"), aio::SSLError);
    // A NUL would end the path there (another file): ValueError, as Python's.
    EXPECT_THROW(ctx.load_verify_locations(cert("ca.pem") + std::string(1, '\0') + ".bak"), aio::ValueError);
    EXPECT_THROW(ctx.load_cert_chain(cert("server.pem") + std::string(1, '\0')), aio::ValueError);
}

TEST(SSLContext, VerifyDataTrustsPemText) {
    std::ifstream in(cert("ca.pem"));
    std::stringstream pem;
    pem << in.rdbuf();
    OpensslServer server("-cert server.pem -key server.key -rev");
    run_tls([&]() -> aio::Task<> {
        auto ctx = aio::create_default_context();  // the system store does not know the test CA ...
        auto refused = co_await try_connect(server.port(), ctx, "localhost");
        expect_verification_error(refused, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                                  "unable to get local issuer certificate");
        ctx.load_verify_data(pem.str());  // ... until told
        auto error = co_await try_connect(server.port(), ctx, "localhost");
        EXPECT_FALSE(error) << message_of(error);
    }());
}

// ---------------------------------------------------------------- aio client, openssl server

TEST(TlsClient, TalksToOpensslServer) {
    int fds = aio::test::count_open_fds();
    {
        OpensslServer server("-cert server.pem -key server.key -rev");
        run_tls([&]() -> aio::Task<> {
            aio::ConnectOptions opts1{.ssl = client_context()};  // named: g++ 12 and braced temporaries in co_await
            auto [r, w] = co_await aio::open_connection("localhost", server.port(), opts1);
            w.write("hello over tls\n");
            co_await w.drain();
            std::string line = co_await r.readline();
            EXPECT_EQ(line, "slt revo olleh\n");
            EXPECT_EQ(any_string(w.get_extra_info("version")), "TLSv1.3");
            EXPECT_EQ(any_string(w.get_extra_info("peercert_subject")), "CN=localhost");
            EXPECT_EQ(any_string(w.get_extra_info("peercert")).rfind("-----BEGIN CERTIFICATE-----", 0), 0u);
            EXPECT_NE(any_string(w.get_extra_info("cipher")), "<none>");
            EXPECT_EQ(any_string(w.get_extra_info("server_hostname")), "localhost");
            EXPECT_NE(std::any_cast<void*>(w.get_extra_info("ssl_object")), nullptr);
            EXPECT_EQ(w.peername().port(), server.port());  // the socket's own answers pass through
            EXPECT_FALSE(w.get_extra_info("alpn_protocol").has_value());
            w.close();
            co_await w.wait_closed();
        }());
    }
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST(TlsClient, NegotiatesAlpnWithOpensslServer) {
    OpensslServer server("-cert server.pem -key server.key -rev -alpn h2,http/1.1");
    run_tls([&]() -> aio::Task<> {
        {
            auto ctx = client_context();
            ctx.set_alpn_protocols({"http/1.1"});
            aio::ConnectOptions opts1{.ssl = ctx, .server_hostname = "localhost"};
            auto [r, w] = co_await aio::open_connection("127.0.0.1", server.port(), opts1);
            EXPECT_EQ(any_string(w.get_extra_info("alpn_protocol")), "http/1.1");
            w.write("x\n");
            std::string line = co_await r.readline();
            EXPECT_EQ(line, "x\n");
            w.close();
            co_await w.wait_closed();
        }
        // s_server serves one client at a time; the first is gone.
        auto ctx = client_context();
        ctx.set_alpn_protocols({"http/1.1", "h2"});
        aio::ConnectOptions opts2{.ssl = ctx};  // named: g++ 12 and braced temporaries in co_await
        auto [r, w] = co_await aio::open_connection("localhost", server.port(), opts2);
        EXPECT_EQ(any_string(w.get_extra_info("alpn_protocol")), "h2");  // the server's preference
    }());
}

TEST(TlsClient, SendsSniThatTheServerActsOn) {
    // s_server serves sni.pem to clients naming sni.test, server.pem to others.
    OpensslServer server("-cert server.pem -key server.key -servername sni.test -cert2 sni.pem -key2 sni.key -rev");
    run_tls([&]() -> aio::Task<> {
        {
            aio::ConnectOptions sni{.ssl = client_context(), .server_hostname = "sni.test"};
            auto [r, w] = co_await aio::open_connection("127.0.0.1", server.port(), sni);
            EXPECT_EQ(any_string(w.get_extra_info("peercert_subject")), "CN=sni.test");
            w.write("CLOSE\n");
            co_await r.read();
        }
        aio::ConnectOptions opts3{.ssl = client_context()};  // named: g++ 12 and braced temporaries in co_await
        auto [r, w] = co_await aio::open_connection("localhost", server.port(), opts3);
        EXPECT_EQ(any_string(w.get_extra_info("peercert_subject")), "CN=localhost");
    }());
}

TEST(TlsClient, Tls12WhenTheServerStopsThere) {
    OpensslServer server("-cert server.pem -key server.key -rev -tls1_2");
    run_tls([&]() -> aio::Task<> {
        {
            aio::ConnectOptions opts4{.ssl = client_context()};  // named: g++ 12 and braced temporaries in co_await
            auto [r, w] = co_await aio::open_connection("localhost", server.port(), opts4);
            EXPECT_EQ(any_string(w.get_extra_info("version")), "TLSv1.2");
            EXPECT_EQ(any_string(w.get_extra_info("cipher")), "ECDHE-ECDSA-AES256-GCM-SHA384");
            w.write("abc\n");
            std::string line = co_await r.readline();
            EXPECT_EQ(line, "cba\n");
            w.close();
            co_await w.wait_closed();
        }
        // s_server serves one client at a time; the first is gone.

        auto strict = client_context();
        strict.set_minimum_version(aio::TLSVersion::TLSv1_3);
        auto error = co_await try_connect(server.port(), strict, "localhost");
        EXPECT_NE(message_of(error).find("PROTOCOL_VERSION"), std::string::npos) << message_of(error);
    }());
}

TEST(TlsClient, RefusesAnUntrustedIssuer) {
    OpensslServer server("-cert untrusted.pem -key untrusted.key -rev");
    run_tls([&]() -> aio::Task<> {
        auto error = co_await try_connect(server.port(), client_context(), "localhost");
        expect_verification_error(error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                                  "unable to get local issuer certificate");
    }());
}

TEST(TlsClient, RefusesASelfSignedCertificate) {
    OpensslServer server("-cert self.pem -key self.key -rev");
    run_tls([&]() -> aio::Task<> {
        auto error = co_await try_connect(server.port(), client_context(), "localhost");
        expect_verification_error(error, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, "self-signed certificate");
    }());
}

TEST(TlsClient, RefusesAnExpiredCertificate) {
    OpensslServer server("-cert expired.pem -key expired.key -rev");
    run_tls([&]() -> aio::Task<> {
        auto error = co_await try_connect(server.port(), client_context(), "localhost");
        expect_verification_error(error, X509_V_ERR_CERT_HAS_EXPIRED, "certificate has expired");
    }());
}

TEST(TlsClient, RefusesTheWrongHostName) {
    OpensslServer server("-cert wrong.pem -key wrong.key -rev");
    run_tls([&]() -> aio::Task<> {
        auto error = co_await try_connect(server.port(), client_context(), "localhost");
        expect_verification_error(error, X509_V_ERR_HOSTNAME_MISMATCH,
                                  "Hostname mismatch, certificate is not valid for 'localhost'");
    }());
}

// A server_hostname holding a NUL was sent (SNI) and verified cut at the NUL:
// "localhost\0.evil.example" connected to a server certified for localhost
// only. It is now ValueError before the handshake.
TEST(TlsClient, AServerHostnameHoldingANulIsAValueError) {
    OpensslServer server("-cert server.pem -key server.key -rev");
    run_tls([&]() -> aio::Task<> {
        auto error = co_await try_connect(server.port(), client_context(), std::string("localhost\0.evil.example", 23));
        if (!error) {
            ADD_FAILURE() << "the connection was made";
            co_return;
        }
        try {
            std::rethrow_exception(error);
        } catch (const aio::ValueError& e) {
            EXPECT_STREQ(e.what(), "embedded null byte");
        } catch (...) {
            ADD_FAILURE() << "not a ValueError: " << aio::describe_exception(std::current_exception());
        }
    }());
}

TEST(TlsClient, ChecksIpAddressesAgainstIpNames) {
    OpensslServer server("-cert server.pem -key server.key -rev");
    run_tls([&]() -> aio::Task<> {
        auto ok = co_await try_connect(server.port(), client_context(), "127.0.0.1");
        EXPECT_FALSE(ok) << message_of(ok);
        auto error = co_await try_connect(server.port(), client_context(), "127.0.0.2");
        expect_verification_error(error, X509_V_ERR_IP_ADDRESS_MISMATCH,
                                  "IP address mismatch, certificate is not valid for '127.0.0.2'");
    }());
}

TEST(TlsClient, CertNoneWithoutHostnameCheckAcceptsASelfSignedServer) {
    OpensslServer server("-cert self.pem -key self.key -rev");
    run_tls([&]() -> aio::Task<> {
        auto ctx = aio::create_default_context();
        ctx.set_check_hostname(false);
        ctx.set_verify_mode(aio::CERT_NONE);
        aio::ConnectOptions opts5{.ssl = ctx};  // named: g++ 12 and braced temporaries in co_await
        auto [r, w] = co_await aio::open_connection("127.0.0.1", server.port(), opts5);
        w.write("unverified\n");
        std::string line = co_await r.readline();
        EXPECT_EQ(line, "deifirevnu\n");
        // The certificate is still there to look at.
        EXPECT_EQ(any_string(w.get_extra_info("peercert_subject")), "CN=localhost");
    }());
}

TEST(TlsClient, TlsToAPlainServerIsAnSSLError) {
    run_tls([]() -> aio::Task<> {
        auto handler = [](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<> {
            co_await r.read(100);
            w.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            co_await w.drain();
            w.close();
        };
        auto server = co_await aio::start_server(handler, "127.0.0.1", 0);
        auto error = co_await try_connect(port_of(server), client_context(), "localhost");
        EXPECT_NE(message_of(error).find("WRONG_VERSION_NUMBER"), std::string::npos) << message_of(error);
        try {
            std::rethrow_exception(error);
        } catch (const aio::SSLCertVerificationError&) {
            ADD_FAILURE() << "not a verification failure";
        } catch (const aio::SSLError&) {
        }
        server.close();
    }());
}

TEST(TlsClient, APeerThatHangsUpDuringTheHandshakeIsAConnectionError) {
    run_tls([]() -> aio::Task<> {
        auto handler = [](aio::StreamReader, aio::StreamWriter w) -> aio::Task<> {
            w.close();
            co_return;
        };
        auto server = co_await aio::start_server(handler, "127.0.0.1", 0);
        auto error = co_await try_connect(port_of(server), client_context(), "localhost");
        try {
            std::rethrow_exception(error);
        } catch (const aio::ConnectionError&) {
        } catch (...) {
            ADD_FAILURE() << message_of(error);
        }
        server.close();
    }());
}

TEST(TlsClient, ContextsOfTheWrongSideAreRefused) {
    run_tls([]() -> aio::Task<> {
        auto handler = [](aio::StreamReader, aio::StreamWriter) -> aio::Task<> { co_return; };
        auto server = co_await aio::start_server(handler, "127.0.0.1", 0);
        auto error = co_await try_connect(port_of(server), server_context(), "localhost");
        EXPECT_NE(message_of(error).find("client-side SSLContext"), std::string::npos) << message_of(error);
        // start_tls without a name, while the context checks names.
        auto [r, w] = co_await aio::open_connection("127.0.0.1", port_of(server));
        std::exception_ptr nameless;
        try {
            co_await w.start_tls(client_context());
        } catch (...) {
            nameless = std::current_exception();
        }
        EXPECT_NE(message_of(nameless).find("check_hostname requires server_hostname"), std::string::npos)
            << message_of(nameless);
        server.close();
        co_await server.wait_closed();
    }());
}

// ---------------------------------------------------------------- openssl s_client and curl, aio server

TEST(TlsServer, ServesOpensslClientWithAlpnAndSni) {
    int fds = aio::test::count_open_fds();
    std::string sni_seen, alpn_seen, line_seen;
    run_tls([&]() -> aio::Task<> {
        auto ctx = server_context();
        ctx.set_alpn_protocols({"h2", "http/1.1"});
        auto handler = [&](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<> {
            sni_seen = any_string(w.get_extra_info("server_hostname"));
            alpn_seen = any_string(w.get_extra_info("alpn_protocol"));
            line_seen = co_await r.readline();
            w.write("HELLO FROM AIO\n");
            co_await w.drain();
            w.close();  // close_notify
            co_await w.wait_closed();
        };
        aio::ServerOptions opts6{.ssl = ctx};  // named: g++ 12 and braced temporaries in co_await
        auto server = co_await aio::start_server(handler, "127.0.0.1", 0, opts6);
        // -verify_return_error: a certificate that does not verify ends s_client with an error.
        std::string command = "cd " + Pki::dir() + " && printf 'hello\\n' | timeout 20 openssl s_client -connect 127.0.0.1:" +
                              std::to_string(port_of(server)) +
                              " -CAfile ca.pem -servername localhost -verify_hostname localhost -verify_return_error"
                              " -alpn http/1.1 -ign_eof -quiet 2>/dev/null";
        auto result = co_await aio::to_thread(aio::test::run_command, command);
        EXPECT_EQ(result.status, 0) << result.output;
        EXPECT_EQ(result.output, "HELLO FROM AIO\n");
        server.close();
        co_await server.wait_closed();
    }());
    EXPECT_EQ(sni_seen, "localhost");
    EXPECT_EQ(alpn_seen, "http/1.1");
    EXPECT_EQ(line_seen, "hello\n");
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST(TlsServer, OpensslClientRefusesAnUntrustedAioServer) {
    std::string error_seen;
    run_tls([&]() -> aio::Task<> {
        auto handler = [&](aio::StreamReader r, aio::StreamWriter) -> aio::Task<> {
            co_await r.read(10);
        };
        aio::ServerOptions opts7{.ssl = server_context("untrusted")};  // named: g++ 12 and braced temporaries in co_await
        aio::Server server = co_await aio::start_server(handler, "127.0.0.1", 0, opts7);
        auto* loop = &aio::get_running_loop();
        loop->set_exception_handler([&](aio::EventLoop&, const aio::ExceptionContext& c) {
            error_seen = message_of(c.exception);
        });
        std::string command = "cd " + Pki::dir() + " && timeout 20 openssl s_client -connect 127.0.0.1:" +
                              std::to_string(port_of(server)) +
                              " -CAfile ca.pem -verify_return_error < /dev/null 2>&1";
        auto result = co_await aio::to_thread(aio::test::run_command, command);
        EXPECT_NE(result.status, 0);
        EXPECT_NE(result.output.find("unable to get local issuer certificate"), std::string::npos) << result.output;
        co_await aio::sleep(50ms);
        server.close();
        co_await server.wait_closed();
    }());
    // The server's handshake ends with the client's alert.
    EXPECT_NE(error_seen.find("TLSV1_ALERT_UNKNOWN_CA"), std::string::npos) << error_seen;
}

TEST(TlsServer, ServesCurl) {
    int fds = aio::test::count_open_fds();
    run_tls([&]() -> aio::Task<> {
        auto ctx = server_context();
        ctx.set_alpn_protocols({"http/1.1"});
        auto handler = [](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<> {
            std::string head = co_await r.readuntil("\r\n\r\n");
            std::string body = head.substr(0, head.find("\r\n"));  // the request line
            w.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\nConnection: close\r\n\r\n" + body);
            co_await w.drain();
            w.close();
            co_await w.wait_closed();
        };
        aio::ServerOptions opts8{.ssl = ctx};  // named: g++ 12 and braced temporaries in co_await
        auto server = co_await aio::start_server(handler, "127.0.0.1", 0, opts8);
        std::string port = std::to_string(port_of(server));
        std::string command = "curl -sS --max-time 20 --cacert " + cert("ca.pem") + " --resolve localhost:" + port +
                              ":127.0.0.1 -w ' [%{http_code} %{http_version}]' https://localhost:" + port +
                              "/tls/path 2>&1";
        auto result = co_await aio::to_thread(aio::test::run_command, command);
        EXPECT_EQ(result.status, 0) << result.output;
        EXPECT_EQ(result.output, "GET /tls/path HTTP/1.1 [200 1.1]");
        // Without the CA, curl refuses the server.
        std::string untrusting = "curl -sS --max-time 20 --resolve localhost:" + port + ":127.0.0.1 https://localhost:" +
                                 port + "/ 2>&1";
        auto refused = co_await aio::to_thread(aio::test::run_command, untrusting);
        EXPECT_NE(refused.status, 0) << refused.output;
        server.close();
        co_await server.wait_closed();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST(TlsServer, VerifiesClientCertificatesWhenAsked) {
    std::string subject_seen;
    run_tls([&]() -> aio::Task<> {
        auto ctx = server_context();
        ctx.set_verify_mode(aio::CERT_REQUIRED);
        ctx.load_verify_locations(cert("ca.pem"));
        auto handler = [&](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<> {
            subject_seen = any_string(w.get_extra_info("peercert_subject"));
            std::string line = co_await r.readline();
            w.write(line);
            co_await w.drain();
        };
        aio::ServerOptions opts9{.ssl = ctx};  // named: g++ 12 and braced temporaries in co_await
        auto server = co_await aio::start_server(handler, "127.0.0.1", 0, opts9);
        auto cctx = client_context();
        cctx.load_cert_chain(cert("client.pem"), cert("client.key"));
        aio::ConnectOptions opts10{.ssl = cctx};  // named: g++ 12 and braced temporaries in co_await
        auto [r, w] = co_await aio::open_connection("localhost", port_of(server), opts10);
        w.write("mutual\n");
        std::string line = co_await r.readline();
        EXPECT_EQ(line, "mutual\n");
        // openssl s_client with the same certificate.
        std::string command = "cd " + Pki::dir() + " && printf 'cli\\n' | timeout 20 openssl s_client -connect 127.0.0.1:" +
                              std::to_string(port_of(server)) +
                              " -CAfile ca.pem -cert client.pem -key client.key -verify_return_error -ign_eof -quiet 2>/dev/null";
        auto result = co_await aio::to_thread(aio::test::run_command, command);
        EXPECT_EQ(result.output, "cli\n");
        server.close();
    }());
    EXPECT_EQ(subject_seen, "CN=aio client");
}

// ---------------------------------------------------------------- aio on both ends

namespace {

/// An aio TLS echo server; records the SNI and ALPN it saw.
struct EchoServer {
    std::string sni = "<unset>";
    std::string alpn = "<unset>";

    aio::Task<aio::Server> start(aio::SSLContext ctx) {
        auto handler = [this](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<> {
            sni = any_string(w.get_extra_info("server_hostname"));
            alpn = any_string(w.get_extra_info("alpn_protocol"));
            while (true) {
                std::string data = co_await r.read(100000);
                if (data.empty()) break;
                w.write(data);
                co_await w.drain();
            }
            w.close();
            co_await w.wait_closed();
        };
        aio::ServerOptions opts11{.ssl = std::move(ctx)};  // named: g++ 12 and braced temporaries in co_await
        co_return co_await aio::start_server(handler, "127.0.0.1", 0, opts11);
    }
};

}  // namespace

TEST(TlsStreams, AioToAioWithAlpnSniAndLargeTransfers) {
    int fds = aio::test::count_open_fds();
    EchoServer echo;
    run_tls([&]() -> aio::Task<> {
        auto sctx = server_context();
        sctx.set_alpn_protocols({"h2", "http/1.1"});
        auto server = co_await echo.start(sctx);
        auto cctx = client_context();
        cctx.set_alpn_protocols({"http/1.1", "h2"});  // the server's preference wins
        aio::ConnectOptions opts12{.ssl = cctx};  // named: g++ 12 and braced temporaries in co_await
        auto [r, w] = co_await aio::open_connection("localhost", port_of(server), opts12);
        EXPECT_EQ(any_string(w.get_extra_info("alpn_protocol")), "h2");

        // 4 MiB each way: backpressure on both sides of both TLS transports.
        std::string big(4 * 1024 * 1024, '\0');
        for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 + i / 7919);
        auto reader = [&]() -> aio::Task<std::string> { co_return co_await r.readexactly(big.size()); };
        auto echoed = aio::create_task(reader());
        for (std::size_t off = 0; off < big.size(); off += 100003) {
            w.write(std::string_view(big).substr(off, 100003));
            co_await w.drain();
        }
        std::string back = co_await echoed;
        EXPECT_TRUE(back == big);
        w.write_eof();
        std::string rest = co_await r.read();
        EXPECT_EQ(rest, "");
        w.close();
        co_await w.wait_closed();
        server.close();
        co_await server.wait_closed();
    }());
    EXPECT_EQ(echo.sni, "localhost");
    EXPECT_EQ(echo.alpn, "h2");
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST(TlsStreams, NoSniForAnIpAddressAndNoAlpnWithoutACommonProtocol) {
    EchoServer echo;
    run_tls([&]() -> aio::Task<> {
        auto sctx = server_context();
        sctx.set_alpn_protocols({"http/1.1"});
        auto server = co_await echo.start(sctx);
        auto cctx = client_context();
        cctx.set_alpn_protocols({"h2"});
        aio::ConnectOptions opts13{.ssl = cctx};  // named: g++ 12 and braced temporaries in co_await
        auto [r, w] = co_await aio::open_connection("127.0.0.1", port_of(server), opts13);
        EXPECT_FALSE(w.get_extra_info("alpn_protocol").has_value());
        w.write("x");
        std::string x = co_await r.readexactly(1);
        EXPECT_EQ(x, "x");
        w.close();
        co_await w.wait_closed();
        server.close();
        co_await server.wait_closed();
    }());
    EXPECT_EQ(echo.sni, "<none>");
    EXPECT_EQ(echo.alpn, "<none>");
}

TEST(TlsStreams, CloseNotifyBothWaysWithStrictEofs) {
    int fds = aio::test::count_open_fds();
    std::string server_got;
    run_tls([&]() -> aio::Task<> {
        auto sctx = server_context();
        sctx.set_suppress_ragged_eofs(false);  // an EOF without close_notify would throw
        auto handler = [&](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<> {
            server_got = co_await r.read();  // to the client's close_notify
            w.write("pong:" + server_got);   // the other half is still open
            co_await w.drain();
            w.close();  // sends close_notify
            co_await w.wait_closed();
        };
        aio::ServerOptions opts14{.ssl = sctx};  // named: g++ 12 and braced temporaries in co_await
        auto server = co_await aio::start_server(handler, "127.0.0.1", 0, opts14);
        auto cctx = client_context();
        cctx.set_suppress_ragged_eofs(false);
        aio::ConnectOptions opts15{.ssl = cctx};  // named: g++ 12 and braced temporaries in co_await
        auto [r, w] = co_await aio::open_connection("localhost", port_of(server), opts15);
        w.write("ping");
        w.write_eof();  // close_notify, then FIN
        std::string reply = co_await r.read();
        EXPECT_EQ(reply, "pong:ping");
        EXPECT_TRUE(r.at_eof());
        w.close();
        co_await w.wait_closed();
        server.close();
        co_await server.wait_closed();
    }());
    EXPECT_EQ(server_got, "ping");
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

namespace {

/// A TLS server that sends "partial" and then cuts the TCP connection without
/// close_notify.
aio::Task<aio::Server> ragged_server() {
    auto handler = [](aio::StreamReader, aio::StreamWriter w) -> aio::Task<> {
        w.write("partial");
        co_await w.drain();
        ::shutdown(std::any_cast<int>(w.get_extra_info("socket")), SHUT_RDWR);
        w.close();
        co_await w.wait_closed();
    };
    aio::ServerOptions opts16{.ssl = server_context()};  // named: g++ 12 and braced temporaries in co_await
    co_return co_await aio::start_server(handler, "127.0.0.1", 0, opts16);
}

}  // namespace

TEST(TlsStreams, RaggedEofIsAnEofByDefault) {
    run_tls([]() -> aio::Task<> {
        auto server = co_await ragged_server();
        aio::ConnectOptions opts17{.ssl = client_context()};  // named: g++ 12 and braced temporaries in co_await
        auto [r, w] = co_await aio::open_connection("localhost", port_of(server), opts17);
        std::string all = co_await r.read();
        EXPECT_EQ(all, "partial");
        server.close();
    }());
}

TEST(TlsStreams, RaggedEofIsAnSSLEOFErrorWhenStrict) {
    run_tls([]() -> aio::Task<> {
        auto server = co_await ragged_server();
        auto ctx = client_context();
        ctx.set_suppress_ragged_eofs(false);
        aio::ConnectOptions opts18{.ssl = ctx};  // named: g++ 12 and braced temporaries in co_await
        auto [r, w] = co_await aio::open_connection("localhost", port_of(server), opts18);
        std::string first = co_await r.readexactly(7);
        EXPECT_EQ(first, "partial");
        std::exception_ptr error;
        try {
            co_await r.read(10);
        } catch (...) {
            error = std::current_exception();
        }
        try {
            std::rethrow_exception(error);
        } catch (const aio::SSLEOFError& e) {
            EXPECT_STREQ(e.what(), "EOF occurred in violation of protocol");
        } catch (...) {
            ADD_FAILURE() << message_of(error);
        }
        server.close();
    }());
}

TEST(TlsStreams, ACancelledReadLosesNoPlaintext) {
    EchoServer echo;
    run_tls([&]() -> aio::Task<> {
        auto server = co_await echo.start(server_context());
        aio::ConnectOptions opts19{.ssl = client_context()};  // named: g++ 12 and braced temporaries in co_await
        auto [r, w] = co_await aio::open_connection("localhost", port_of(server), opts19);
        std::exception_ptr timed_out;
        try {
            co_await aio::timeout(50ms, r.readexactly(6));
        } catch (...) {
            timed_out = std::current_exception();
        }
        EXPECT_NE(message_of(timed_out).find("TimeoutError"), std::string::npos) << message_of(timed_out);
        w.write("abc");
        co_await w.drain();
        std::exception_ptr again;
        try {
            co_await aio::timeout(50ms, r.readexactly(6));  // half arrives, then the deadline
        } catch (...) {
            again = std::current_exception();
        }
        EXPECT_TRUE(again);
        w.write("def");
        std::string six = co_await r.readexactly(6);
        EXPECT_EQ(six, "abcdef");
        server.close();
    }());
}

// ---------------------------------------------------------------- start_tls

namespace {

/// A plain-text server speaking a tiny STARTTLS protocol: "STARTTLS\n" → "OK\n",
/// then TLS; over TLS it answers one line reversed and closes.
struct StartTlsServer {
    std::string version = "<unset>";
    std::chrono::milliseconds pause{0};  // before reading the command

    aio::Task<aio::Server> start() {
        auto handler = [this](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<> {
            co_await aio::sleep(pause);
            std::string command = co_await r.readline();
            if (command != "STARTTLS\n") co_return;
            if (pause == 0ms) {
                w.write("OK\n");
                co_await w.drain();
            }
            co_await w.start_tls(server_context());
            version = any_string(w.get_extra_info("version"));
            std::string line = co_await r.readline();
            std::string reversed(line.rbegin() + 1, line.rend());
            w.write(reversed + "\n");
            co_await w.drain();
            w.close();
            co_await w.wait_closed();
        };
        co_return co_await aio::start_server(handler, "127.0.0.1", 0);
    }
};

}  // namespace

TEST(StartTls, UpgradesAnOpenConnectionOnBothSides) {
    int fds = aio::test::count_open_fds();
    StartTlsServer upgrading;
    run_tls([&]() -> aio::Task<> {
        auto server = co_await upgrading.start();
        auto [r, w] = co_await aio::open_connection("127.0.0.1", port_of(server));
        w.write("STARTTLS\n");
        std::string ok = co_await r.readline();
        EXPECT_EQ(ok, "OK\n");
        EXPECT_FALSE(w.get_extra_info("version").has_value());
        co_await w.start_tls(client_context(), "localhost");
        EXPECT_EQ(any_string(w.get_extra_info("version")), "TLSv1.3");
        EXPECT_EQ(any_string(w.get_extra_info("peercert_subject")), "CN=localhost");
        w.write("secret\n");
        std::string reply = co_await r.readline();
        EXPECT_EQ(reply, "terces\n");
        std::string end = co_await r.read();
        EXPECT_EQ(end, "");
        w.close();
        co_await w.wait_closed();
        server.close();
        co_await server.wait_closed();
    }());
    EXPECT_EQ(upgrading.version, "TLSv1.3");
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST(StartTls, TlsBytesTheReaderAlreadyBufferedAreNotLost) {
    StartTlsServer upgrading;
    upgrading.pause = 200ms;  // the command and the ClientHello arrive together
    run_tls([&]() -> aio::Task<> {
        auto server = co_await upgrading.start();
        auto [r, w] = co_await aio::open_connection("127.0.0.1", port_of(server));
        w.write("STARTTLS\n");
        co_await w.start_tls(client_context(), "localhost");  // no "OK" in this dialect
        w.write("eager\n");
        std::string reply = co_await r.readline();
        EXPECT_EQ(reply, "regae\n");
        server.close();
        co_await server.wait_closed();
    }());
    EXPECT_EQ(upgrading.version, "TLSv1.3");
}

TEST(StartTls, ServesOpensslSmtpStartTls) {
    // openssl s_client -starttls smtp: greeting, EHLO, STARTTLS, then TLS.
    std::string ehlo_seen, tls_line_seen;
    run_tls([&]() -> aio::Task<> {
        auto handler = [&](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<> {
            w.write("220 aio.test ESMTP\r\n");
            ehlo_seen = co_await r.readline();
            w.write("250-aio.test\r\n250 STARTTLS\r\n");
            std::string starttls = co_await r.readline();
            if (starttls != "STARTTLS\r\n") co_return;
            w.write("220 Ready to start TLS\r\n");
            co_await w.drain();
            co_await w.start_tls(server_context());
            tls_line_seen = co_await r.readline();
            w.write("221 over tls\r\n");
            co_await w.drain();
            w.close();
            co_await w.wait_closed();
        };
        auto server = co_await aio::start_server(handler, "127.0.0.1", 0);
        std::string command = "cd " + Pki::dir() + " && printf 'QUIT\\n' | timeout 20 openssl s_client -connect 127.0.0.1:" +
                              std::to_string(port_of(server)) +
                              " -starttls smtp -CAfile ca.pem -verify_return_error -crlf -ign_eof 2>&1";
        auto result = co_await aio::to_thread(aio::test::run_command, command);
        EXPECT_NE(result.output.find("Verify return code: 0 (ok)"), std::string::npos) << result.output;
        EXPECT_NE(result.output.find("221 over tls"), std::string::npos) << result.output;
        server.close();
        co_await server.wait_closed();
    }());
    EXPECT_EQ(ehlo_seen.rfind("EHLO ", 0), 0u) << ehlo_seen;
    EXPECT_EQ(tls_line_seen, "QUIT\r\n");
}

TEST(StartTls, AFailedUpgradeClosesTheStream) {
    OpensslServer untrusted("-cert untrusted.pem -key untrusted.key -rev");
    int fds = aio::test::count_open_fds();
    run_tls([&]() -> aio::Task<> {
        // s_server speaks TLS at once: upgrading right after connecting works,
        // and its certificate is refused.
        auto [r, w] = co_await aio::open_connection("127.0.0.1", untrusted.port());
        std::exception_ptr error;
        try {
            co_await w.start_tls(client_context(), "localhost");
        } catch (...) {
            error = std::current_exception();
        }
        expect_verification_error(error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                                  "unable to get local issuer certificate");
        EXPECT_TRUE(w.is_closing());
        std::exception_ptr later;
        try {
            co_await r.read(1);
        } catch (...) {
            later = std::current_exception();
        }
        EXPECT_TRUE(later);
        co_await w.wait_closed();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

// TLS moves ciphertext through memory BIOs and sends it with the socket
// transport (MSG_NOSIGNAL): a TLS writer whose peer reset the connection gets
// a typed error, never SIGPIPE.
TEST(TlsStreams, WritingToAResetPeerIsATypedErrorNotSigpipe) {
    int fds = aio::test::count_open_fds();
    int signals = -1;
    std::string error;
    run_tls([&]() -> aio::Task<> {
        aio::test::SigpipeRecorder sigpipe;
        auto handler = [](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<> {
            co_await r.readexactly(2);
            linger l{1, 0};  // close with RST, no close_notify
            ::setsockopt(std::any_cast<int>(w.get_extra_info("socket")), SOL_SOCKET, SO_LINGER, &l, sizeof l);
            ::shutdown(std::any_cast<int>(w.get_extra_info("socket")), SHUT_RDWR);
            w.close();
        };
        aio::ServerOptions sopts{.ssl = server_context()};
        auto server = co_await aio::start_server(handler, "127.0.0.1", 0, sopts);
        aio::ConnectOptions copts{.ssl = client_context(), .server_hostname = "localhost"};
        auto [r, w] = co_await aio::open_connection("127.0.0.1", port_of(server), copts);
        w.write("go");
        co_await w.drain();
        std::string chunk(64 * 1024, 'x');
        try {
            for (int i = 0; i < 1000; ++i) {
                w.write(chunk);
                co_await w.drain();
                if (i % 8 == 0) co_await aio::sleep(1ms);
            }
        } catch (const aio::BrokenPipeError& e) {
            error = std::string("BrokenPipeError: ") + e.what();
        } catch (const aio::ConnectionResetError& e) {
            error = std::string("ConnectionResetError: ") + e.what();
        }
        signals = sigpipe.deliveries();
        w.close();
        server.close();
        co_await server.wait_closed();
    }());
    EXPECT_FALSE(error.empty()) << "1000 TLS writes to a reset peer succeeded";
    EXPECT_EQ(signals, 0) << error;
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}
