// tus 1.0.0 resumable uploads; see upload_routes.hpp and docs/upload.md.
#include "server/upload_routes.hpp"

#include "admin/authenticator.hpp"
#include "admin/file_names.hpp"
#include "common/log.hpp"
#include "crypto/password.hpp"
#include "crypto/random.hpp"
#include "server/http_error.hpp"
#include "server/route_support.hpp"

#include <boost/json/serialize.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <charconv>
#include <ctime>

namespace furoshiki::server {

namespace http = boost::beast::http;
using SysClock = std::chrono::system_clock;

// One upload. Every field is guarded by the registry's mutex; `upload` is used only by the
// holder of `busy` (the one PATCH or POST body at a time), outside the mutex.
struct TusEntry {
  std::string id, org_id, owner_id, name;
  std::optional<admin::TenantScope> scope;  // the owner's, for its uploads row
  std::uint64_t length = 0;
  std::uint64_t offset = 0;         // durable plaintext bytes
  std::string state = "receiving";  // receiving, scanning, clean, rejected, failed
  std::string file_id, reason, signature;
  SysClock::time_point created_at, expires_at;
  std::shared_ptr<admin::FileUpload> upload;  // while receiving
  std::string object_id;                      // the staged object (changes when a rollback re-seals)
  admin::AuditEvent actor{admin::AuditChain::service()};
  bool busy = false;
};

// The registry's internals for the route code in this file.
class TusAccess {
 public:
  static std::mutex& mutex(TusRegistry& r) { return r.mutex_; }
  static std::condition_variable& idle(TusRegistry& r) { return r.idle_; }
  static auto& entries(TusRegistry& r) { return r.entries_; }
};

namespace {

constexpr std::string_view kTusVersion = "1.0.0";
constexpr std::string_view kExtensions = "creation,creation-with-upload,termination,expiration,checksum";
// SHA-256 only: available under FIPS too (and neither MD5 nor SHA-1 is worth offering).
constexpr std::string_view kChecksumAlgorithms = "sha256";
// The tus checksum extension's status for a body whose checksum does not match.
constexpr auto kChecksumMismatch = static_cast<http::status>(460);
constexpr std::string_view kOffsetStream = "application/offset+octet-stream";

void tus_headers(Response& res) { res.set("Tus-Resumable", kTusVersion); }

Response tus(Response res) {
  tus_headers(res);
  return res;
}

Response tus_error(http::status status, std::string_view code, std::string_view message) {
  boost::json::object body{{"error", boost::json::object{{"code", code}, {"message", message}}}};
  return tus(json_response(status, boost::json::serialize(body)));
}

Response no_content() { return tus(Response{http::status::no_content, 11}); }

std::string http_date(SysClock::time_point t) {
  const std::time_t secs = SysClock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Upload-Metadata values are standard base64, padded or not (tus 1.0.0, "creation").
std::optional<std::string> base64_decode(std::string_view in) {
  for (int i = 0; i < 2 && !in.empty() && in.back() == '='; ++i) in.remove_suffix(1);
  auto bytes = crypto::base64_decode(in);
  if (!bytes) return std::nullopt;
  return std::string(bytes->begin(), bytes->end());
}

bool tus_resumable(const Request& request) { return request.header("Tus-Resumable") == kTusVersion; }

// Upload-Checksum: "<algorithm> <base64 of the digest>" (tus 1.0.0, "checksum"). Absent: nullopt
// digest and no answer; refused: the 400 to send.
struct ChecksumHeader {
  std::optional<std::array<std::uint8_t, 32>> sha256;
  std::optional<Response> refusal;
};
ChecksumHeader parse_checksum(const Request& request) {
  ChecksumHeader out;
  const std::string_view header = request.header("Upload-Checksum");
  if (header.empty()) return out;
  const auto space = header.find(' ');
  if (space == std::string_view::npos || space == 0) {
    out.refusal =
        tus_error(http::status::bad_request, "bad_request", "Upload-Checksum must be \"<algorithm> <base64 digest>\".");
    return out;
  }
  if (header.substr(0, space) != "sha256") {
    out.refusal = tus_error(http::status::bad_request, "checksum_algorithm_unsupported",
                            "The only checksum algorithm served is sha256 (Tus-Checksum-Algorithm).");
    return out;
  }
  std::string_view encoded = header.substr(space + 1);
  for (int i = 0; i < 2 && !encoded.empty() && encoded.back() == '='; ++i) encoded.remove_suffix(1);
  const auto digest = crypto::base64_decode(encoded);
  if (!digest || digest->size() != 32) {
    out.refusal = tus_error(http::status::bad_request, "bad_request",
                            "Upload-Checksum: the sha256 digest must be 32 bytes in base64.");
    return out;
  }
  out.sha256.emplace();
  std::copy(digest->begin(), digest->end(), out.sha256->begin());
  return out;
}

Response version_refused() {
  Response res = tus_error(http::status::precondition_failed, "tus_version",
                           "Tus-Resumable: 1.0.0 is required (the only version served).");
  res.set("Tus-Version", kTusVersion);
  return res;
}

BodyStart refuse(Response res) { return BodyStart{.answer = std::move(res), .reader = nullptr, .body_limit = 0}; }

bool has_body(const Request& request) {
  if (!request.header(http::field::transfer_encoding).empty()) return true;
  const auto length = parse_u64(request.header(http::field::content_length));
  return length && *length > 0;
}

bool offset_stream(const Request& request) {
  std::string_view type = request.header(http::field::content_type);
  if (const auto semicolon = type.find(';'); semicolon != std::string_view::npos) type = type.substr(0, semicolon);
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return boost::beast::iequals(type, kOffsetStream);
}

void audit(TusRegistry& registry, admin::AuditEvent event) {
  if (auto ec = registry.services.uploads.audit.append(event)) {
    log::error("audit_append_failed", {{"action", event.action}, {"reason", ec.message()}});
  }
}

// The entry's uploads row as it should be now. REQUIRES: the registry's mutex held, or the
// entry's `busy` held by the caller (nobody else changes it then).
admin::UploadRecord record_of(const TusRegistry& registry, const TusEntry& e) {
  admin::UploadRecord r;
  r.id = e.id;
  r.org_id = e.org_id;
  r.owner_id = e.owner_id;
  r.name = e.name;
  r.length = e.length;
  r.offset = e.offset;
  r.state = e.state;
  r.reason = e.reason;
  r.signature = e.signature;
  r.file_id = e.file_id;
  r.object_id = e.object_id;
  r.created_at = e.created_at;
  r.updated_at = SysClock::now();
  // Receiving: Upload-Expires; scanning: never purged; ended: kept for the state and the 410.
  r.expires_at = r.ended() ? r.updated_at + registry.options.ended_retention : e.expires_at;
  return r;
}

// Writes the row (outside the mutex). A failure is logged: the upload itself goes on, and its
// row is corrected by its next write (or marked failed at the next start-up).
void persist(TusRegistry& registry, const TusEntry& e, const admin::UploadRecord& record) {
  if (auto ec = registry.records.update(*e.scope, record)) {
    log::error("upload_record_write_failed", {{"upload_id", e.id}, {"state", record.state}, {"reason", ec.message()}});
  }
}

// The entry `id` when it belongs to the request's user; null otherwise (404 either way).
// REQUIRES: the registry's mutex held.
std::shared_ptr<TusEntry> find_owned(TusRegistry& registry, const Request& request, std::string_view id) {
  auto& entries = TusAccess::entries(registry);
  const auto it = entries.find(id);
  if (it == entries.end()) return nullptr;
  const auto& identity = *request.identity;
  if (it->second->org_id != identity.scope.org_id() || it->second->owner_id != identity.user.id) return nullptr;
  return it->second;
}

// Waits (bounded) until no PATCH holds the entry. False: still busy (423).
bool wait_idle(TusRegistry& registry, std::unique_lock<std::mutex>& lock, const std::shared_ptr<TusEntry>& e) {
  return TusAccess::idle(registry).wait_for(lock, registry.options.lock_wait, [&] { return !e->busy; });
}

Response locked() {
  Response res = tus_error(http::status::locked, "upload_locked",
                           "Another request is writing this upload; retry when it has finished.");
  res.set(http::field::retry_after, "1");
  return res;
}

bool gone(std::string_view state) {
  return state == "rejected" || state == "failed" || state == "terminated" || state == "expired";
}

Response not_receiving(std::string_view state) {
  if (gone(state)) {
    return tus_error(http::status::gone, "upload_gone",
                     "This upload ended without a file: " + std::string(state) + ".");
  }
  return tus_error(http::status::conflict, "upload_complete", "This upload has received all its bytes.");
}

// The request user's uploads row `id` when the upload is no longer in memory (ended, or from
// before a restart); nullopt when there is none (404). A database error is 500.
std::optional<admin::UploadRecord> stored_record(TusRegistry& registry, const Request& request, const std::string& id,
                                                 std::optional<Response>& error) {
  const auto& identity = *request.identity;
  auto record = registry.records.get(identity.scope, identity.user.id, id);
  if (record) return std::move(*record);
  if (record.error() != Errc::kNotFound) {
    log::error("upload_record_read_failed", {{"upload_id", id}, {"reason", record.error().message()}});
    error = tus(error_response(Errc::kInternal));
  }
  return std::nullopt;
}

void record_verdict(TusRegistry& registry, const TusEntry& e) {
  admin::AuditEvent event = e.actor;
  event.action = "upload.verdict";
  event.target = e.id;
  event.outcome = e.state == "clean"      ? admin::AuditOutcome::kSuccess
                  : e.state == "rejected" ? admin::AuditOutcome::kDenied
                                          : admin::AuditOutcome::kFailure;
  event.details = {{"state", e.state}, {"size", e.length}};
  if (!e.file_id.empty()) event.details["file_id"] = e.file_id;
  if (!e.reason.empty()) event.details["reason"] = e.reason;
  if (!e.signature.empty()) event.details["signature"] = e.signature;
  audit(registry, std::move(event));
}

// Sets the entry's state from the pipeline's outcome. REQUIRES: the registry's mutex held.
void settle(TusEntry& e, const admin::UploadOutcome& out) {
  if (out.stored()) {
    e.state = "clean";
    e.file_id = out.file.id;
    return;
  }
  if (out.verdict && !out.error && out.verdict->kind == scanner::ScanVerdict::Kind::kInfected) {
    e.state = "rejected";
    e.reason = "infected";
    e.signature = out.verdict->signature;
    return;
  }
  if (out.verdict && !out.error && out.verdict->kind == scanner::ScanVerdict::Kind::kRefused) {
    e.state = "rejected";
    e.reason = out.verdict->reason.empty() ? "scan_refused" : "scan_refused: " + out.verdict->reason;
    return;
  }
  e.state = "failed";
  e.reason = out.error ? std::string(to_http(errc_of(out.error)).code) : "internal";
}

// Streams one PATCH (or POST creation-with-upload) body into the entry's FileUpload. Holds the
// entry's `busy` from creation to the end: its checkpoint runs in on_complete() or, when the
// body was cut off, in the destructor. With Upload-Checksum the body is hashed as it streams
// (constant memory) and the upload is marked at its start: a body that does not match — or
// that was cut off, so cannot be verified — is rolled back to the mark (FileUpload::rollback()).
class TusBodyReader final : public BodyReader {
 public:
  TusBodyReader(TusRegistry& registry, const Request& request, std::shared_ptr<TusEntry> entry,
                std::shared_ptr<admin::FileUpload> upload, bool creation,
                std::optional<std::array<std::uint8_t, 32>> checksum = std::nullopt)
      : registry_(registry),
        request_id_(request.request_id),
        entry_(std::move(entry)),
        upload_(std::move(upload)),
        creation_(creation),
        body_(has_body(request)),
        checksum_(checksum),
        actor_(user_audit_event(request, "upload.patch", entry_->id)) {
    if (!checksum_) return;
    body_digest_ = EVP_MD_CTX_new();
    if (!body_digest_ || EVP_DigestInit_ex(body_digest_, registry_.services.uploads.ctx->sha256(), nullptr) != 1) {
      start_error_ = make_error_code(Errc::kInternal);
    } else {
      start_error_ = upload_->mark();
    }
  }

  ~TusBodyReader() override {
    // A body cut off before its end cannot be verified: none of it counts.
    if (!released_ && checksum_) {
      (void)rollback_and_release();
    } else if (!released_) {
      (void)checkpoint_and_release();
    }
    EVP_MD_CTX_free(body_digest_);
  }
  TusBodyReader(const TusBodyReader&) = delete;
  TusBodyReader& operator=(const TusBodyReader&) = delete;

  std::optional<Response> on_body(std::span<const std::uint8_t> piece) override {
    if (start_error_) {
      fail_upload();
      return with_location(upload_error(log_request(), start_error_));
    }
    if (body_digest_ && EVP_DigestUpdate(body_digest_, piece.data(), piece.size()) != 1) {
      fail_upload();
      return with_location(upload_error(log_request(), make_error_code(Errc::kInternal)));
    }
    if (auto ec = upload_->append(piece)) {
      fail_upload();
      return with_location(upload_error(log_request(), ec));
    }
    return std::nullopt;
  }

  void on_complete(std::function<void(Response)> answer) override {
    if (start_error_) {
      fail_upload();
      return answer(with_location(upload_error(log_request(), start_error_)));
    }
    if (checksum_ && !checksum_matches()) {
      const std::uint64_t received = upload_->received_bytes();
      const auto offset = rollback_and_release();
      if (!offset) return answer(with_location(upload_error(log_request(), offset.error())));
      admin::AuditEvent event = actor_;
      event.outcome = admin::AuditOutcome::kFailure;
      event.details = {{"reason", "checksum_mismatch"},
                       {"algorithm", "sha256"},
                       {"offset", *offset},
                       {"discarded_bytes", received - *offset}};
      audit(registry_, std::move(event));
      Response res = with_location(tus_error(kChecksumMismatch, "checksum_mismatch",
                                             "Checksum Mismatch: the body does not match Upload-Checksum; none of it "
                                             "was kept."));
      res.set("Upload-Offset", std::to_string(*offset));
      return answer(std::move(res));
    }
    if (!upload_->complete()) {
      const auto offset = checkpoint_and_release();
      if (!offset) return answer(with_location(upload_error(log_request(), offset.error())));
      Response res = creation_ ? created() : no_content();
      if (!creation_ || body_) res.set("Upload-Offset", std::to_string(*offset));
      return answer(std::move(res));
    }
    {
      // Still busy: nobody else writes the row before this.
      admin::UploadRecord record = record_of(registry_, *entry_);
      record.state = "scanning";
      record.offset = entry_->length;
      persist(registry_, *entry_, record);
    }
    {
      const std::lock_guard lock(TusAccess::mutex(registry_));
      entry_->state = "scanning";
      entry_->offset = entry_->length;
      entry_->upload.reset();
      entry_->busy = false;
      released_ = true;
    }
    TusAccess::idle(registry_).notify_all();
    // The scan runs on the scan pool; its thread settles the entry and answers.
    admin::FileUpload::finish_async(
        std::move(upload_), [&registry = registry_, entry = entry_, creation = creation_, id = request_id_,
                             answer = std::move(answer)](const admin::UploadOutcome& out) {
          admin::UploadRecord record;
          {
            const std::lock_guard lock(TusAccess::mutex(registry));
            settle(*entry, out);
            entry->expires_at = SysClock::now() + registry.options.expiry;
            record = record_of(registry, *entry);
          }
          // While scanning nothing else writes the entry or its row (termination and the
          // sweeper leave it alone).
          persist(registry, *entry, record);
          record_verdict(registry, *entry);
          Request r;
          r.request_id = id;
          Response res = out.stored()
                             ? (creation ? Response{http::status::created, 11} : Response{http::status::no_content, 11})
                             : upload_refusal(r, out);
          tus_headers(res);
          if (creation) res.set(http::field::location, "/api/v1/uploads/" + entry->id);
          if (out.stored()) res.set("Upload-Offset", std::to_string(entry->length));
          answer(std::move(res));
        });
  }

 private:
  Request log_request() const {
    Request r;
    r.request_id = request_id_;
    return r;
  }
  Response created() const {
    Response res = tus(Response{http::status::created, 11});
    res.set(http::field::location, "/api/v1/uploads/" + entry_->id);
    return res;
  }
  Response with_location(Response res) const {
    tus_headers(res);
    if (creation_) res.set(http::field::location, "/api/v1/uploads/" + entry_->id);
    return res;
  }

  // The body failed (too large, disk): the upload cannot continue.
  void fail_upload() {
    std::shared_ptr<admin::FileUpload> dropped;
    {
      admin::UploadRecord record = record_of(registry_, *entry_);
      record.state = "failed";
      record.reason = "write_failed";
      record.expires_at = record.updated_at + registry_.options.ended_retention;
      persist(registry_, *entry_, record);  // still busy: before anyone else may write it
    }
    {
      const std::lock_guard lock(TusAccess::mutex(registry_));
      entry_->state = "failed";
      entry_->reason = "write_failed";
      dropped = std::move(entry_->upload);
      entry_->busy = false;
      released_ = true;
    }
    TusAccess::idle(registry_).notify_all();
    record_verdict(registry_, *entry_);
    upload_.reset();
    dropped.reset();  // removes the staged object (outside the mutex)
  }

  // The body's SHA-256 against Upload-Checksum.
  bool checksum_matches() {
    std::array<std::uint8_t, 32> got{};
    unsigned n = 0;
    if (EVP_DigestFinal_ex(body_digest_, got.data(), &n) != 1 || n != got.size()) return false;
    return CRYPTO_memcmp(got.data(), checksum_->data(), got.size()) == 0;
  }

  // Makes the sealed prefix durable, publishes the offset and releases the entry.
  boost::system::result<std::uint64_t> checkpoint_and_release() { return release(upload_->checkpoint()); }

  // Discards this request's bytes (back to the mark), then as checkpoint_and_release().
  boost::system::result<std::uint64_t> rollback_and_release() {
    if (start_error_) {
      fail_upload();
      return start_error_;
    }
    return release(upload_->rollback());
  }

  boost::system::result<std::uint64_t> release(boost::system::result<std::uint64_t> offset) {
    if (!offset) {
      log::warn("upload_checkpoint_failed", {{"upload_id", entry_->id}, {"reason", offset.error().message()}});
      fail_upload();
      return offset;
    }
    const std::string object_id = upload_->object_id();
    const auto expires_at = SysClock::now() + registry_.options.expiry;
    {
      // The durable offset, written while still busy (no other write can overtake it).
      admin::UploadRecord record = record_of(registry_, *entry_);
      record.offset = *offset;
      record.object_id = object_id;
      record.expires_at = expires_at;
      persist(registry_, *entry_, record);
    }
    {
      const std::lock_guard lock(TusAccess::mutex(registry_));
      entry_->offset = *offset;
      entry_->object_id = object_id;
      entry_->expires_at = expires_at;
      entry_->busy = false;
      released_ = true;
    }
    TusAccess::idle(registry_).notify_all();
    return offset;
  }

  TusRegistry& registry_;
  std::string request_id_;
  std::shared_ptr<TusEntry> entry_;
  std::shared_ptr<admin::FileUpload> upload_;
  const bool creation_;
  const bool body_;
  const std::optional<std::array<std::uint8_t, 32>> checksum_;  // Upload-Checksum (sha256)
  const admin::AuditEvent actor_;                               // for a checksum mismatch
  EVP_MD_CTX* body_digest_ = nullptr;                           // SHA-256 of this body, with checksum_
  boost::system::error_code start_error_;                       // mark() or the digest failed
  bool released_ = false;
};

BodyStart start_creation(TusRegistry& registry, const Request& request) {
  if (!tus_resumable(request)) return refuse(version_refused());
  if (!request.header("Upload-Defer-Length").empty()) {
    return refuse(tus_error(http::status::bad_request, "bad_request", "Upload-Defer-Length is not supported."));
  }
  const auto length = parse_u64(request.header("Upload-Length"));
  if (!length) {
    return refuse(tus_error(http::status::bad_request, "bad_request", "Upload-Length (bytes) is required."));
  }
  const auto metadata = parse_upload_metadata(request.header("Upload-Metadata"));
  if (!metadata) return refuse(tus_error(http::status::bad_request, "bad_request", "Upload-Metadata is malformed."));
  const auto filename = metadata->find("filename");
  if (filename == metadata->end()) {
    return refuse(tus_error(http::status::bad_request, "bad_request", "Upload-Metadata needs filename."));
  }
  auto name = admin::normalize_file_name(filename->second);
  if (!name) {
    return refuse(tus_error(
        http::status::bad_request, "bad_request",
        "filename must be valid UTF-8, not empty, at most " + std::to_string(admin::kMaxFileNameBytes) + " bytes"));
  }
  const auto filetype = metadata->find("filetype");
  const bool body = has_body(request);
  auto checksum = parse_checksum(request);
  if (checksum.refusal) return refuse(std::move(*checksum.refusal));
  if (body && !offset_stream(request)) {
    return refuse(tus_error(http::status::unsupported_media_type, "unsupported_media_type",
                            "An upload body needs Content-Type: application/offset+octet-stream."));
  }
  const auto& identity = *request.identity;
  const auto& rights = identity.user.rights;
  if (!rights.can_upload) return refuse(tus(error_response(Errc::kForbidden, "You may not upload files.")));
  // Every size, quota and disk-space limit is decided by FileUpload::begin() from Upload-Length.
  auto entry = std::make_shared<TusEntry>();
  entry->id = crypto::random_hex(16);
  entry->org_id = identity.scope.org_id();
  entry->owner_id = identity.user.id;
  entry->scope = identity.scope;
  entry->name = *name;
  entry->length = *length;
  entry->actor = user_audit_event(request, "upload.create", entry->id);
  admin::UploadInfo info{.owner_id = identity.user.id,
                         .name = std::move(*name),
                         .content_type = stored_content_type(filetype == metadata->end() ? "" : filetype->second),
                         .declared_bytes = *length,
                         .max_bytes = rights.max_file_bytes,
                         .quota_bytes = rights.quota_bytes,
                         .retention_days = rights.max_retention_days,
                         .policy = identity.policy.files,
                         .actor = user_audit_event(request, "file.upload", "")};
  const std::string content_type = info.content_type;
  auto upload = admin::FileUpload::begin(registry.services.uploads, identity.scope, std::move(info));
  if (!upload) return refuse(tus(upload_error(request, upload.error())));
  entry->created_at = SysClock::now();
  entry->expires_at = entry->created_at + registry.options.expiry;
  // The row, unless the unfinished-upload limits are reached (counted and inserted in one
  // transaction). Refused, the FileUpload goes and takes its staged object with it.
  admin::UploadRecord record = record_of(registry, *entry);
  record.content_type = content_type;
  record.object_id = (*upload)->object_id();
  entry->object_id = record.object_id;
  if (auto ec = registry.records.create(
          identity.scope, record,
          {.per_user = registry.options.max_unfinished_per_user, .total = registry.options.max_unfinished_total})) {
    if (ec == Errc::kTooManyAttempts) {
      return refuse(tus_error(http::status::too_many_requests, "too_many_uploads",
                              "Too many unfinished uploads; finish or delete some first."));
    }
    log::error("upload_record_write_failed", {{"upload_id", entry->id}, {"reason", ec.message()}});
    return refuse(tus(error_response(Errc::kInternal)));
  }
  entry->upload = *upload;
  entry->busy = true;  // until this request's reader checkpoints
  {
    const std::lock_guard lock(TusAccess::mutex(registry));
    TusAccess::entries(registry)[entry->id] = entry;
  }
  admin::AuditEvent event = entry->actor;
  event.details = {{"name", entry->name}, {"length", entry->length}};
  audit(registry, std::move(event));
  return BodyStart{
      .answer = std::nullopt,
      .reader = std::make_shared<TusBodyReader>(registry, request, entry, std::move(*upload), true, checksum.sha256),
      .body_limit = *length};
}

BodyStart start_patch(TusRegistry& registry, const Request& request) {
  if (!tus_resumable(request)) return refuse(version_refused());
  const std::string& id = request.params.at("id");
  std::unique_lock lock(TusAccess::mutex(registry));
  auto entry = find_owned(registry, request, id);
  if (!entry) {
    lock.unlock();
    std::optional<Response> error;
    const auto record = stored_record(registry, request, id, error);
    if (error) return refuse(std::move(*error));
    // Not in memory: ended (or receiving before a restart, marked failed at start-up).
    if (record) return refuse(not_receiving(record->ended() ? record->state : "failed"));
    return refuse(tus(error_response(Errc::kNotFound)));
  }
  if (!offset_stream(request)) {
    return refuse(tus_error(http::status::unsupported_media_type, "unsupported_media_type",
                            "PATCH needs Content-Type: application/offset+octet-stream."));
  }
  const auto offset = parse_u64(request.header("Upload-Offset"));
  if (!offset) return refuse(tus_error(http::status::bad_request, "bad_request", "Upload-Offset is required."));
  if (!wait_idle(registry, lock, entry)) return refuse(locked());
  if (entry->state != "receiving") return refuse(not_receiving(entry->state));
  if (*offset != entry->offset) {
    Response res = tus_error(http::status::conflict, "offset_mismatch",
                             "Upload-Offset differs from the upload's offset; ask with HEAD.");
    res.set("Upload-Offset", std::to_string(entry->offset));
    return refuse(std::move(res));
  }
  auto checksum = parse_checksum(request);
  if (checksum.refusal) return refuse(std::move(*checksum.refusal));
  entry->busy = true;
  auto upload = entry->upload;
  const std::uint64_t remaining = entry->length - entry->offset;
  lock.unlock();
  return BodyStart{
      .answer = std::nullopt,
      .reader = std::make_shared<TusBodyReader>(registry, request, entry, std::move(upload), false, checksum.sha256),
      .body_limit = remaining};
}

void json_or_null(boost::json::object& out, std::string_view key, const std::string& value) {
  out[key] = value.empty() ? boost::json::value(nullptr) : boost::json::value(value);
}

Response state_json(const std::string& id, const std::string& state, std::uint64_t offset, std::uint64_t length,
                    const std::string& file_id, const std::string& reason, const std::string& signature) {
  boost::json::object out{{"id", id}, {"state", state}, {"offset", offset}, {"length", length}};
  json_or_null(out, "file_id", file_id);
  json_or_null(out, "reason", reason);
  json_or_null(out, "signature", signature);
  return tus(json_response(http::status::ok, boost::json::serialize(out)));
}

// HEAD of an upload known only from its row: 200 once clean, else 410 (it ended, or was
// receiving before a restart).
Response stored_head(const admin::UploadRecord& record) {
  if (record.state != "clean") return not_receiving(record.ended() ? record.state : "failed");
  Response res = tus(Response{http::status::ok, 11});
  res.set("Upload-Offset", std::to_string(record.offset));
  res.set("Upload-Length", std::to_string(record.length));
  res.set(http::field::cache_control, "no-store");
  return res;
}

Response state_or_head(TusRegistry& registry, const Request& request) {
  const std::string& id = request.params.at("id");
  const bool head = request.method == http::verb::head;
  if (head && !tus_resumable(request)) return version_refused();
  std::unique_lock lock(TusAccess::mutex(registry));
  auto entry = find_owned(registry, request, id);
  if (!entry) {
    lock.unlock();
    std::optional<Response> error;
    const auto record = stored_record(registry, request, id, error);
    if (error) return std::move(*error);
    if (!record) return tus(error_response(Errc::kNotFound));
    return head ? stored_head(*record)
                : state_json(record->id, record->state, record->offset, record->length, record->file_id, record->reason,
                             record->signature);
  }
  if (head) {
    if (!wait_idle(registry, lock, entry)) return locked();
    if (entry->state == "rejected" || entry->state == "failed") return not_receiving(entry->state);
    Response res = tus(Response{http::status::ok, 11});
    res.set("Upload-Offset", std::to_string(entry->offset));
    res.set("Upload-Length", std::to_string(entry->length));
    if (entry->state == "receiving") res.set("Upload-Expires", http_date(entry->expires_at));
    res.set(http::field::cache_control, "no-store");
    return res;
  }
  return state_json(entry->id, entry->state, entry->offset, entry->length, entry->file_id, entry->reason,
                    entry->signature);
}

Response terminate(TusRegistry& registry, const Request& request) {
  if (!tus_resumable(request)) return version_refused();
  const std::string& id = request.params.at("id");
  std::shared_ptr<admin::FileUpload> dropped;
  std::shared_ptr<TusEntry> entry;
  {
    std::unique_lock lock(TusAccess::mutex(registry));
    entry = find_owned(registry, request, id);
    if (!entry) {
      lock.unlock();
      std::optional<Response> error;
      const auto record = stored_record(registry, request, id, error);
      if (error) return std::move(*error);
      if (!record) return tus(error_response(Errc::kNotFound));
      // Terminated or expired already: gone. Another ended upload keeps its row (state).
      if (record->state == "terminated" || record->state == "expired" || !record->ended()) {
        return not_receiving(record->ended() ? record->state : "failed");
      }
      return no_content();
    }
    if (!wait_idle(registry, lock, entry)) return locked();
    if (entry->state == "scanning") return not_receiving(entry->state);
    dropped = std::move(entry->upload);
    TusAccess::entries(registry).erase(entry->id);
  }
  const bool unfinished = dropped != nullptr;
  dropped.reset();  // removes the staged object
  if (unfinished) {
    // Erased from memory: nothing else writes the row now.
    admin::UploadRecord record = record_of(registry, *entry);
    record.state = "terminated";
    record.expires_at = record.updated_at + registry.options.ended_retention;
    persist(registry, *entry, record);
  }
  admin::AuditEvent event = user_audit_event(request, "upload.terminate", id);
  event.details = {{"state", entry->state}, {"offset", entry->offset}, {"length", entry->length}};
  if (unfinished) audit(registry, std::move(event));
  return no_content();
}

}  // namespace

std::optional<std::map<std::string, std::string, std::less<>>> parse_upload_metadata(std::string_view header) {
  std::map<std::string, std::string, std::less<>> out;
  if (header.empty()) return out;
  while (true) {
    const auto comma = header.find(',');
    std::string_view pair = header.substr(0, comma);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    while (!pair.empty() && pair.back() == ' ') pair.remove_suffix(1);
    const auto space = pair.find(' ');
    const std::string_view key = pair.substr(0, space);
    if (key.empty() || key.size() > 128) return std::nullopt;
    for (char c : key) {
      const auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u >= 0x7f || c == ',') return std::nullopt;
    }
    std::string value;
    if (space != std::string_view::npos) {
      std::string_view encoded = pair.substr(space + 1);
      while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
      auto decoded = base64_decode(encoded);
      if (!decoded) return std::nullopt;
      value = std::move(*decoded);
    }
    if (!out.emplace(std::string(key), std::move(value)).second) return std::nullopt;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return out;
}

TusRegistry::TusRegistry(FileRouteServices& s, admin::UploadRecords& r, TusOptions o)
    : services(s), records(r), options(o) {
  if (options.sweep_interval.count() > 0) {
    sweeper_ = std::thread([this] {
      std::unique_lock lock(mutex_);
      while (!stopping_) {
        stop_cv_.wait_for(lock, options.sweep_interval, [this] { return stopping_; });
        if (stopping_) break;
        lock.unlock();
        sweep();
        lock.lock();
      }
    });
  }
}

TusRegistry::~TusRegistry() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
}

std::size_t TusRegistry::sweep() {
  const auto now = SysClock::now();
  std::vector<std::shared_ptr<TusEntry>> expired;
  std::vector<std::shared_ptr<admin::FileUpload>> dropped;
  {
    const std::lock_guard lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end();) {
      const auto& e = it->second;
      if (e->busy || e->state == "scanning" || e->expires_at > now) {
        ++it;
        continue;
      }
      if (e->state == "receiving") {
        expired.push_back(e);
        dropped.push_back(std::move(e->upload));
      }
      it = entries_.erase(it);
    }
  }
  dropped.clear();  // removes the staged objects, outside the mutex
  for (const auto& e : expired) {
    admin::UploadRecord record = record_of(*this, *e);
    record.state = "expired";
    record.expires_at = record.updated_at + options.ended_retention;
    persist(*this, *e, record);
    admin::AuditEvent event = e->actor;
    event.action = "upload.expired";
    event.target = e->id;
    event.outcome = admin::AuditOutcome::kSuccess;
    event.details = {{"offset", e->offset}, {"length", e->length}};
    if (auto ec = services.uploads.audit.append(event)) {
      log::error("audit_append_failed", {{"action", event.action}, {"reason", ec.message()}});
    }
    log::info("upload_expired", {{"upload_id", e->id}, {"org_id", e->org_id}});
  }
  if (auto purged = records.purge_ended(now); !purged) {
    log::error("upload_records_purge_failed", {{"reason", purged.error().message()}});
  } else if (*purged > 0) {
    log::info("upload_records_purged", {{"count", *purged}});
  }
  return expired.size();
}

boost::system::error_code TusRegistry::start_up() {
  const auto now = SysClock::now();
  std::vector<admin::UploadRecord> interrupted;
  if (auto ec = records.interrupt_unfinished(now, now + options.ended_retention, interrupted)) return ec;
  for (const auto& r : interrupted) {
    admin::AuditEvent event{.chain = admin::AuditChain::organization(r.org_id)};
    event.actor_type = admin::ActorType::kSystem;
    event.action = "upload.interrupted";
    event.target = r.id;
    event.outcome = admin::AuditOutcome::kFailure;
    event.details = {{"owner_id", r.owner_id}, {"offset", r.offset}, {"length", r.length}, {"reason", r.reason}};
    if (auto ec = services.uploads.audit.append(event)) return ec;
  }
  if (!interrupted.empty()) log::info("uploads_interrupted", {{"count", interrupted.size()}});
  return {};
}

void add_upload_routes(Router& router, TusRegistry& registry) {
  router.add({http::verb::options, "/api/v1/uploads", AuthPolicy::kPublic, 0, [&registry](const Request&) {
                Response res = no_content();
                res.set("Tus-Version", kTusVersion);
                res.set("Tus-Extension", kExtensions);
                res.set("Tus-Checksum-Algorithm", kChecksumAlgorithms);
                res.set("Tus-Max-Size", std::to_string(registry.services.max_upload_bytes));
                return res;
              }});
  router.add({.method = http::verb::post,
              .pattern = "/api/v1/uploads",
              .policy = AuthPolicy::kSignedIn,
              .body_limit = static_cast<std::size_t>(registry.services.max_upload_bytes),
              .handler = {},
              .blocking = true,
              .before_password_change = false,
              .during_totp_enrolment = false,
              .stream_handler = [&registry](const Request& request) { return start_creation(registry, request); }});
  router.add({.method = http::verb::patch,
              .pattern = "/api/v1/uploads/{id}",
              .policy = AuthPolicy::kSignedIn,
              .body_limit = static_cast<std::size_t>(registry.services.max_upload_bytes),
              .handler = {},
              .blocking = true,
              .before_password_change = false,
              .during_totp_enrolment = false,
              .stream_handler = [&registry](const Request& request) { return start_patch(registry, request); }});
  router.add({http::verb::get, "/api/v1/uploads/{id}", AuthPolicy::kSignedIn, 0,
              [&registry](const Request& request) { return state_or_head(registry, request); }, true});
  router.add({http::verb::delete_, "/api/v1/uploads/{id}", AuthPolicy::kSignedIn, 0,
              [&registry](const Request& request) { return terminate(registry, request); }, true});
}

}  // namespace furoshiki::server
