// FileDirectory: file rows are reached only within their organization and by their owner, list
// pages newest first with a cursor, and every change comes with its audit event.
#include "admin/files.hpp"

#include "common/error.hpp"
#include "crypto/random.hpp"
#include "test_support/admin_fixture.hpp"

#include <gtest/gtest.h>

namespace furoshiki::admin {
namespace {

using namespace std::chrono_literals;

class FilesTest : public test_support::AdminFixture {
 protected:
  void SetUp() override {
    AdminFixture::SetUp();
    files_ = std::make_unique<FileDirectory>(*db_, *audit_);
    a_ = make_org("acme", a_admin_);
    b_ = make_org("beta", b_admin_);
  }

  Organization make_org(const std::string& code, CreatedAccount& admin) {
    Organization org;
    const auto e = orgs_->create({code, "Org " + code, "admin@" + code + ".test", ""}, Actor{}, org, admin);
    EXPECT_FALSE(e) << e.message;
    return org;
  }

  StoredFile file(const Organization& org, const std::string& owner, std::string id, std::int64_t second) {
    return StoredFile{
        .id = std::move(id),
        .org_id = org.id,
        .owner_id = owner,
        .name = "a.txt",
        .content_type = "text/plain",
        .size = 3,
        .sha256 = std::string(64, 'a'),
        .object_id = crypto::random_hex(16),
        .created_at = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000 + second))};
  }

  AuditEvent event(const Organization& org, std::string action, std::string target) {
    return AuditEvent{
        .chain = AuditChain::organization(org.id), .action = std::move(action), .target = std::move(target)};
  }

  std::unique_ptr<FileDirectory> files_;
  Organization a_, b_;
  CreatedAccount a_admin_, b_admin_;
};

std::string id_of(char c) { return std::string(32, c); }

TEST_F(FilesTest, CreatedFileIsFoundByItsOwner) {
  const auto scope = orgs_->scope_for(a_);
  const auto f = file(a_, a_admin_.id, id_of('1'), 0);
  ASSERT_FALSE(files_->create(scope, f, event(a_, "file.upload", f.id)));
  auto got = files_->get(scope, a_admin_.id, f.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, "a.txt");
  EXPECT_EQ(got->object_id, f.object_id);
  EXPECT_EQ(got->created_at, f.created_at);
  EXPECT_FALSE(got->expires_at);
  EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE action = 'file.upload' AND target = ?1", {f.id}), 1);
}

TEST_F(FilesTest, AnotherOrganizationsFileIsNotFound) {
  const auto f = file(a_, a_admin_.id, id_of('1'), 0);
  ASSERT_FALSE(files_->create(orgs_->scope_for(a_), f, event(a_, "file.upload", f.id)));
  auto got = files_->get(orgs_->scope_for(b_), b_admin_.id, f.id);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error(), Errc::kNotFound);
  // Even with the owner's id: the scope decides.
  EXPECT_EQ(files_->get(orgs_->scope_for(b_), a_admin_.id, f.id).error(), Errc::kNotFound);
  auto removed = files_->remove(orgs_->scope_for(b_), b_admin_.id, f.id, event(b_, "file.delete", f.id));
  EXPECT_EQ(removed.error(), Errc::kNotFound);
  EXPECT_EQ(count("SELECT count(*) FROM files"), 1);
  EXPECT_TRUE(files_->list(orgs_->scope_for(b_), a_admin_.id, "", 10)->files.empty());
}

TEST_F(FilesTest, RefusesARowOfAnotherOrganization) {
  const auto f = file(b_, b_admin_.id, id_of('1'), 0);
  EXPECT_EQ(files_->create(orgs_->scope_for(a_), f, event(a_, "file.upload", f.id)), Errc::kInternal);
  EXPECT_EQ(count("SELECT count(*) FROM files"), 0);
}

TEST_F(FilesTest, ListsNewestFirstInPages) {
  const auto scope = orgs_->scope_for(a_);
  for (int i = 0; i < 5; ++i) {
    // Two files share each second: the id breaks the tie.
    const auto f = file(a_, a_admin_.id, id_of(static_cast<char>('a' + i)), i / 2);
    ASSERT_FALSE(files_->create(scope, f, event(a_, "file.upload", f.id)));
  }
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = files_->list(scope, a_admin_.id, cursor, 2);
    ASSERT_TRUE(page);
    for (const auto& f : page->files) seen.push_back(f.id.substr(0, 1));
    cursor = page->next_cursor;
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"e", "d", "c", "b", "a"}));
}

TEST_F(FilesTest, RefusesAForeignCursor) {
  EXPECT_EQ(files_->list(orgs_->scope_for(a_), a_admin_.id, "nonsense", 10).error(), Errc::kBadRequest);
}

TEST_F(FilesTest, RemoveDeletesTheRowAndRecordsIt) {
  const auto scope = orgs_->scope_for(a_);
  const auto f = file(a_, a_admin_.id, id_of('1'), 0);
  ASSERT_FALSE(files_->create(scope, f, event(a_, "file.upload", f.id)));
  auto removed = files_->remove(scope, a_admin_.id, f.id, event(a_, "file.delete", f.id));
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->object_id, f.object_id);
  EXPECT_EQ(files_->get(scope, a_admin_.id, f.id).error(), Errc::kNotFound);
  EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE action = 'file.delete' AND target = ?1", {f.id}), 1);
}

TEST_F(FilesTest, DeletingTheOrganizationDeletesItsFiles) {
  const auto f = file(a_, a_admin_.id, id_of('1'), 0);
  ASSERT_FALSE(files_->create(orgs_->scope_for(a_), f, event(a_, "file.upload", f.id)));
  ASSERT_FALSE(orgs_->remove("acme", Actor{}));
  EXPECT_EQ(count("SELECT count(*) FROM files"), 0);
}

}  // namespace
}  // namespace furoshiki::admin
