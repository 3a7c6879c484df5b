// StreamWriter::start_tls: upgrades an open connection to TLS (asyncio:
// StreamWriter.start_tls).
#include "aio/streams.hpp"
#include "streams/connection.hpp"
#include "streams/tls.hpp"

namespace aio {


Task<> StreamWriter::start_tls(SSLContext ctx, std::string server_hostname) {
    auto c = c_;  // the connection outlives the handshake even if this writer is moved
    if (!c->transport) throw RuntimeError("start_tls() needs a connected stream");
    if (c->closing || c->closed) throw RuntimeError("start_tls() on a closed stream");
    if (c->eof_requested) throw RuntimeError("start_tls() after write_eof()");
    if (c->reading) throw RuntimeError("start_tls() while another task reads from the stream");

    // What was written before goes out in plain text first (asyncio drains too).
    while (c->flushing && !c->write_error && !c->closed) {
        detail::ListWait flushed(c->drain_waiters);
        co_await flushed;
    }
    if (c->write_error) std::rethrow_exception(c->write_error);
    if (c->closed) throw ConnectionResetError(ECONNRESET, "the connection was closed before start_tls()", "");

    // Bytes the reader buffered past the last plain-text message are the
    // peer's first TLS records.
    std::string received(c->rbuf.view());
    c->rbuf.consume(received.size());

    // During the handshake reads are refused (as "another task is reading"),
    // and writes, write_eof() and close() wait in the buffer as if a flush ran.
    c->reading = true;
    c->flushing = true;
    bool server_side = ctx.server_side();
    std::unique_ptr<detail::Transport> plain = std::move(c->transport);
    std::unique_ptr<detail::Transport> tls;
    std::exception_ptr failure;
    try {
        tls = co_await detail::tls_handshake(std::move(plain), std::move(ctx), server_side, std::move(server_hostname),
                                             std::move(received));
    } catch (...) {
        failure = std::current_exception();
    }
    c->reading = false;
    c->flushing = false;

    if (failure) {
        // The socket went with the failed handshake: the stream is closed.
        std::exception_ptr fate = failure;
        try {
            std::rethrow_exception(failure);
        } catch (const CancelledError&) {
            fate = std::make_exception_ptr(
                ConnectionAbortedError(ECONNABORTED, "start_tls() was cancelled during the handshake", ""));
        } catch (...) {
        }
        c->read_error = fate;
        c->write_error = fate;
        c->closing = true;
        c->closed = true;
        c->drain_waiters.grant_all();
        c->close_waiters.grant_all();
        std::rethrow_exception(failure);
    }

    c->transport = std::move(tls);
    // Replay what the program asked for during the handshake, now over TLS.
    bool close_requested = c->closing;
    bool eof_requested = c->eof_requested;
    c->closing = false;
    c->eof_requested = false;
    if (!c->wbuf.empty()) {
        std::string pending(c->wbuf.view());
        c->wbuf.consume(pending.size());
        write(pending);
    }
    if (eof_requested) write_eof();
    if (close_requested) close();
}

}  // namespace aio
