// The audit log (ISO/IEC 27017 A.12.4.1, CLD.12.4.5): who did what, when, from where and with what
// outcome — sign-ins, administration, operator actions, and later every file transfer.
//
// Events are append-only rows of `audit_events` (schema/0004_audit_events.sql) in hash chains:
// one chain per organization, and one service chain for operator actions on the service. The
// two never mix: every read names its chain explicitly (AuditChain), and a service event must
// never carry an organization's file names or other tenant content (operators see the service
// chain; design.md "Who uses it").
//
// Hash of an event (hex in `hash`; the first event of a chain has prev_hash = 64 zeros):
//   SHA-256( prev_hash as 32 raw bytes
//            || field("furoshiki.audit.v1")
//            || field(id) || field(org_id) || field(seq) || field(at) || field(actor_type)
//            || field(actor_id) || field(actor_login) || field(client) || field(user_agent)
//            || field(action) || field(target) || field(outcome) || field(details) )
// where field(NULL) = 0x00 and field(text) = 0x01, its byte length as 8 bytes big-endian, then
// its bytes; integers are written in decimal. Every value is hashed exactly as stored (details
// as its stored JSON text), so verification never depends on re-serializing anything. The
// length prefixes make the encoding injective: no two different rows hash the same input.
//
// `audit_chain_heads` holds each chain's last seq and hash, written in the same transaction as
// the event: removing the newest rows, which leaves a shorter but intact chain, is caught too.
// What the chain does not protect against (someone able to rewrite the whole file, heads
// included) is in docs/security.md, "Audit log".
#pragma once

#include "crypto/context.hpp"
#include "db/database.hpp"

#include <boost/json/object.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace furoshiki::admin {

enum class ActorType { kUser, kOperator, kSystem, kAnonymous };
enum class AuditOutcome { kSuccess, kFailure, kDenied };

// The names stored in the database and shown in the API: "user", "operator", "system",
// "anonymous"; "success", "failure", "denied".
std::string_view to_string(ActorType type);
std::string_view to_string(AuditOutcome outcome);
bool parse_actor_type(std::string_view text, ActorType& out);
bool parse_outcome(std::string_view text, AuditOutcome& out);

// Which chain an event belongs to or a read looks at. There is no default: code must say which
// organization (taken from the authenticated principal's tenant scope) or the service.
class AuditChain {
 public:
  // Throws std::invalid_argument for an empty org_id (a bug: it would name no organization,
  // and the service has its own chain).
  static AuditChain organization(std::string org_id);
  static AuditChain service() { return AuditChain(std::string()); }

  bool is_service() const { return key_.empty(); }
  // The organization's id; "" for the service chain.
  const std::string& org_id() const { return key_; }
  bool operator==(const AuditChain&) const = default;

 private:
  explicit AuditChain(std::string key) : key_(std::move(key)) {}
  std::string key_;  // the `chain` column: org_id, or "" for the service
};

// One event as the caller describes it. Empty strings are stored as NULL. Text that may come
// from clients (login typed at sign-in, user agent, file names in target) is stored as valid
// UTF-8 without control characters, at most kMaxFieldBytes each (longer text is cut at a
// character boundary): a client must not be able to grow the log without bound or inject lines.
// Every member has an initializer so that AuditEvent{.chain = …, .action = …} leaves the rest
// empty without -Wmissing-field-initializers warnings.
struct AuditEvent {
  AuditChain chain;
  ActorType actor_type = ActorType::kSystem;
  std::string actor_id{};     // user or operator id
  std::string actor_login{};  // the login, also the one attempted in a failed sign-in
  std::string client{};       // client address (the socket peer, or the trusted proxy's X-Forwarded-For)
  std::string user_agent{};
  std::string action{};  // dotted lower-case name: "auth.login", "org.create", "user.disable"
  std::string target{};  // what the action was done to: a user id, an organization code, a file id
  AuditOutcome outcome = AuditOutcome::kSuccess;
  boost::json::object details{};  // at most kMaxDetailsBytes when serialized
};

// An event as stored.
struct AuditRow : AuditEvent {
  std::int64_t id = 0;
  std::int64_t seq = 0;     // 1, 2, 3… within the chain
  std::string at{};         // UTC, milliseconds: 2026-11-22T05:00:00.123Z
  std::string prev_hash{};  // hex
  std::string hash{};       // hex
};

// Filters of GET /admin/logs. Empty strings and unset optionals do not filter.
struct AuditQuery {
  std::optional<std::chrono::system_clock::time_point> from{};  // at >= from
  std::optional<std::chrono::system_clock::time_point> to{};    // at < to
  std::string actor_id{};
  std::string actor_login{};
  std::string action{};  // exact name
  std::optional<AuditOutcome> outcome{};
  std::string cursor{};   // next_cursor of the previous page; "" for the first page
  std::size_t limit = 0;  // page size for query(); 0 means kDefaultPageSize, above kMaxPageSize is cut to it
};

enum class ChainBreak {
  kAlteredRow,    // the row's stored hash does not match its contents
  kMissingRow,    // seq gap, or prev_hash is not the previous row's hash (removed, reordered or rewritten rows)
  kHeadMismatch,  // the chain head disagrees with the last row (newest rows removed, or head altered)
};
std::string_view to_string(ChainBreak kind);

struct BrokenLink {
  ChainBreak kind = ChainBreak::kAlteredRow;
  // The row at which verification stopped; for kHeadMismatch the last intact row (0, 0 when
  // the chain has no rows at all).
  std::int64_t seq = 0;
  std::int64_t id = 0;
  std::string detail;  // what is wrong, for the admin (no row contents)
};

struct VerifyResult {
  bool ok = true;
  std::int64_t events = 0;  // rows verified intact (all of them when ok)
  std::optional<BrokenLink> broken;
};

// Returns the current time; injected by tests. Must be callable from any thread.
using AuditClock = std::function<std::chrono::system_clock::time_point()>;

// Thread-safe: it keeps no state between calls besides what it was constructed with.
class AuditLog {
 public:
  static constexpr std::size_t kDefaultPageSize = 100;
  static constexpr std::size_t kMaxPageSize = 1000;
  static constexpr std::size_t kMaxFieldBytes = 1024;
  static constexpr std::size_t kMaxDetailsBytes = 64 * 1024;

  // `clock` defaults to the system clock (hosts must run NTP: docs/security.md).
  AuditLog(std::shared_ptr<const crypto::CryptoContext> ctx, db::Database& db, AuditClock clock = {});

  // Appends `event` to its chain through `tx`, so that the event commits or rolls back together
  // with the action it records. REQUIRES: `tx` is inside a write transaction (the Database&
  // handed to a transaction() body): the chain head is read and advanced in it.
  // Errc::kInternal for an invalid event (empty action, details too large: a bug of the caller);
  // DbErrc::kConstraint if the chain head and the rows disagree (tampering; verify() says where).
  [[nodiscard]] boost::system::error_code append(db::Database& tx, const AuditEvent& event);
  // The same in a transaction of its own, for events that record no database change (a failed
  // sign-in). Must not be called from inside a transaction() body (transactions do not nest).
  [[nodiscard]] boost::system::error_code append(const AuditEvent& event);

  // Recomputes the chain in seq order and compares it with its head. Reads pages of rows
  // (memory and database lock time bounded, whatever the chain's length). A broken chain is a
  // result (result.ok false, result.broken says where first), not an error; errors are database
  // failures only.
  [[nodiscard]] boost::system::error_code verify(const AuditChain& chain, VerifyResult& result);

  // One page of the chain's events matching `query`, newest first (by `at`, then id). When more
  // rows match, next_cursor is set to an opaque value for the next page; "" on the last page.
  // Errc::kBadRequest for a cursor this function did not produce.
  [[nodiscard]] boost::system::error_code query(const AuditChain& chain, const AuditQuery& query,
                                                std::vector<AuditRow>& out, std::string& next_cursor);

  // Every event matching `query` from its cursor on, newest first, for the CSV export;
  // query.limit is ignored. Reads pages internally and calls `on_row` between them, never while
  // the database is locked, so that a slow reader of the export does not stall other requests.
  // Stops early when on_row returns false.
  [[nodiscard]] boost::system::error_code for_each(const AuditChain& chain, const AuditQuery& query,
                                                   const std::function<bool(const AuditRow&)>& on_row);

 private:
  [[nodiscard]] boost::system::error_code read_page(const AuditChain& chain, const AuditQuery& query,
                                                    std::string_view cursor, std::size_t limit,
                                                    std::vector<AuditRow>& out, std::string& next_cursor);

  std::shared_ptr<const crypto::CryptoContext> ctx_;
  db::Database& db_;
  AuditClock clock_;
};

// CSV export (RFC 4180: CRLF line ends; a cell holding a comma, quote, CR or LF is quoted and its
// quotes doubled). A cell starting with = + - @ TAB or CR gets a leading single quote so that a
// spreadsheet shows it as text instead of running it as a formula (OWASP "CSV Injection").
// Columns: id, seq, at, org_id, actor_type, actor_id, actor_login, client, user_agent, action,
// target, outcome, details, prev_hash, hash.
void write_csv_header(std::string& out);
void format_csv_row(const AuditRow& row, std::string& out);  // appends one line

}  // namespace furoshiki::admin
