// A router resource: one path pattern and the handlers of its methods.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "aio/web/app.hpp"

namespace aio::web::detail {

/// aiohttp's Resource: match a decoded path, build a URL.
class Resource {
public:
    virtual ~Resource() = default;
    /// Whether `path` matches; adds the parameters to `m` when it does.
    virtual bool match(std::string_view path, MatchInfo& m) const = 0;
    virtual std::string url_for(const std::vector<std::pair<std::string, std::string>>& params) const = 0;

    std::string name;
    std::string canonical;  // the path pattern as the route gave it ("/users/{id}")
    std::vector<std::pair<std::string, Handler>> routes;  // method → handler
};

/// Writes into a MatchInfo (its fields are private to users).
struct RouteMatch {
    static void add(MatchInfo& m, std::string name, std::string value) {
        m.items_.emplace_back(std::move(name), std::move(value));
    }
};

std::unique_ptr<Resource> make_static_resource(std::string prefix, std::filesystem::path directory, StaticOptions opts);

}  // namespace aio::web::detail
