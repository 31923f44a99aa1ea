// File download; see file_download.hpp.
#include "server/file_download.hpp"

#include "admin/authenticator.hpp"
#include "common/log.hpp"
#include "crypto/errors.hpp"
#include "server/download_headers.hpp"
#include "server/http_error.hpp"
#include "server/route_support.hpp"

#include <algorithm>
#include <cstring>

namespace furoshiki::server {

namespace http = boost::beast::http;

namespace {

// Where a download's log lines and audit event point.
struct DownloadTarget {
  std::string request_id;
  std::string file_id;
  std::string org_id;
  std::string object_id;
};

// Where a download's bytes are counted (admin::UsageCounters, per user and day).
struct DownloadUsage {
  admin::UsageCounters* counters = nullptr;  // null: not counted (tools and tests without usage)
  std::optional<admin::TenantScope> scope;
  std::string user_id;
};

// The security event of stored data that failed authentication. Never served: tampering or
// corruption on disk is an operator's matter, and the log says which object.
void log_integrity_failure(const DownloadTarget& t, std::uint64_t offset, std::string_view stage) {
  log::error("object_integrity_failed", {{"request_id", t.request_id},
                                         {"file_id", t.file_id},
                                         {"org_id", t.org_id},
                                         {"object_id", t.object_id},
                                         {"offset", offset},
                                         {"stage", stage}});
}

void record(admin::AuditLog& audit, const DownloadTarget& t, const admin::AuditEvent& event) {
  if (auto ec = audit.append(event)) {
    log::error("audit_append_failed",
               {{"request_id", t.request_id}, {"action", event.action}, {"reason", ec.message()}});
  }
}

// Streams [offset, end) of an opened object. The first piece may have been read (and so
// authenticated) before the header went out; it is handed out first.
class DownloadSource final : public BodySource {
 public:
  DownloadSource(admin::AuditLog& audit, DownloadTarget target, std::unique_ptr<storage::ObjectFileSource> file,
                 std::unique_ptr<crypto::ObjectOpener> opener, std::uint64_t offset, std::uint64_t end,
                 std::vector<std::uint8_t> ahead, admin::AuditEvent event, bool audited, DownloadUsage usage)
      : audit_(audit),
        target_(std::move(target)),
        file_(std::move(file)),
        opener_(std::move(opener)),
        offset_(offset),
        end_(end),
        ahead_(std::move(ahead)),
        event_(std::move(event)),
        audited_(audited),
        usage_(std::move(usage)) {}

  boost::system::result<std::size_t> next(std::span<std::uint8_t> buffer) override {
    if (ahead_used_ < ahead_.size()) {
      const std::size_t n = std::min(buffer.size(), ahead_.size() - ahead_used_);
      std::memcpy(buffer.data(), ahead_.data() + ahead_used_, n);
      ahead_used_ += n;
      if (ahead_used_ == ahead_.size()) std::vector<std::uint8_t>().swap(ahead_);  // one piece in memory
      return n;
    }
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), end_ - offset_));
    if (n == 0) return make_error_code(Errc::kInternal);
    // The opener authenticates every chunk it touches before it copies a byte of it into
    // `buffer`; on failure nothing of this piece is sent.
    if (auto ec = opener_->read(offset_, buffer.first(n))) {
      if (ec == crypto::CryptoErrc::kIntegrity) {
        integrity_failed_ = true;
        log_integrity_failure(target_, offset_, "body");
      } else {
        log::error("download_read_failed",
                   {{"request_id", target_.request_id}, {"file_id", target_.file_id}, {"reason", ec.message()}});
      }
      return ec;
    }
    offset_ += n;
    return n;
  }

  void on_finished(std::uint64_t body_bytes, bool complete) override {
    if (!audited_) return;
    event_.outcome = complete ? admin::AuditOutcome::kSuccess : admin::AuditOutcome::kFailure;
    event_.details["bytes"] = body_bytes;
    event_.details["complete"] = complete;
    if (!complete) event_.details["reason"] = integrity_failed_ ? "integrity" : "incomplete";
    record(audit_, target_, event_);
    if (usage_.counters && usage_.scope && body_bytes > 0) {
      if (auto ec = usage_.counters->record_download(*usage_.scope, usage_.user_id, body_bytes,
                                                     std::chrono::system_clock::now())) {
        log::error("usage_record_failed", {{"request_id", target_.request_id}, {"reason", ec.message()}});
      }
    }
  }

 private:
  admin::AuditLog& audit_;
  DownloadTarget target_;
  std::unique_ptr<storage::ObjectFileSource> file_;  // before opener_: it reads from it
  std::unique_ptr<crypto::ObjectOpener> opener_;
  std::uint64_t offset_;
  std::uint64_t end_;
  std::vector<std::uint8_t> ahead_;
  std::size_t ahead_used_ = 0;
  admin::AuditEvent event_;
  bool audited_;
  DownloadUsage usage_;
  bool integrity_failed_ = false;
};

// The 409 of stored data that failed authentication before the header went out.
SourcedResponse integrity_refusal(admin::AuditLog& audit, const DownloadTarget& t, admin::AuditEvent event,
                                  std::uint64_t offset, std::string_view stage) {
  log_integrity_failure(t, offset, stage);
  event.outcome = admin::AuditOutcome::kFailure;
  event.details["reason"] = "integrity";
  event.details["status"] = 409;
  event.details["bytes"] = 0;
  record(audit, t, event);
  return {.header = error_response(Errc::kIntegrityError), .source = nullptr, .content_length = 0};
}

SourcedResponse whole(Response res) { return {.header = std::move(res), .source = nullptr, .content_length = 0}; }

SourcedResponse download(FileRouteServices& services, const Request& request) {
  const auto& identity = *request.identity;
  auto file = services.files.get(identity.scope, identity.user.id, request.params.at("id"));
  if (!file && errc_of(file.error()) == Errc::kNotFound) return whole(error_response(Errc::kNotFound));
  if (!file) return whole(internal_error(request, "file read", file.error()));

  const DownloadTarget target{.request_id = std::string(request.request_id),
                              .file_id = file->id,
                              .org_id = file->org_id,
                              .object_id = file->object_id};
  admin::AuditEvent event = user_audit_event(request, "file.download", file->id);
  auto& audit = services.uploads.audit;

  std::unique_ptr<storage::ObjectFileSource> object;
  if (auto ec = services.store.open(file->object_id, object)) return whole(internal_error(request, "object open", ec));
  std::unique_ptr<crypto::ObjectOpener> opener;
  if (auto ec = crypto::ObjectOpener::open(services.uploads.ctx, *object, file->org_id, file->object_id,
                                           services.uploads.keys.lookup_for(file->org_id), opener)) {
    if (ec == crypto::CryptoErrc::kIntegrity) return integrity_refusal(audit, target, std::move(event), 0, "open");
    return whole(internal_error(request, "object open", ec));
  }
  const std::uint64_t size = opener->size();
  if (size != file->size) return integrity_refusal(audit, target, std::move(event), 0, "size");

  const std::string etag = entity_tag(file->sha256);
  Response res{http::status::ok, 11};
  res.set(http::field::etag, etag);
  res.set(http::field::last_modified, http_date(file->created_at));
  res.set(http::field::accept_ranges, "bytes");
  res.set(http::field::cache_control, "private, no-store");

  if (const auto inm = request.header(http::field::if_none_match); !inm.empty() && if_none_match_matches(inm, etag)) {
    res.result(http::status::not_modified);
    return whole(std::move(res));
  }

  RangeRequest range;
  if (const auto value = request.header(http::field::range); !value.empty()) {
    range = parse_range(value, size);
    const auto if_range = request.header(http::field::if_range);
    if (!if_range.empty() && !if_range_matches(if_range, etag, file->created_at)) range = RangeRequest{};
  }
  if (range.kind == RangeRequest::Kind::kUnsatisfiable) {
    Response refused = error_response(Errc::kRangeNotSatisfiable);
    refused.set(http::field::content_range, "bytes */" + std::to_string(size));
    refused.set(http::field::accept_ranges, "bytes");
    return whole(std::move(refused));
  }
  std::uint64_t first = 0, end = size;
  if (range.kind == RangeRequest::Kind::kPartial) {
    first = range.range.first;
    end = range.range.last + 1;
    res.result(http::status::partial_content);
    res.set(http::field::content_range, "bytes " + std::to_string(range.range.first) + "-" +
                                            std::to_string(range.range.last) + "/" + std::to_string(size));
    event.details["range"] = std::to_string(range.range.first) + "-" + std::to_string(range.range.last);
  } else {
    event.details["range"] = nullptr;
  }
  event.details["status"] = res.result_int();
  event.details["size"] = size;
  // Never rendered by a browser: an attachment, of a type that cannot run, in a sandbox.
  res.set(http::field::content_type, download_content_type(file->content_type));
  res.set(http::field::content_disposition, content_disposition(file->name));
  res.set("Content-Security-Policy", "sandbox; default-src 'none'");

  // Read (and authenticate) up to the end of the first chunk before the header goes out, so that
  // a tampered start answers 409 instead of a cut connection.
  const bool head = request.method == http::verb::head;
  std::vector<std::uint8_t> ahead;
  if (!head && end > first) {
    const std::uint64_t chunk = opener->header().chunk_bytes;
    ahead.resize(static_cast<std::size_t>(std::min<std::uint64_t>(end - first, chunk - first % chunk)));
    if (auto ec = opener->read(first, ahead)) {
      if (ec == crypto::CryptoErrc::kIntegrity) {
        return integrity_refusal(audit, target, std::move(event), first, "first_chunk");
      }
      return whole(internal_error(request, "object read", ec));
    }
  }
  const std::uint64_t length = end - first;
  auto source = std::make_shared<DownloadSource>(
      audit, target, std::move(object), std::move(opener), first + ahead.size(), end, std::move(ahead),
      std::move(event), !head,
      DownloadUsage{.counters = services.usage, .scope = identity.scope, .user_id = identity.user.id});
  return {.header = std::move(res), .source = std::move(source), .content_length = length};
}

}  // namespace

void add_download_routes(Router& router, FileRouteServices& services) {
  router.add({.method = http::verb::get,
              .pattern = "/api/v1/files/{id}/content",
              .policy = AuthPolicy::kSignedIn,
              .body_limit = 0,
              .handler = {},
              .blocking = true,
              .before_password_change = false,
              .during_totp_enrolment = false,
              .stream_handler = {},
              .source_handler = [&services](const Request& request) { return download(services, request); }});
}

}  // namespace furoshiki::server
