// permessage-deflate negotiation (RFC 7692 section 7.1): the client's offer,
// the server's choice among offers, the client's reading of the answer.
#include "http/websocket/codec.hpp"

#include <vector>

namespace aio::http::ws {

namespace {

// One element of a Sec-WebSocket-Extensions list (RFC 6455 section 9.1):
//   extension = token *( OWS ";" OWS token [ OWS "=" OWS ( token / quoted-string ) ] )
struct ExtParam {
    std::string name;
    std::optional<std::string> value;
};
struct ExtElement {
    std::string name;
    std::vector<ExtParam> params;
};

bool ext_tchar(char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
        case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
        case '^': case '_': case '`': case '|': case '~':
            return true;
        default:
            return false;
    }
}

bool ext_is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s)
        if (!ext_tchar(c)) return false;
    return true;
}

bool ext_iequal(std::string_view a, std::string_view lower) noexcept {
    if (a.size() != lower.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        if (c != lower[i]) return false;
    }
    return true;
}

class ExtListParser {
public:
    explicit ExtListParser(std::string_view s) : s_(s) {}

    /// The elements of the list (empty elements skipped, as RFC 9110's #rule
    /// allows); false when the text does not follow the grammar.
    bool parse(std::vector<ExtElement>& out) {
        for (;;) {
            ows();
            if (i_ == s_.size()) return true;
            if (s_[i_] == ',') {
                ++i_;
                continue;
            }
            ExtElement e;
            if (!token(e.name)) return false;
            ows();
            while (i_ < s_.size() && s_[i_] == ';') {
                ++i_;
                ows();
                ExtParam p;
                if (!token(p.name)) return false;
                ows();
                if (i_ < s_.size() && s_[i_] == '=') {
                    ++i_;
                    ows();
                    std::string v;
                    if (i_ < s_.size() && s_[i_] == '"') {
                        // The unescaped value of a quoted string must be a token too.
                        if (!quoted(v) || !ext_is_token(v)) return false;
                    } else if (!token(v)) {
                        return false;
                    }
                    p.value = std::move(v);
                    ows();
                }
                e.params.push_back(std::move(p));
            }
            out.push_back(std::move(e));
            if (i_ == s_.size()) return true;
            if (s_[i_] != ',') return false;
            ++i_;
        }
    }

private:
    void ows() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
    }
    bool token(std::string& out) {
        std::size_t b = i_;
        while (i_ < s_.size() && ext_tchar(s_[i_])) ++i_;
        out.assign(s_.substr(b, i_ - b));
        return i_ > b;
    }
    bool quoted(std::string& out) {
        ++i_;  // the opening quote
        while (i_ < s_.size()) {
            char c = s_[i_++];
            if (c == '"') return true;
            if (c == '\\') {
                if (i_ == s_.size()) return false;
                c = s_[i_++];
            }
            out += c;
        }
        return false;
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

/// A window-bits value: a decimal 8..15 without leading zeros.
std::optional<int> ext_window_bits(const std::optional<std::string>& v) {
    if (!v) return std::nullopt;
    const std::string& s = *v;
    if (s.size() == 1 && s[0] >= '8' && s[0] <= '9') return s[0] - '0';
    if (s.size() == 2 && s[0] == '1' && s[1] >= '0' && s[1] <= '5') return 10 + (s[1] - '0');
    return std::nullopt;
}

/// The parameters of one permessage-deflate element (an offer or an answer).
struct DeflateElement {
    DeflateParams params;
    bool server_bits = false;          // server_max_window_bits given
    bool client_bits = false;          // client_max_window_bits given
    bool client_bits_value = false;    // ... with a value
};

/// Reads an element's parameters; nullptr, or what is wrong with them: an
/// unknown or repeated parameter, a value where none belongs, window bits
/// outside 9..15 (8 is valid in RFC 7692, but zlib cannot make that window).
const char* ext_read_deflate(const ExtElement& e, DeflateElement& out) {
    bool snct = false, cnct = false;
    for (const ExtParam& prm : e.params) {
        if (ext_iequal(prm.name, "server_no_context_takeover")) {
            if (snct) return "server_no_context_takeover repeated";
            if (prm.value) return "server_no_context_takeover with a value";
            snct = out.params.server_no_context_takeover = true;
        } else if (ext_iequal(prm.name, "client_no_context_takeover")) {
            if (cnct) return "client_no_context_takeover repeated";
            if (prm.value) return "client_no_context_takeover with a value";
            cnct = out.params.client_no_context_takeover = true;
        } else if (ext_iequal(prm.name, "server_max_window_bits")) {
            if (out.server_bits) return "server_max_window_bits repeated";
            out.server_bits = true;
            auto bits = ext_window_bits(prm.value);
            if (!bits || *bits == 8) return "server_max_window_bits outside 9..15";
            out.params.server_max_window_bits = *bits;
        } else if (ext_iequal(prm.name, "client_max_window_bits")) {
            if (out.client_bits) return "client_max_window_bits repeated";
            out.client_bits = true;
            if (prm.value) {
                auto bits = ext_window_bits(prm.value);
                if (!bits || *bits == 8) return "client_max_window_bits outside 9..15";
                out.client_bits_value = true;
                out.params.client_max_window_bits = *bits;
            }
        } else {
            return "unknown permessage-deflate parameter";
        }
    }
    return nullptr;
}

[[noreturn]] void ext_fail(std::string what) {
    throw WebSocketError(WSCloseCode::PROTOCOL_ERROR, "Sec-WebSocket-Extensions: " + std::move(what));
}

}  // namespace

std::string deflate_offer(bool client_no_context_takeover, bool server_no_context_takeover) {
    std::string s = "permessage-deflate; client_max_window_bits";
    if (client_no_context_takeover) s += "; client_no_context_takeover";
    if (server_no_context_takeover) s += "; server_no_context_takeover";
    return s;
}

std::optional<DeflateParams> deflate_accept_offer(std::string_view extensions_header, std::string& response) {
    response.clear();
    std::vector<ExtElement> list;
    if (!ExtListParser(extensions_header).parse(list)) return std::nullopt;
    for (const ExtElement& e : list) {
        DeflateElement d;
        if (!ext_iequal(e.name, "permessage-deflate") || ext_read_deflate(e, d)) continue;
        const DeflateParams& p = d.params;
        response = "permessage-deflate";
        if (p.server_no_context_takeover) response += "; server_no_context_takeover";
        if (p.client_no_context_takeover) response += "; client_no_context_takeover";
        if (d.server_bits) response += "; server_max_window_bits=" + std::to_string(p.server_max_window_bits);
        // client_max_window_bits without a value lets the server limit the
        // client's window; this one does not (its inflater reads any window).
        if (d.client_bits_value) response += "; client_max_window_bits=" + std::to_string(p.client_max_window_bits);
        return p;
    }
    return std::nullopt;
}

std::optional<DeflateParams> deflate_parse_response(std::string_view extensions_header) {
    std::vector<ExtElement> list;
    if (!ExtListParser(extensions_header).parse(list)) ext_fail("malformed answer");
    if (list.empty()) return std::nullopt;
    if (list.size() > 1) ext_fail("more than one extension accepted");
    const ExtElement& e = list[0];
    if (!ext_iequal(e.name, "permessage-deflate")) ext_fail("extension " + e.name + " was not offered");
    DeflateElement d;
    if (const char* wrong = ext_read_deflate(e, d)) ext_fail(wrong);
    // deflate_offer always offers client_max_window_bits, so the server may
    // answer it, but with a value (RFC 7692 section 7.1.2.2).
    if (d.client_bits && !d.client_bits_value) ext_fail("client_max_window_bits without a value");
    return d.params;
}

}  // namespace aio::http::ws
