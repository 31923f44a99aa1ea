// File routes; see file_routes.hpp.
#include "server/file_routes.hpp"

#include "admin/authenticator.hpp"
#include "admin/file_names.hpp"
#include "common/log.hpp"
#include "server/file_download.hpp"
#include "server/http_error.hpp"
#include "server/route_support.hpp"

#include <boost/json/serialize.hpp>

#include <cerrno>
#include <charconv>

namespace furoshiki::server {

namespace http = boost::beast::http;

namespace {

// An error answer with extra members in its "error" object (the infected file's signature).
Response error_with(Errc e, const boost::json::object& extra) {
  const HttpError h = to_http(e);
  boost::json::object error{{"code", h.code}, {"message", h.default_message}};
  for (const auto& [key, value] : extra) error[key] = value;
  return json_response(h.status, boost::json::serialize(boost::json::object{{"error", std::move(error)}}));
}

// The answer to a finished upload.
Response upload_answer(const Request& request, const admin::UploadOutcome& outcome) {
  if (outcome.stored()) {
    Response res = json_response(http::status::created, boost::json::serialize(file_json(outcome.file)));
    res.set(http::field::location, "/api/v1/files/" + outcome.file.id);
    return res;
  }
  return upload_refusal(request, outcome);
}

// Streams a PUT body into a FileUpload and answers with its outcome.
class UploadBodyReader final : public BodyReader {
 public:
  UploadBodyReader(const Request& request, std::shared_ptr<admin::FileUpload> upload)
      : request_id_(std::make_shared<const std::string>(request.request_id)), upload_(std::move(upload)) {}

  std::optional<Response> on_body(std::span<const std::uint8_t> piece) override {
    if (auto ec = upload_->append(piece)) return upload_error(log_request(*request_id_), ec);
    return std::nullopt;
  }

  void on_complete(std::function<void(Response)> answer) override {
    // The scan runs on the scan pool; its thread answers (the reader may be gone by then: the
    // callback holds what it needs).
    admin::FileUpload::finish_async(upload_,
                                    [id = request_id_, answer = std::move(answer)](const admin::UploadOutcome& out) {
                                      answer(upload_answer(log_request(*id), out));
                                    });
  }

 private:
  // A request that carries only its id: what internal_error() logs.
  static Request log_request(const std::string& id) {
    Request r;
    r.request_id = id;
    return r;
  }

  std::shared_ptr<const std::string> request_id_;
  std::shared_ptr<admin::FileUpload> upload_;
};

BodyStart start_upload(FileRouteServices& services, const Request& request) {
  auto refuse = [](Response res) { return BodyStart{.answer = std::move(res), .reader = nullptr, .body_limit = 0}; };
  QueryParams params;
  std::string problem;
  if (!parse_query(request.query, params, problem) || !only_known_params(params, {"name"}, problem)) {
    return refuse(error_response(Errc::kBadRequest, problem));
  }
  const std::string* raw_name = param(params, "name");
  if (!raw_name) return refuse(error_response(Errc::kBadRequest, "name is required"));
  auto name = admin::normalize_file_name(*raw_name);
  if (!name) {
    return refuse(error_response(Errc::kBadRequest, "name must be valid UTF-8, not empty, at most " +
                                                        std::to_string(admin::kMaxFileNameBytes) + " bytes"));
  }
  const auto& identity = *request.identity;
  const auto& rights = identity.user.rights;
  if (!rights.can_upload) return refuse(error_response(Errc::kForbidden, "You may not upload files."));
  // The declared length, checked before the body (absent for a chunked body). The session's
  // parser has already refused a malformed Content-Length.
  std::optional<std::uint64_t> declared;
  if (const auto text = request.header(http::field::content_length); !text.empty()) {
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || end != text.data() + text.size()) {
      return refuse(error_response(Errc::kBadRequest, "Content-Length is malformed"));
    }
    declared = n;
  }

  admin::UploadInfo info{.owner_id = identity.user.id,
                         .name = std::move(*name),
                         .content_type = stored_content_type(request.header(http::field::content_type)),
                         .declared_bytes = declared,
                         .max_bytes = rights.max_file_bytes,
                         .quota_bytes = rights.quota_bytes,
                         .retention_days = rights.max_retention_days,
                         .policy = identity.policy.files,
                         .actor = user_audit_event(request, "file.upload", "")};
  auto upload = admin::FileUpload::begin(services.uploads, identity.scope, std::move(info));
  if (!upload) return refuse(upload_error(request, upload.error()));
  const std::uint64_t limit = (*upload)->body_limit();
  return BodyStart{.answer = std::nullopt,
                   .reader = std::make_shared<UploadBodyReader>(request, std::move(*upload)),
                   .body_limit = limit};
}

}  // namespace

std::uint64_t upload_limit_for(const FileRouteServices& services, const admin::Rights& rights) {
  std::uint64_t limit = services.max_upload_bytes;
  if (rights.max_file_bytes > 0) limit = std::min(limit, rights.max_file_bytes);
  return limit;
}

Response upload_error(const Request& request, const boost::system::error_code& ec) {
  if (ec == boost::system::errc::no_space_on_device || ec.value() == EDQUOT) {
    if (ec.category() == boost::system::generic_category() || ec.category() == boost::system::system_category()) {
      return error_response(Errc::kInsufficientStorage);
    }
  }
  if (ec == storage::StorageErrc::kBelowReserve) return error_response(Errc::kInsufficientStorage);
  switch (errc_of(ec)) {
    case Errc::kTooLarge: return error_response(Errc::kTooLarge, "The file is larger than you may upload.");
    case Errc::kTooLargeToScan: return error_response(Errc::kTooLargeToScan);
    case Errc::kQuotaExceeded: return error_response(Errc::kQuotaExceeded);
    case Errc::kScannerBusy: {
      Response res = error_response(Errc::kScannerBusy);
      res.set(http::field::retry_after, "30");
      return res;
    }
    case Errc::kScannerUnavailable: return error_response(Errc::kScannerUnavailable);
    default: return internal_error(request, "upload", ec);
  }
}

Response upload_refusal(const Request& request, const admin::UploadOutcome& outcome) {
  if (outcome.verdict && !outcome.error) {
    const auto& v = *outcome.verdict;
    if (v.kind == scanner::ScanVerdict::Kind::kInfected)
      return error_with(Errc::kInfected, {{"signature", v.signature}});
    if (v.kind == scanner::ScanVerdict::Kind::kRefused) return error_with(Errc::kScanRefused, {{"reason", v.reason}});
  }
  return upload_error(request, outcome.error ? outcome.error : make_error_code(Errc::kInternal));
}

std::string stored_content_type(std::string_view declared) {
  constexpr std::string_view kDefault = "application/octet-stream";
  const auto slash = declared.find('/');
  if (declared.empty() || declared.size() > 255 || slash == std::string_view::npos || slash == 0) {
    return std::string(kDefault);
  }
  for (char c : declared) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) return std::string(kDefault);
  }
  return std::string(declared);
}

boost::json::object file_json(const admin::StoredFile& f) {
  return {{"id", f.id},
          {"name", f.name},
          {"content_type", f.content_type},
          {"size", f.size},
          {"sha256", f.sha256},
          {"created_at", rfc3339(f.created_at)},
          {"expires_at", f.expires_at ? boost::json::value(rfc3339(*f.expires_at)) : boost::json::value(nullptr)},
          {"scan", boost::json::object{{"verdict", f.scan_verdict}}}};
}

void add_file_routes(Router& router, FileRouteServices& services) {
  router.add({.method = http::verb::put,
              .pattern = "/api/v1/files",
              .policy = AuthPolicy::kSignedIn,
              .body_limit = static_cast<std::size_t>(services.max_upload_bytes),
              .handler = {},
              .blocking = true,
              .before_password_change = false,
              .during_totp_enrolment = false,
              .stream_handler = [&services](const Request& request) { return start_upload(services, request); }});

  router.add({http::verb::get, "/api/v1/files", AuthPolicy::kSignedIn, 0,
              [&services](const Request& request) -> Response {
                QueryParams params;
                std::string problem, after;
                std::size_t limit = 0;
                if (!parse_query(request.query, params, problem) ||
                    !only_known_params(params, {"cursor", "limit"}, problem) || !page_size(params, limit, problem) ||
                    !page_cursor(params, after, problem)) {
                  return error_response(Errc::kBadRequest, problem);
                }
                const auto& identity = *request.identity;
                auto page = services.files.list(identity.scope, identity.user.id, after, limit);
                if (!page && errc_of(page.error()) == Errc::kBadRequest) {
                  return error_response(Errc::kBadRequest, "cursor is not one this API gave");
                }
                if (!page) return internal_error(request, "file list", page.error());
                boost::json::array files;
                for (const auto& f : page->files) files.emplace_back(file_json(f));
                boost::json::object out{{"files", std::move(files)}};
                out["next_cursor"] = page->next_cursor.empty() ? boost::json::value(nullptr)
                                                               : boost::json::value(encode_cursor(page->next_cursor));
                return json_response(http::status::ok, boost::json::serialize(out));
              },
              true});

  router.add({http::verb::get, "/api/v1/files/{id}", AuthPolicy::kSignedIn, 0,
              [&services](const Request& request) -> Response {
                const auto& identity = *request.identity;
                auto file = services.files.get(identity.scope, identity.user.id, request.params.at("id"));
                if (!file && errc_of(file.error()) == Errc::kNotFound) return error_response(Errc::kNotFound);
                if (!file) return internal_error(request, "file read", file.error());
                return json_response(http::status::ok, boost::json::serialize(file_json(*file)));
              },
              true});

  router.add({http::verb::delete_, "/api/v1/files/{id}", AuthPolicy::kSignedIn, 0,
              [&services](const Request& request) -> Response {
                const auto& identity = *request.identity;
                const std::string& id = request.params.at("id");
                auto removed = services.files.remove(identity.scope, identity.user.id, id,
                                                     user_audit_event(request, "file.delete", id));
                if (!removed && errc_of(removed.error()) == Errc::kNotFound) return error_response(Errc::kNotFound);
                if (!removed) return internal_error(request, "file delete", removed.error());
                // The row is gone, so the object is unreachable; removing it only frees the space.
                if (auto ec = services.store.remove(removed->object_id)) {
                  log::error("object_remove_failed", {{"request_id", request.request_id},
                                                      {"object_id", removed->object_id},
                                                      {"reason", ec.message()}});
                }
                return Response{http::status::no_content, 11};
              },
              true});

  add_download_routes(router, services);
}

}  // namespace furoshiki::server
