// The audit log: hash chains that report the first broken link whatever is altered or removed
// directly in SQLite, chains kept apart per organization and for the service, concurrent
// appends, queries with cursor paging, and the CSV export's quoting and formula escaping.
#include "admin/audit_log.hpp"

#include "common/error.hpp"
#include "crypto/aead.hpp"
#include "crypto/hex.hpp"
#include "db/migrations.hpp"
#include "db/sqlite_database.hpp"
#include "test_support/crypto_context.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

namespace furoshiki::admin {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using TimePoint = std::chrono::system_clock::time_point;

// 2026-11-22T05:00:00.000Z
constexpr TimePoint kStart{seconds{1795323600}};

constexpr std::string_view kColumns =
    "id, org_id, seq, at, actor_type, actor_id, actor_login, client, user_agent, action, target, outcome, details, "
    "prev_hash, hash";

// The hash as audit_log.hpp defines it, written again here from that definition so that a change
// to the stored format cannot pass unnoticed.
std::string documented_hash(const crypto::CryptoContext& ctx, const std::vector<db::Value>& row) {
  std::string input;
  std::array<std::uint8_t, 32> prev{};
  EXPECT_TRUE(crypto::hex_decode(std::get<std::string>(row.at(13)), prev));
  input.append(reinterpret_cast<const char*>(prev.data()), prev.size());
  const auto field = [&input](const db::Value& v) {
    std::string text;
    if (std::holds_alternative<std::nullptr_t>(v)) {
      input.push_back('\0');
      return;
    }
    if (const auto* i = std::get_if<std::int64_t>(&v)) text = std::to_string(*i);
    if (const auto* s = std::get_if<std::string>(&v)) text = *s;
    input.push_back('\x01');
    for (int byte = 7; byte >= 0; --byte) input.push_back(static_cast<char>((text.size() >> (8 * byte)) & 0xff));
    input.append(text);
  };
  field(std::string("furoshiki.audit.v1"));
  for (std::size_t i = 0; i < 13; ++i) field(row.at(i));
  const auto digest = crypto::sha256(ctx, {reinterpret_cast<const std::uint8_t*>(input.data()), input.size()});
  return crypto::hex_encode(digest);
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_ = test_support::test_crypto_context();
    boost::system::error_code ec;
    db_ = db::open_sqlite({":memory:"}, ec);
    ASSERT_TRUE(db_);
    auto migrations = db::parse_migrations(db::embedded_migrations(), ec);
    ASSERT_FALSE(ec);
    db::MigrationReport report;
    ASSERT_FALSE(db::migrate(*db_, migrations, report));
    log_ = std::make_unique<AuditLog>(ctx_, *db_, [this] { return kStart + seconds{ticks_++}; });
  }

  AuditEvent event(const AuditChain& chain, std::string action, std::string actor_id = "u1") {
    return AuditEvent{.chain = chain,
                      .actor_type = ActorType::kUser,
                      .actor_id = std::move(actor_id),
                      .actor_login = "alice@acme.test",
                      .client = "192.0.2.10",
                      .user_agent = "Mozilla/5.0",
                      .action = std::move(action),
                      .target = "target",
                      .details = {{"n", 1}}};
  }

  void append_n(const AuditChain& chain, int n) {
    for (int i = 0; i < n; ++i) ASSERT_FALSE(log_->append(event(chain, "auth.login")));
  }

  VerifyResult verify(const AuditChain& chain) {
    VerifyResult result;
    EXPECT_FALSE(log_->verify(chain, result));
    return result;
  }

  // What an attacker with write access to the file does first: the trigger is no protection.
  void drop_update_guard() { ASSERT_FALSE(db_->execute("DROP TRIGGER audit_events_no_update")); }

  std::int64_t id_of(const std::string& chain, std::int64_t seq) {
    std::int64_t id = 0;
    EXPECT_FALSE(db_->execute("SELECT id FROM audit_events WHERE chain = ?1 AND seq = ?2", {chain, seq},
                              [&](const db::Row& r) { id = r.integer(0); }));
    return id;
  }

  std::vector<db::Value> stored_row(std::int64_t id) {
    std::vector<db::Value> values;
    EXPECT_FALSE(db_->execute("SELECT " + std::string(kColumns) + " FROM audit_events WHERE id = ?1", {id},
                              [&](const db::Row& r) {
                                for (std::size_t i = 0; i < r.size(); ++i) values.push_back(r[i]);
                              }));
    return values;
  }

  std::shared_ptr<const crypto::CryptoContext> ctx_;
  std::unique_ptr<db::Database> db_;
  std::atomic<int> ticks_{0};
  std::unique_ptr<AuditLog> log_;
  const AuditChain acme_ = AuditChain::organization("acme-org-id");
  const AuditChain globex_ = AuditChain::organization("globex-org-id");
};

TEST_F(AuditLogTest, FirstEventStartsTheChainWithZeroPrevHash) {
  ASSERT_FALSE(log_->append(event(acme_, "auth.login")));
  const auto row = stored_row(id_of("acme-org-id", 1));
  ASSERT_EQ(row.size(), 15u);
  EXPECT_EQ(std::get<std::string>(row[1]), "acme-org-id");
  EXPECT_EQ(std::get<std::int64_t>(row[2]), 1);
  EXPECT_EQ(std::get<std::string>(row[3]), "2026-11-22T05:00:00.000Z");
  EXPECT_EQ(std::get<std::string>(row[13]), std::string(64, '0'));
  EXPECT_EQ(std::get<std::string>(row[14]), documented_hash(*ctx_, row));
}

TEST_F(AuditLogTest, EachEventLinksToThePreviousOneAndTheHead) {
  append_n(acme_, 3);
  const auto second = stored_row(id_of("acme-org-id", 2));
  const auto third = stored_row(id_of("acme-org-id", 3));
  EXPECT_EQ(std::get<std::string>(third[13]), std::get<std::string>(second[14]));
  EXPECT_EQ(std::get<std::string>(third[14]), documented_hash(*ctx_, third));
  std::int64_t head_seq = 0;
  std::string head_hash;
  ASSERT_FALSE(
      db_->execute("SELECT seq, hash FROM audit_chain_heads WHERE chain = 'acme-org-id'", {}, [&](const db::Row& r) {
        head_seq = r.integer(0);
        head_hash = r.text(1);
      }));
  EXPECT_EQ(head_seq, 3);
  EXPECT_EQ(head_hash, std::get<std::string>(third[14]));
}

TEST_F(AuditLogTest, TimestampsAreUtcWithMilliseconds) {
  AuditLog log(ctx_, *db_, [] { return kStart + milliseconds{1234}; });
  ASSERT_FALSE(log.append(event(acme_, "auth.login")));
  std::vector<AuditRow> rows;
  std::string next;
  ASSERT_FALSE(log.query(acme_, {}, rows, next));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at, "2026-11-22T05:00:01.234Z");
}

TEST_F(AuditLogTest, IntactChainVerifies) {
  append_n(acme_, 1200);  // more than one verification page
  const auto result = verify(acme_);
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.events, 1200);
  EXPECT_FALSE(result.broken);
}

TEST_F(AuditLogTest, EmptyChainVerifies) {
  const auto result = verify(acme_);
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.events, 0);
}

TEST_F(AuditLogTest, EventRollsBackWithTheCallersTransaction) {
  const auto ec = db_->transaction([&](db::Database& tx) -> boost::system::error_code {
    if (auto e = log_->append(tx, event(acme_, "user.disable"))) return e;
    return Errc::kConflict;  // the action the event records fails afterwards
  });
  EXPECT_EQ(ec, Errc::kConflict);
  std::int64_t events = -1, heads = -1;
  ASSERT_FALSE(db_->execute("SELECT (SELECT count(*) FROM audit_events), (SELECT count(*) FROM audit_chain_heads)", {},
                            [&](const db::Row& r) {
                              events = r.integer(0);
                              heads = r.integer(1);
                            }));
  EXPECT_EQ(events, 0);
  EXPECT_EQ(heads, 0);
  ASSERT_FALSE(db_->transaction([&](db::Database& tx) { return log_->append(tx, event(acme_, "user.disable")); }));
  EXPECT_EQ(verify(acme_).events, 1);
}

TEST_F(AuditLogTest, SchemaRefusesUpdates) {
  append_n(acme_, 1);
  EXPECT_TRUE(db_->execute("UPDATE audit_events SET target = 'other'"));
}

TEST_F(AuditLogTest, AlteredMiddleRowIsReportedAtThatRow) {
  append_n(acme_, 5);
  drop_update_guard();
  ASSERT_FALSE(db_->execute("UPDATE audit_events SET actor_login = 'mallory@acme.test' WHERE chain = ?1 AND seq = 3",
                            {std::string("acme-org-id")}));
  const auto result = verify(acme_);
  ASSERT_FALSE(result.ok);
  ASSERT_TRUE(result.broken);
  EXPECT_EQ(result.broken->kind, ChainBreak::kAlteredRow);
  EXPECT_EQ(result.broken->seq, 3);
  EXPECT_EQ(result.broken->id, id_of("acme-org-id", 3));
  EXPECT_EQ(result.events, 2);
}

TEST_F(AuditLogTest, AlteredTimestampIsReported) {
  append_n(acme_, 3);
  drop_update_guard();
  ASSERT_FALSE(db_->execute("UPDATE audit_events SET at = '2020-01-01T00:00:00.000Z' WHERE seq = 2"));
  const auto result = verify(acme_);
  ASSERT_TRUE(result.broken);
  EXPECT_EQ(result.broken->kind, ChainBreak::kAlteredRow);
  EXPECT_EQ(result.broken->seq, 2);
}

TEST_F(AuditLogTest, DeletedMiddleRowIsReported) {
  append_n(acme_, 5);
  ASSERT_FALSE(db_->execute("DELETE FROM audit_events WHERE chain = 'acme-org-id' AND seq = 3"));
  const auto result = verify(acme_);
  ASSERT_TRUE(result.broken);
  EXPECT_EQ(result.broken->kind, ChainBreak::kMissingRow);
  EXPECT_EQ(result.broken->seq, 4);  // the row after the gap
  EXPECT_NE(result.broken->detail.find("seq 3 is missing"), std::string::npos) << result.broken->detail;
  EXPECT_EQ(result.events, 2);
}

TEST_F(AuditLogTest, DeletedFirstRowIsReported) {
  append_n(acme_, 3);
  ASSERT_FALSE(db_->execute("DELETE FROM audit_events WHERE seq = 1"));
  const auto result = verify(acme_);
  ASSERT_TRUE(result.broken);
  EXPECT_EQ(result.broken->kind, ChainBreak::kMissingRow);
  EXPECT_EQ(result.broken->seq, 2);
}

TEST_F(AuditLogTest, DeletedLastRowIsAHeadMismatch) {
  append_n(acme_, 5);
  ASSERT_FALSE(db_->execute("DELETE FROM audit_events WHERE chain = 'acme-org-id' AND seq = 5"));
  const auto result = verify(acme_);
  ASSERT_TRUE(result.broken);
  EXPECT_EQ(result.broken->kind, ChainBreak::kHeadMismatch);
  EXPECT_EQ(result.broken->seq, 4);  // the last intact row
  EXPECT_EQ(result.events, 4);
}

TEST_F(AuditLogTest, DeletedWholeChainIsAHeadMismatch) {
  append_n(acme_, 3);
  ASSERT_FALSE(db_->execute("DELETE FROM audit_events"));
  const auto result = verify(acme_);
  ASSERT_TRUE(result.broken);
  EXPECT_EQ(result.broken->kind, ChainBreak::kHeadMismatch);
  EXPECT_EQ(result.broken->seq, 0);
}

TEST_F(AuditLogTest, DeletedHeadIsReported) {
  append_n(acme_, 3);
  ASSERT_FALSE(db_->execute("DELETE FROM audit_chain_heads"));
  const auto result = verify(acme_);
  ASSERT_TRUE(result.broken);
  EXPECT_EQ(result.broken->kind, ChainBreak::kHeadMismatch);
}

TEST_F(AuditLogTest, AlteredHeadIsReported) {
  append_n(acme_, 4);
  ASSERT_FALSE(db_->execute("UPDATE audit_chain_heads SET hash = ?1", {std::string(64, 'a')}));
  const auto result = verify(acme_);
  ASSERT_TRUE(result.broken);
  EXPECT_EQ(result.broken->kind, ChainBreak::kHeadMismatch);
  EXPECT_EQ(result.broken->seq, 4);
}

TEST_F(AuditLogTest, RowRehashedConsistentlyIsCaughtAtTheNextRow) {
  append_n(acme_, 5);
  drop_update_guard();
  const std::int64_t id = id_of("acme-org-id", 3);
  auto row = stored_row(id);
  row[10] = std::string("someone-else");
  const std::string forged = documented_hash(*ctx_, row);
  ASSERT_FALSE(db_->execute("UPDATE audit_events SET target = ?1, hash = ?2 WHERE id = ?3", {row[10], forged, id}));
  const auto result = verify(acme_);
  ASSERT_TRUE(result.broken);
  EXPECT_EQ(result.broken->kind, ChainBreak::kMissingRow);
  EXPECT_EQ(result.broken->seq, 4);
  EXPECT_EQ(result.events, 3);
}

TEST_F(AuditLogTest, RowWithRewrittenPrevAndHashIsCaughtAtThatRow) {
  append_n(acme_, 5);
  drop_update_guard();
  const std::int64_t id = id_of("acme-org-id", 3);
  auto row = stored_row(id);
  row[13] = std::string(64, '0');  // as if it started the chain
  const std::string forged = documented_hash(*ctx_, row);
  ASSERT_FALSE(db_->execute("UPDATE audit_events SET prev_hash = ?1, hash = ?2 WHERE id = ?3", {row[13], forged, id}));
  const auto result = verify(acme_);
  ASSERT_TRUE(result.broken);
  EXPECT_EQ(result.broken->kind, ChainBreak::kMissingRow);
  EXPECT_EQ(result.broken->seq, 3);
}

TEST_F(AuditLogTest, SwappedSeqOfTwoRowsIsReported) {
  append_n(acme_, 5);
  drop_update_guard();
  ASSERT_FALSE(db_->execute("UPDATE audit_events SET seq = 1000 WHERE seq = 2"));
  ASSERT_FALSE(db_->execute("UPDATE audit_events SET seq = 2 WHERE seq = 3"));
  ASSERT_FALSE(db_->execute("UPDATE audit_events SET seq = 3 WHERE seq = 1000"));
  const auto result = verify(acme_);
  ASSERT_TRUE(result.broken);
  EXPECT_EQ(result.broken->kind, ChainBreak::kAlteredRow);
  EXPECT_EQ(result.broken->seq, 2);
  EXPECT_EQ(result.events, 1);
}

TEST_F(AuditLogTest, AppendNeverForksAChainWhoseHeadWasRemoved) {
  append_n(acme_, 2);
  ASSERT_FALSE(db_->execute("DELETE FROM audit_chain_heads"));
  EXPECT_EQ(log_->append(event(acme_, "auth.login")), db::DbErrc::kConstraint);
  std::int64_t count = 0;
  ASSERT_FALSE(db_->execute("SELECT count(*) FROM audit_events", {}, [&](const db::Row& r) { count = r.integer(0); }));
  EXPECT_EQ(count, 2);
}

TEST_F(AuditLogTest, OrganizationsChainsAreIndependent) {
  for (int i = 0; i < 4; ++i) {
    ASSERT_FALSE(log_->append(event(acme_, "auth.login")));
    ASSERT_FALSE(log_->append(event(globex_, "auth.login")));
  }
  EXPECT_EQ(id_of("globex-org-id", 1), 2);  // interleaved ids, separate seqs
  EXPECT_EQ(verify(acme_).events, 4);
  EXPECT_EQ(verify(globex_).events, 4);

  drop_update_guard();
  ASSERT_FALSE(db_->execute("UPDATE audit_events SET outcome = 'failure' WHERE chain = 'acme-org-id' AND seq = 2"));
  EXPECT_FALSE(verify(acme_).ok);
  const auto other = verify(globex_);
  EXPECT_TRUE(other.ok);
  EXPECT_EQ(other.events, 4);
}

TEST_F(AuditLogTest, ServiceChainIsSeparateFromOrganizations) {
  AuditEvent op = event(AuditChain::service(), "org.create", "op1");
  op.actor_type = ActorType::kOperator;
  op.target = "acme";
  ASSERT_FALSE(log_->append(op));
  ASSERT_FALSE(log_->append(event(acme_, "auth.login")));
  ASSERT_FALSE(log_->append(op));

  bool org_id_null = false;
  ASSERT_FALSE(db_->execute("SELECT org_id IS NULL, seq FROM audit_events WHERE id = 3", {}, [&](const db::Row& r) {
    org_id_null = r.integer(0) == 1;
    EXPECT_EQ(r.integer(1), 2);
  }));
  EXPECT_TRUE(org_id_null);
  EXPECT_EQ(verify(AuditChain::service()).events, 2);
  EXPECT_EQ(verify(acme_).events, 1);

  std::vector<AuditRow> rows;
  std::string next;
  ASSERT_FALSE(log_->query(AuditChain::service(), {}, rows, next));
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) EXPECT_TRUE(row.chain.is_service());
  ASSERT_FALSE(log_->query(acme_, {}, rows, next));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].chain, acme_);
}

TEST_F(AuditLogTest, EmptyOrganizationIdIsRefused) {
  EXPECT_THROW(AuditChain::organization(""), std::invalid_argument);
}

TEST_F(AuditLogTest, ConcurrentAppendsFormOneUnbrokenChain) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const auto ec = db_->transaction(
            [&](db::Database& tx) { return log_->append(tx, event(acme_, "file.upload", "u" + std::to_string(t))); });
        if (ec) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  std::vector<std::int64_t> seqs;
  ASSERT_FALSE(db_->execute("SELECT seq FROM audit_events WHERE chain = 'acme-org-id' ORDER BY seq", {},
                            [&](const db::Row& r) { seqs.push_back(r.integer(0)); }));
  ASSERT_EQ(seqs.size(), 200u);
  for (std::size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], static_cast<std::int64_t>(i + 1));
  const auto result = verify(acme_);
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.events, 200);
}

TEST_F(AuditLogTest, QueryReturnsNewestFirst) {
  append_n(acme_, 3);
  std::vector<AuditRow> rows;
  std::string next;
  ASSERT_FALSE(log_->query(acme_, {}, rows, next));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].seq, 3);
  EXPECT_EQ(rows[2].seq, 1);
  EXPECT_TRUE(next.empty());
  EXPECT_EQ(rows[0].actor_login, "alice@acme.test");
  EXPECT_EQ(rows[0].actor_type, ActorType::kUser);
  EXPECT_EQ(rows[0].details.at("n").as_int64(), 1);
}

TEST_F(AuditLogTest, QueryFiltersByActionActorOutcomeAndTime) {
  ASSERT_FALSE(log_->append(event(acme_, "auth.login", "u1")));   // 05:00:00
  ASSERT_FALSE(log_->append(event(acme_, "auth.logout", "u1")));  // 05:00:01
  auto failed = event(acme_, "auth.login", "");
  failed.actor_type = ActorType::kAnonymous;
  failed.actor_login = "bob@acme.test";
  failed.outcome = AuditOutcome::kFailure;
  ASSERT_FALSE(log_->append(failed));                              // 05:00:02
  ASSERT_FALSE(log_->append(event(acme_, "user.disable", "u2")));  // 05:00:03
  ASSERT_FALSE(log_->append(event(globex_, "auth.login", "u1")));  // another organization

  const auto seqs = [&](AuditQuery q) {
    std::vector<AuditRow> rows;
    std::string next;
    EXPECT_FALSE(log_->query(acme_, q, rows, next));
    std::vector<std::int64_t> out;
    for (const auto& r : rows) out.push_back(r.seq);
    return out;
  };
  EXPECT_EQ(seqs({.action = "auth.login"}), (std::vector<std::int64_t>{3, 1}));
  EXPECT_EQ(seqs({.actor_id = "u1"}), (std::vector<std::int64_t>{2, 1}));
  EXPECT_EQ(seqs({.actor_login = "bob@acme.test"}), (std::vector<std::int64_t>{3}));
  EXPECT_EQ(seqs({.outcome = AuditOutcome::kFailure}), (std::vector<std::int64_t>{3}));
  EXPECT_EQ(seqs({.from = kStart + seconds{1}, .to = kStart + seconds{3}}), (std::vector<std::int64_t>{3, 2}));
  EXPECT_EQ(seqs({.from = kStart + seconds{1}, .actor_id = "u1", .action = "auth.logout"}),
            (std::vector<std::int64_t>{2}));
}

TEST_F(AuditLogTest, CursorPagesHaveNoDuplicatesAndNoGaps) {
  append_n(acme_, 25);
  append_n(globex_, 5);
  std::set<std::int64_t> seen;
  std::vector<std::int64_t> order;
  AuditQuery q{.limit = 7};
  int pages = 0;
  for (;;) {
    std::vector<AuditRow> rows;
    std::string next;
    ASSERT_FALSE(log_->query(acme_, q, rows, next));
    ++pages;
    for (const auto& r : rows) {
      EXPECT_TRUE(seen.insert(r.seq).second) << "duplicate seq " << r.seq;
      order.push_back(r.seq);
      EXPECT_EQ(r.chain, acme_);
    }
    if (next.empty()) break;
    EXPECT_EQ(rows.size(), 7u);
    // Appended between pages: newer than the cursor, so never shown on a later page.
    ASSERT_FALSE(log_->append(event(acme_, "auth.logout")));
    q.cursor = next;
  }
  EXPECT_EQ(pages, 4);
  ASSERT_EQ(order.size(), 25u);
  for (std::size_t i = 0; i < order.size(); ++i) EXPECT_EQ(order[i], static_cast<std::int64_t>(25 - i));
}

TEST_F(AuditLogTest, CursorKeepsFiltersAcrossPages) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_FALSE(log_->append(event(acme_, i % 2 ? "auth.login" : "auth.logout")));
  }
  AuditQuery q{.action = "auth.login", .limit = 2};
  std::vector<std::int64_t> order;
  for (;;) {
    std::vector<AuditRow> rows;
    std::string next;
    ASSERT_FALSE(log_->query(acme_, q, rows, next));
    for (const auto& r : rows) order.push_back(r.seq);
    if (next.empty()) break;
    q.cursor = next;
  }
  EXPECT_EQ(order, (std::vector<std::int64_t>{10, 8, 6, 4, 2}));
}

TEST_F(AuditLogTest, ForgedCursorIsABadRequest) {
  append_n(acme_, 2);
  std::vector<AuditRow> rows;
  std::string next;
  for (const std::string& cursor :
       std::vector<std::string>{"not a cursor!", "AAAA", "MjAyNnwx", std::string(200, 'A')}) {
    AuditQuery q{.cursor = cursor};
    EXPECT_EQ(log_->query(acme_, q, rows, next), Errc::kBadRequest) << cursor;
  }
}

TEST_F(AuditLogTest, PageSizeIsBounded) {
  append_n(acme_, 1005);
  std::vector<AuditRow> rows;
  std::string next;
  ASSERT_FALSE(log_->query(acme_, {.limit = 5000}, rows, next));
  EXPECT_EQ(rows.size(), AuditLog::kMaxPageSize);
  EXPECT_FALSE(next.empty());
  ASSERT_FALSE(log_->query(acme_, {}, rows, next));
  EXPECT_EQ(rows.size(), AuditLog::kDefaultPageSize);
}

TEST_F(AuditLogTest, ForEachStreamsEveryMatchingRowAcrossPages) {
  append_n(acme_, 1203);
  std::int64_t expected = 1203;
  std::size_t count = 0;
  ASSERT_FALSE(log_->for_each(acme_, {}, [&](const AuditRow& row) {
    EXPECT_EQ(row.seq, expected--);
    ++count;
    return true;
  }));
  EXPECT_EQ(count, 1203u);
  count = 0;
  ASSERT_FALSE(log_->for_each(acme_, {}, [&](const AuditRow&) { return ++count < 10; }));
  EXPECT_EQ(count, 10u);
}

TEST_F(AuditLogTest, ClientTextIsStoredCleanAndBounded) {
  auto e = event(acme_, "auth.login");
  e.user_agent = "evil\r\nInjected: line\x01 \xff end" + std::string(5000, 'x');
  e.actor_login = "\xe3\x81\x82" + std::string(AuditLog::kMaxFieldBytes, 'y');  // "あ" then too much
  e.target = "";
  ASSERT_FALSE(log_->append(e));
  std::vector<AuditRow> rows;
  std::string next;
  ASSERT_FALSE(log_->query(acme_, {}, rows, next));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].user_agent.rfind("evil\xEF\xBF\xBD\xEF\xBF\xBDInjected: line\xEF\xBF\xBD \xEF\xBF\xBD end", 0), 0u);
  EXPECT_LE(rows[0].user_agent.size(), AuditLog::kMaxFieldBytes);
  EXPECT_EQ(rows[0].actor_login.size(), AuditLog::kMaxFieldBytes);
  bool target_null = false;
  ASSERT_FALSE(db_->execute("SELECT target IS NULL FROM audit_events", {},
                            [&](const db::Row& r) { target_null = r.integer(0) == 1; }));
  EXPECT_TRUE(target_null);
  EXPECT_TRUE(verify(acme_).ok);
}

TEST_F(AuditLogTest, InvalidActionIsRefused) {
  EXPECT_EQ(log_->append(event(acme_, "")), Errc::kInternal);
  EXPECT_EQ(log_->append(event(acme_, "Auth Login")), Errc::kInternal);
  EXPECT_EQ(verify(acme_).events, 0);
}

AuditRow csv_row() {
  AuditRow row{{.chain = AuditChain::organization("acme-org-id")}};
  row.id = 7;
  row.seq = 3;
  row.at = "2026-11-22T05:00:00.123Z";
  row.actor_type = ActorType::kUser;
  row.actor_id = "u1";
  row.action = "file.download";
  row.outcome = AuditOutcome::kSuccess;
  row.prev_hash = std::string(64, '0');
  row.hash = std::string(64, 'f');
  return row;
}

TEST(AuditLogCsvTest, HeaderNamesEveryColumn) {
  std::string out;
  write_csv_header(out);
  EXPECT_EQ(out,
            "id,seq,at,org_id,actor_type,actor_id,actor_login,client,user_agent,action,target,outcome,details,"
            "prev_hash,hash\r\n");
}

TEST(AuditLogCsvTest, QuotesCellsPerRfc4180) {
  auto row = csv_row();
  row.actor_login = "alice@acme.test";
  row.user_agent = "Mozilla/5.0 (X11, \"Linux\")";
  row.target = "report,final.pdf";
  row.client = "line1\nline2";
  std::string out;
  format_csv_row(row, out);
  EXPECT_EQ(out,
            "7,3,2026-11-22T05:00:00.123Z,acme-org-id,user,u1,alice@acme.test,\"line1\nline2\","
            "\"Mozilla/5.0 (X11, \"\"Linux\"\")\",file.download,\"report,final.pdf\",success,{}," +
                std::string(64, '0') + "," + std::string(64, 'f') + "\r\n");
}

TEST(AuditLogCsvTest, DefusesFormulaCells) {
  auto row = csv_row();
  row.target = "=HYPERLINK(\"http://evil.test\",\"x\")";
  row.actor_login = "+1234";
  row.user_agent = "-2+3";
  row.client = "@SUM(A1)";
  row.actor_id = "\tx";
  row.details = {{"name", "=cmd"}};  // serialized as {"name":"=cmd"}: starts with '{', harmless
  std::string out;
  format_csv_row(row, out);
  EXPECT_NE(out.find(",\"'=HYPERLINK(\"\"http://evil.test\"\",\"\"x\"\")\","), std::string::npos) << out;
  EXPECT_NE(out.find(",'+1234,"), std::string::npos) << out;
  EXPECT_NE(out.find(",'-2+3,"), std::string::npos) << out;
  EXPECT_NE(out.find(",'@SUM(A1),"), std::string::npos) << out;
  EXPECT_NE(out.find(",'\tx,"), std::string::npos) << out;
  EXPECT_NE(out.find(",\"{\"\"name\"\":\"\"=cmd\"\"}\","), std::string::npos) << out;

  std::string cr;
  row = csv_row();
  row.target = "\r=1";
  format_csv_row(row, cr);
  EXPECT_NE(cr.find(",\"'\r=1\","), std::string::npos) << cr;
}

}  // namespace
}  // namespace furoshiki::admin
