// The route table. Every route declares its access policy; a route without one
// (AuthPolicy::kUnspecified) is unreachable: deny by default.
#pragma once

#include "server/request.hpp"

#include <boost/beast/http/verb.hpp>
#include <boost/system/result.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace furoshiki::server {

enum class AuthPolicy {
  kUnspecified,    // default: never served (403)
  kPublic,         // anyone, no credentials
  kMetricsReader,  // bearer token from metrics.token_file, or loopback clients when none is set
  kSignedIn,       // a user of an active organization: session cookie (+ X-CSRF-Token when unsafe) or API token
  kOrgAdmin,       // as kSignedIn, with the role org_admin
  // An operator (the service's own accounts, not an organization's): the operator session cookie
  // (+ X-CSRF-Token when unsafe). No API token and no user session ever grants it.
  kOperator,
};

// The policy's name in logs and the route table: "unspecified", "public", "metrics_reader",
// "signed_in", "org_admin", "operator".
std::string_view policy_name(AuthPolicy policy);

// Whether the policy needs the request's identity (resolved off the network threads).
inline bool needs_identity(AuthPolicy policy) {
  return policy == AuthPolicy::kSignedIn || policy == AuthPolicy::kOrgAdmin || policy == AuthPolicy::kOperator;
}

using Handler = std::function<Response(const Request&)>;

// A request body consumed piece by piece as it arrives (uploads), instead of whole in
// Request::body. The session reads the next piece from the network only after the previous one
// was handled (back-pressure: memory per connection is one piece, whatever the body's size).
// Both calls run on the blocking pool, one at a time, never on a network thread. A reader
// dropped before on_complete() (connection lost, too slow, over the limit) must release
// everything it holds in its destructor, which also runs on the blocking pool.
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // The next piece of the body, in order. An answer ends the request there: the rest of the
  // body is not read and the connection is closed after the answer.
  virtual std::optional<Response> on_body(std::span<const std::uint8_t> piece) = 0;
  // The whole body arrived (possibly empty). `answer` must be called exactly once, from any
  // thread, now or later (an upload answers when its scan has finished, without holding a
  // blocking-pool thread meanwhile). It keeps the connection alive until it is called.
  virtual void on_complete(std::function<void(Response)> answer) = 0;
};

// What a streaming route decides once the header is in and access is granted (before any body
// byte is read): an answer (the body is never read), or a reader and its body limit.
struct BodyStart {
  std::optional<Response> answer;
  std::shared_ptr<BodyReader> reader;
  // The limit for this request (at most the route's body_limit): a declared Content-Length over
  // it is answered 413 before reading, a chunked body is cut off with 413 when it passes it.
  std::uint64_t body_limit = 0;
};

// Runs on the blocking pool with the request's identity resolved; request.body is empty.
using StreamHandler = std::function<BodyStart(const Request&)>;

// A response body produced piece by piece as it is sent (downloads), instead of whole in
// Response::body. The session asks for the next piece only after the previous one was written
// to the network (back-pressure: memory per connection is one piece, whatever the body's size).
// Every call, the destructor included, runs on the blocking pool, one at a time, never on a
// network thread.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // Fills the start of `buffer` with the next bytes of the body and returns how many (at least 1
  // while the declared Content-Length is not reached). An error ends the body there: the
  // connection is closed without sending anything more (the client sees a short body, never a
  // wrong byte).
  virtual boost::system::result<std::size_t> next(std::span<std::uint8_t> buffer) = 0;
  // The body ended: `body_bytes` of it were written to the connection and `complete` tells
  // whether that was all of it (false: the client went away, a write timed out, next() failed,
  // or the server shut down). Called exactly once, also for HEAD (0 bytes, complete).
  virtual void on_finished(std::uint64_t body_bytes, bool complete) = 0;
};

// What a source route answers: a whole response (`source` null), or the header of one whose
// body `source` produces. With a source, the header's Content-Length is `content_length`; the
// body of `header` is ignored.
struct SourcedResponse {
  Response header;
  std::shared_ptr<BodySource> source;
  std::uint64_t content_length = 0;
};

// Runs on the blocking pool with the request's identity resolved.
using SourceHandler = std::function<SourcedResponse(const Request&)>;

struct Route {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string pattern;  // "/api/v1/files/{id}": literal segments and {name} parameters
  AuthPolicy policy = AuthPolicy::kUnspecified;
  std::size_t body_limit = 0;  // bytes; 0: the request must not have a body
  Handler handler;
  // The handler blocks (password hashing, database writes): it runs on the blocking pool, never on
  // a network thread. Routes with an identity policy always do.
  bool blocking = false;
  // Reachable while the user (or operator) must still replace a one-time password (/me,
  // /me/password, logout; /system/me, /system/password, /system/logout).
  bool before_password_change = false;
  // Reachable while the organization requires a second factor the user has not enrolled yet
  // (/me, /me/password, /me/totp, /me/totp/confirm, logout).
  bool during_totp_enrolment = false;
  // Set for routes that take their body as a stream (then `handler` is unused and body_limit is
  // the largest limit the stream handler may choose).
  StreamHandler stream_handler{};
  // Set for routes that answer with a streamed body (then `handler` is unused; the route has no
  // request body and always runs on the blocking pool).
  SourceHandler source_handler{};
};

struct RouteMatch {
  const Route* route = nullptr;  // null: see path_exists
  bool path_exists = false;      // the path matches a route with another method (405)
  std::map<std::string, std::string, std::less<>> params;
};

class Router {
 public:
  // Throws std::invalid_argument for a malformed pattern or a duplicate (method, pattern).
  void add(Route route);

  // HEAD is served by the GET route of the path.
  RouteMatch match(boost::beast::http::verb method, std::string_view path) const;

  // Methods allowed on `path`, for the Allow header of a 405.
  std::string allowed_methods(std::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace furoshiki::server
