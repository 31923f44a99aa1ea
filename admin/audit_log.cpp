// The audit log's hash chains, queries and CSV export; see audit_log.hpp.
#include "admin/audit_log.hpp"

#include "common/error.hpp"
#include "common/log.hpp"
#include "crypto/aead.hpp"
#include "crypto/hex.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <span>
#include <stdexcept>
#include <variant>

namespace furoshiki::admin {
namespace {

// The columns covered by the hash, in hash order; prev_hash and hash follow in every SELECT.
constexpr std::string_view kHashedColumns =
    "id, org_id, seq, at, actor_type, actor_id, actor_login, client, user_agent, action, target, outcome, details";
constexpr std::size_t kHashedCount = 13;
constexpr std::string_view kDomain = "furoshiki.audit.v1";
const std::string kZeroHash(64, '0');

// Rows per statement when verifying or exporting: bounds memory and how long one statement
// holds the database while other requests wait.
constexpr std::size_t kPageRows = 500;

std::string select_columns() { return std::string(kHashedColumns) + ", prev_hash, hash"; }

// field(): see the hash definition in audit_log.hpp.
void put_field(std::string& buf, const db::Value& value) {
  const auto put_text = [&buf](char tag, std::string_view text) {
    buf.push_back(tag);
    const auto n = static_cast<std::uint64_t>(text.size());
    for (int shift = 56; shift >= 0; shift -= 8) buf.push_back(static_cast<char>((n >> shift) & 0xff));
    buf.append(text);
  };
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>) {
          buf.push_back('\x00');
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          put_text('\x01', std::to_string(v));
        } else if constexpr (std::is_same_v<T, std::string>) {
          put_text('\x01', v);
        } else if constexpr (std::is_same_v<T, double>) {
          // STRICT tables never hold these in our columns; a distinct tag keeps them from ever
          // hashing like the text a legitimate row would have held.
          put_text('\x02', std::to_string(v));
        } else {
          put_text('\x03', std::string_view(reinterpret_cast<const char*>(v.bytes.data()), v.bytes.size()));
        }
      },
      value);
}

// The hex hash of a row whose hashed columns are `values` (kHashedCount of them, in order).
// False when prev_hash is not 64 lower-case hex digits (a row no append could have written).
bool chain_hash(const crypto::CryptoContext& ctx, std::string_view prev_hash, std::span<const db::Value> values,
                std::string& out) {
  std::array<std::uint8_t, 32> prev{};
  if (!crypto::hex_decode(prev_hash, prev)) return false;
  std::string buf(reinterpret_cast<const char*>(prev.data()), prev.size());
  put_field(buf, db::Value(std::string(kDomain)));
  for (const auto& v : values) put_field(buf, v);
  const auto digest = crypto::sha256(ctx, {reinterpret_cast<const std::uint8_t*>(buf.data()), buf.size()});
  out = crypto::hex_encode(digest);
  return true;
}

// UTC with milliseconds, fixed width, so that text order is time order in the database.
std::string format_time(std::chrono::system_clock::time_point tp) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(tp);
  const auto day = floor<days>(ms);
  const year_month_day ymd{day};
  const hh_mm_ss hms{ms - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()), static_cast<int>(hms.subseconds().count()));
  return buf;
}

bool is_timestamp(std::string_view at) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (at.size() != kShape.size()) return false;
  for (std::size_t i = 0; i < at.size(); ++i) {
    if (kShape[i] == 'd' ? (at[i] < '0' || at[i] > '9') : at[i] != kShape[i]) return false;
  }
  return true;
}

// Valid UTF-8 without control characters, at most max_bytes, cut at a character boundary.
// Invalid bytes and controls become U+FFFD, so the stored text shows that something was there.
std::string clean_text(std::string_view in, std::size_t max_bytes) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  std::size_t i = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    std::size_t len = 1;
    std::uint32_t cp = c;
    bool valid = true;
    if (c >= 0x80) {
      if (c >= 0xC2 && c <= 0xDF) {
        len = 2, cp = c & 0x1F;
      } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, cp = c & 0x0F;
      } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, cp = c & 0x07;
      } else {
        valid = false;
      }
      if (valid && i + len > in.size()) valid = false;
      for (std::size_t k = 1; valid && k < len; ++k) {
        const auto cont = static_cast<unsigned char>(in[i + k]);
        if ((cont & 0xC0) != 0x80) valid = false;
        cp = (cp << 6) | (cont & 0x3F);
      }
      // Overlong forms, UTF-16 surrogates and code points above U+10FFFF are not UTF-8.
      if (valid && ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
                    (cp >= 0xD800 && cp <= 0xDFFF))) {
        valid = false;
      }
      if (!valid) len = 1;
    }
    const bool control = cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0);
    const std::string_view piece = (!valid || control) ? kReplacement : in.substr(i, len);
    if (out.size() + piece.size() > max_bytes) break;
    out.append(piece);
    i += len;
  }
  return out;
}

db::Value text_or_null(std::string_view text) {
  if (text.empty()) return nullptr;
  return clean_text(text, AuditLog::kMaxFieldBytes);
}

bool valid_action(std::string_view action) {
  if (action.empty() || action.size() > 64) return false;
  for (char c : action) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_')) return false;
  }
  return true;
}

// A row of SELECT select_columns(), kept past the row callback.
std::vector<db::Value> copy_row(const db::Row& row) {
  std::vector<db::Value> values;
  values.reserve(row.size());
  for (std::size_t i = 0; i < row.size(); ++i) values.push_back(row[i]);
  return values;
}

std::string value_text(const db::Value& v) {
  const auto* s = std::get_if<std::string>(&v);
  return s ? *s : std::string();
}
std::int64_t value_integer(const db::Value& v) {
  const auto* i = std::get_if<std::int64_t>(&v);
  return i ? *i : 0;
}

AuditRow to_audit_row(const db::Row& r) {
  // Columns: select_columns().
  const std::string org_id = r.text(1);  // "" when NULL (the schema never stores '')
  AuditRow row{{.chain = org_id.empty() ? AuditChain::service() : AuditChain::organization(org_id)}};
  row.id = r.integer(0);
  row.seq = r.integer(2);
  row.at = r.text(3);
  // The schema's CHECKs admit only known names; a row that has none anyway (a rebuilt table)
  // is shown as a failed system event rather than dropped, and verify() reports it.
  if (!parse_actor_type(r.text(4), row.actor_type)) row.actor_type = ActorType::kSystem;
  row.actor_id = r.text(5);
  row.actor_login = r.text(6);
  row.client = r.text(7);
  row.user_agent = r.text(8);
  row.action = r.text(9);
  row.target = r.text(10);
  if (!parse_outcome(r.text(11), row.outcome)) row.outcome = AuditOutcome::kFailure;
  boost::system::error_code ec;
  auto details = boost::json::parse(r.text(12), ec);
  if (!ec && details.is_object()) row.details = std::move(details.as_object());
  row.prev_hash = r.text(13);
  row.hash = r.text(14);
  return row;
}

// RFC 4648 section 5, without padding. The cursor is opaque to clients; base64url keeps it
// safe in a query string without escaping.
constexpr std::string_view kBase64Url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(std::string_view in) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char ch : in) {
    acc = (acc << 8) | static_cast<unsigned char>(ch);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kBase64Url[(acc >> bits) & 63]);
    }
    acc &= (1u << bits) - 1;
  }
  if (bits > 0) out.push_back(kBase64Url[(acc << (6 - bits)) & 63]);
  return out;
}

bool base64url_decode(std::string_view in, std::string& out) {
  out.clear();
  std::uint32_t acc = 0;
  int bits = 0;
  for (char ch : in) {
    const auto pos = kBase64Url.find(ch);
    if (pos == std::string_view::npos) return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
    acc &= (1u << bits) - 1;
  }
  return true;
}

// A page ends at the row (at, id); the next page starts strictly after it in newest-first
// order. Keyset paging: rows appended meanwhile neither shift nor repeat what the reader sees.
std::string encode_cursor(const AuditRow& last) { return base64url_encode(last.at + "|" + std::to_string(last.id)); }

bool decode_cursor(std::string_view cursor, std::string& at, std::int64_t& id) {
  std::string text;
  if (cursor.size() > 64 || !base64url_decode(cursor, text)) return false;
  const auto bar = text.find('|');
  if (bar == std::string::npos) return false;
  at = text.substr(0, bar);
  const std::string digits = text.substr(bar + 1);
  if (!is_timestamp(at) || digits.empty() || digits.size() > 18) return false;
  id = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    id = id * 10 + (c - '0');
  }
  return id > 0;
}

// RFC 4180 cell, with spreadsheet formula injection defused (see audit_log.hpp).
void append_csv_cell(std::string& out, std::string_view cell) {
  std::string text;
  if (!cell.empty() && std::string_view("=+-@\t\r").find(cell.front()) != std::string_view::npos) text = "'";
  text.append(cell);
  if (text.find_first_of(",\"\r\n") == std::string::npos) {
    out.append(text);
    return;
  }
  out.push_back('"');
  for (char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

std::string_view to_string(ActorType type) {
  switch (type) {
    case ActorType::kUser: return "user";
    case ActorType::kOperator: return "operator";
    case ActorType::kSystem: return "system";
    case ActorType::kAnonymous: return "anonymous";
  }
  return "system";
}

std::string_view to_string(AuditOutcome outcome) {
  switch (outcome) {
    case AuditOutcome::kSuccess: return "success";
    case AuditOutcome::kFailure: return "failure";
    case AuditOutcome::kDenied: return "denied";
  }
  return "failure";
}

bool parse_actor_type(std::string_view text, ActorType& out) {
  for (auto t : {ActorType::kUser, ActorType::kOperator, ActorType::kSystem, ActorType::kAnonymous}) {
    if (text == to_string(t)) {
      out = t;
      return true;
    }
  }
  return false;
}

bool parse_outcome(std::string_view text, AuditOutcome& out) {
  for (auto o : {AuditOutcome::kSuccess, AuditOutcome::kFailure, AuditOutcome::kDenied}) {
    if (text == to_string(o)) {
      out = o;
      return true;
    }
  }
  return false;
}

std::string_view to_string(ChainBreak kind) {
  switch (kind) {
    case ChainBreak::kAlteredRow: return "altered_row";
    case ChainBreak::kMissingRow: return "missing_row";
    case ChainBreak::kHeadMismatch: return "head_mismatch";
  }
  return "altered_row";
}

AuditChain AuditChain::organization(std::string org_id) {
  // An empty id would silently turn an organization's event into a service event.
  if (org_id.empty()) throw std::invalid_argument("AuditChain::organization: empty org_id");
  return AuditChain(std::move(org_id));
}

AuditLog::AuditLog(std::shared_ptr<const crypto::CryptoContext> ctx, db::Database& db, AuditClock clock)
    : ctx_(std::move(ctx)), db_(db), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::system_clock::now(); };
}

boost::system::error_code AuditLog::append(db::Database& tx, const AuditEvent& event) {
  if (!valid_action(event.action)) {
    log::error("audit_event_invalid", {{"reason", "action"}, {"action", clean_text(event.action, 64)}});
    return Errc::kInternal;
  }
  std::string details = boost::json::serialize(event.details);
  if (details.size() > kMaxDetailsBytes) {
    log::error("audit_event_invalid", {{"reason", "details_too_large"}, {"action", event.action}});
    return Errc::kInternal;
  }
  const std::string& chain = event.chain.org_id();

  std::int64_t seq = 1;
  std::string prev_hash = kZeroHash;
  if (auto ec = tx.execute("SELECT seq, hash FROM audit_chain_heads WHERE chain = ?1", {chain}, [&](const db::Row& r) {
        seq = r.integer(0) + 1;
        prev_hash = r.text(1);
      })) {
    return ec;
  }
  // Chosen here rather than by the insert because the id is part of the hash. Safe: the caller's
  // write transaction keeps other writers out until it ends.
  std::int64_t id = 1;
  if (auto ec = tx.execute("SELECT coalesce(max(id), 0) + 1 FROM audit_events", {},
                           [&](const db::Row& r) { id = r.integer(0); })) {
    return ec;
  }

  std::vector<db::Value> values = {
      id,
      event.chain.is_service() ? db::Value(nullptr) : db::Value(chain),
      seq,
      format_time(clock_()),
      std::string(to_string(event.actor_type)),
      text_or_null(event.actor_id),
      text_or_null(event.actor_login),
      text_or_null(event.client),
      text_or_null(event.user_agent),
      event.action,
      text_or_null(event.target),
      std::string(to_string(event.outcome)),
      std::move(details),
  };
  std::string hash;
  if (!chain_hash(*ctx_, prev_hash, values, hash)) {
    // The head holds something no append wrote: continuing would graft new events onto a chain
    // that verify() already reports as broken. The caller's action fails with it.
    log::error("audit_chain_head_invalid", {{"chain", chain.empty() ? "service" : chain}});
    return db::DbErrc::kConstraint;
  }
  values.emplace_back(prev_hash);
  values.emplace_back(hash);
  if (auto ec = tx.execute("INSERT INTO audit_events (" + select_columns() +
                               ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                           values)) {
    // UNIQUE (chain, seq): the head is behind the rows (it was altered). Never fork the chain.
    if (ec == db::DbErrc::kConstraint)
      log::error("audit_append_conflict", {{"chain", chain.empty() ? "service" : chain}, {"seq", seq}});
    return ec;
  }
  return tx.execute(
      "INSERT INTO audit_chain_heads (chain, seq, hash) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
      {chain, seq, hash});
}

boost::system::error_code AuditLog::append(const AuditEvent& event) {
  return db_.transaction([&](db::Database& tx) { return append(tx, event); });
}

boost::system::error_code AuditLog::verify(const AuditChain& chain, VerifyResult& result) {
  result = VerifyResult{};
  const std::string& key = chain.org_id();
  std::int64_t last_seq = 0;
  std::int64_t last_id = 0;
  std::string prev_hash = kZeroHash;
  const auto fail = [&](ChainBreak kind, std::int64_t seq, std::int64_t id, std::string detail) {
    result.ok = false;
    result.broken = BrokenLink{kind, seq, id, std::move(detail)};
    return boost::system::error_code();
  };

  for (;;) {
    std::vector<std::vector<db::Value>> page;
    if (auto ec = db_.execute(
            "SELECT " + select_columns() + " FROM audit_events WHERE chain = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            {key, last_seq, static_cast<std::int64_t>(kPageRows)},
            [&](const db::Row& r) { page.push_back(copy_row(r)); })) {
      return ec;
    }
    for (const auto& row : page) {
      const std::int64_t id = value_integer(row[0]);
      const std::int64_t seq = value_integer(row[2]);
      const std::string stored_prev = value_text(row[kHashedCount]);
      const std::string stored_hash = value_text(row[kHashedCount + 1]);
      if (seq != last_seq + 1) {
        return fail(ChainBreak::kMissingRow, seq, id,
                    "seq " + std::to_string(last_seq + 1) + " is missing: the next row has seq " + std::to_string(seq));
      }
      std::string computed;
      if (!chain_hash(*ctx_, stored_prev, std::span(row).first(kHashedCount), computed) || computed != stored_hash) {
        return fail(ChainBreak::kAlteredRow, seq, id, "the row's contents do not match its hash");
      }
      if (stored_prev != prev_hash) {
        return fail(ChainBreak::kMissingRow, seq, id,
                    "prev_hash is not the hash of seq " + std::to_string(last_seq) +
                        ": a row before this one was removed, reordered or rewritten");
      }
      last_seq = seq;
      last_id = id;
      prev_hash = stored_hash;
      ++result.events;
    }
    if (page.size() == kPageRows) continue;

    // One statement, so the head and "no rows after the last one read" are one snapshot. Rows
    // appended since the last page was read show up here and are verified in another round.
    std::optional<std::int64_t> head_seq;
    std::string head_hash;
    bool more = false;
    if (auto ec = db_.execute("SELECT (SELECT seq FROM audit_chain_heads WHERE chain = ?1), "
                              "(SELECT hash FROM audit_chain_heads WHERE chain = ?1), "
                              "EXISTS (SELECT 1 FROM audit_events WHERE chain = ?1 AND seq > ?2)",
                              {key, last_seq}, [&](const db::Row& r) {
                                if (!r.is_null(0)) head_seq = r.integer(0);
                                head_hash = r.text(1);
                                more = r.integer(2) != 0;
                              })) {
      return ec;
    }
    if (more) continue;
    if (!head_seq && last_seq == 0) return {};  // an empty chain
    if (!head_seq) {
      return fail(ChainBreak::kHeadMismatch, last_seq, last_id, "the chain has rows but no head");
    }
    if (*head_seq != last_seq || head_hash != prev_hash) {
      return fail(ChainBreak::kHeadMismatch, last_seq, last_id,
                  "the head names seq " + std::to_string(*head_seq) + " but the last intact row is seq " +
                      std::to_string(last_seq) + (*head_seq == last_seq ? " with another hash" : ""));
    }
    return {};
  }
}

boost::system::error_code AuditLog::read_page(const AuditChain& chain, const AuditQuery& query, std::string_view cursor,
                                              std::size_t limit, std::vector<AuditRow>& out, std::string& next_cursor) {
  next_cursor.clear();
  std::string sql = "SELECT " + select_columns() + " FROM audit_events WHERE chain = ?1";
  std::vector<db::Value> params = {chain.org_id()};
  const auto add = [&](std::string_view condition, db::Value value) {
    params.push_back(std::move(value));
    sql.append(" AND ").append(condition).append(" ?").append(std::to_string(params.size()));
  };
  if (query.from) add("at >=", format_time(*query.from));
  if (query.to) add("at <", format_time(*query.to));
  if (!query.actor_id.empty()) add("actor_id =", query.actor_id);
  if (!query.actor_login.empty()) add("actor_login =", query.actor_login);
  if (!query.action.empty()) add("action =", query.action);
  if (query.outcome) add("outcome =", std::string(to_string(*query.outcome)));
  if (!cursor.empty()) {
    std::string at;
    std::int64_t id = 0;
    if (!decode_cursor(cursor, at, id)) return Errc::kBadRequest;
    params.emplace_back(std::move(at));
    params.emplace_back(id);
    sql.append(" AND (at, id) < (?")
        .append(std::to_string(params.size() - 1))
        .append(", ?")
        .append(std::to_string(params.size()))
        .append(")");
  }
  // One row more than asked tells whether another page exists.
  params.emplace_back(static_cast<std::int64_t>(limit + 1));
  sql.append(" ORDER BY at DESC, id DESC LIMIT ?").append(std::to_string(params.size()));

  const std::size_t first = out.size();
  if (auto ec = db_.execute(sql, params, [&](const db::Row& r) { out.push_back(to_audit_row(r)); })) {
    out.erase(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
    return ec;
  }
  if (out.size() - first > limit) {
    out.pop_back();
    next_cursor = encode_cursor(out.back());
  }
  return {};
}

boost::system::error_code AuditLog::query(const AuditChain& chain, const AuditQuery& query, std::vector<AuditRow>& out,
                                          std::string& next_cursor) {
  out.clear();
  std::size_t limit = query.limit == 0 ? kDefaultPageSize : std::min(query.limit, kMaxPageSize);
  return read_page(chain, query, query.cursor, limit, out, next_cursor);
}

boost::system::error_code AuditLog::for_each(const AuditChain& chain, const AuditQuery& query,
                                             const std::function<bool(const AuditRow&)>& on_row) {
  std::string cursor = query.cursor;
  std::vector<AuditRow> page;
  for (;;) {
    page.clear();
    std::string next;
    if (auto ec = read_page(chain, query, cursor, kPageRows, page, next)) return ec;
    for (const auto& row : page) {
      if (!on_row(row)) return {};
    }
    if (next.empty()) return {};
    cursor = std::move(next);
  }
}

void write_csv_header(std::string& out) {
  out.append(
      "id,seq,at,org_id,actor_type,actor_id,actor_login,client,user_agent,action,target,outcome,details,prev_hash,"
      "hash\r\n");
}

void format_csv_row(const AuditRow& row, std::string& out) {
  const std::string id = std::to_string(row.id);
  const std::string seq = std::to_string(row.seq);
  const std::string details = boost::json::serialize(row.details);
  const std::string_view cells[] = {id,
                                    seq,
                                    row.at,
                                    row.chain.org_id(),
                                    to_string(row.actor_type),
                                    row.actor_id,
                                    row.actor_login,
                                    row.client,
                                    row.user_agent,
                                    row.action,
                                    row.target,
                                    to_string(row.outcome),
                                    details,
                                    row.prev_hash,
                                    row.hash};
  bool first = true;
  for (auto cell : cells) {
    if (!first) out.push_back(',');
    first = false;
    append_csv_cell(out, cell);
  }
  out.append("\r\n");
}

}  // namespace furoshiki::admin
