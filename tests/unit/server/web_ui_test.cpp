// The browser UI's files: what load() accepts, the lookup table, and the routes' caching headers.
#include "server/web_ui.hpp"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <fstream>

namespace furoshiki::server {
namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;

class WebUiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/furoshiki-web-ui-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }

  void write(const fs::path& relative, std::string_view content) {
    fs::create_directories((root_ / relative).parent_path());
    std::ofstream(root_ / relative, std::ios::binary) << content;
  }

  Response get(const Router& router, std::string_view path, std::string_view if_none_match = {}) {
    const auto match = router.match(http::verb::get, path);
    EXPECT_NE(match.route, nullptr) << path;
    if (!match.route) return Response{};
    EXPECT_EQ(match.route->policy, AuthPolicy::kPublic);
    http::fields headers;
    if (!if_none_match.empty()) headers.set(http::field::if_none_match, if_none_match);
    Request request;
    request.method = http::verb::get;
    request.path = path;
    request.headers = &headers;
    request.params = match.params;
    return match.route->handler(request);
  }

  fs::path root_;
};

TEST_F(WebUiTest, LoadsIndexAndAssetsWithTypes) {
  write("index.html", "<!doctype html><div id=app></div>");
  write("assets/index-Ab12.js", "console.log(1)");
  write("assets/index-Cd34.css", "body{}");
  write("assets/fonts/a-Ef56.woff2", "wOF2");
  write("robots.txt", "outside assets/: not served");
  std::string problem;
  auto ui = WebUi::load(root_, problem);
  ASSERT_TRUE(ui) << problem;
  EXPECT_EQ(ui->asset_count(), 3u);
  EXPECT_EQ(ui->index().content_type, "text/html; charset=utf-8");
  ASSERT_NE(ui->asset("index-Ab12.js"), nullptr);
  EXPECT_EQ(ui->asset("index-Ab12.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(ui->asset("index-Cd34.css")->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(ui->asset("fonts/a-Ef56.woff2")->content_type, "font/woff2");
  EXPECT_EQ(ui->asset("robots.txt"), nullptr);
  EXPECT_EQ(ui->asset("../index.html"), nullptr);
  EXPECT_EQ(ui->asset(""), nullptr);
}

TEST_F(WebUiTest, MissingIndexIsRefusedWithAReason) {
  write("assets/x.js", "1");
  std::string problem;
  EXPECT_FALSE(WebUi::load(root_, problem));
  EXPECT_NE(problem.find("index.html"), std::string::npos) << problem;
  EXPECT_FALSE(WebUi::load(root_ / "nonexistent", problem));
}

TEST_F(WebUiTest, SymbolicLinksAreNotFollowed) {
  write("index.html", "x");
  write("secret.txt", "not for the web");
  fs::create_directories(root_ / "assets");
  fs::create_symlink(root_ / "secret.txt", root_ / "assets/leak.js");
  std::string problem;
  auto ui = WebUi::load(root_, problem);
  ASSERT_TRUE(ui) << problem;
  EXPECT_EQ(ui->asset("leak.js"), nullptr);
}

TEST_F(WebUiTest, TooManyFilesIsRefused) {
  write("index.html", "x");
  for (std::size_t i = 0; i <= WebUi::kMaxFiles; ++i) write("assets/f" + std::to_string(i) + ".js", "1");
  std::string problem;
  EXPECT_FALSE(WebUi::load(root_, problem));
  EXPECT_NE(problem.find("more than"), std::string::npos) << problem;
}

TEST_F(WebUiTest, AssetsAreImmutableAndPagesRevalidated) {
  write("index.html", "<!doctype html>");
  write("assets/app-Zz9.js", "export{}");
  std::string problem;
  auto ui = WebUi::load(root_, problem);
  ASSERT_TRUE(ui) << problem;
  Router router;
  add_web_ui_routes(router, *ui);

  Response asset = get(router, "/assets/app-Zz9.js");
  EXPECT_EQ(asset.result(), http::status::ok);
  EXPECT_EQ(asset.body(), "export{}");
  EXPECT_EQ(asset[http::field::cache_control], "public, max-age=31536000, immutable");
  const std::string etag(asset[http::field::etag]);
  ASSERT_FALSE(etag.empty());

  Response again = get(router, "/assets/app-Zz9.js", etag);
  EXPECT_EQ(again.result(), http::status::not_modified);
  EXPECT_TRUE(again.body().empty());
  EXPECT_EQ(get(router, "/assets/app-Zz9.js", "\"other\", W/" + etag).result(), http::status::not_modified);
  EXPECT_EQ(get(router, "/assets/app-Zz9.js", "\"other\"").result(), http::status::ok);

  EXPECT_EQ(get(router, "/assets/missing.js").result(), http::status::not_found);

  for (const std::string_view page : kWebUiPages) {
    Response res = get(router, page);
    EXPECT_EQ(res.result(), http::status::ok) << page;
    EXPECT_EQ(res.body(), "<!doctype html>") << page;
    EXPECT_EQ(res[http::field::cache_control], "no-cache") << page;
  }
}

TEST_F(WebUiTest, DifferentContentGetsADifferentEtag) {
  write("index.html", "x");
  write("assets/a.js", "1");
  write("assets/b.js", "2");
  std::string problem;
  auto ui = WebUi::load(root_, problem);
  ASSERT_TRUE(ui) << problem;
  EXPECT_NE(ui->asset("a.js")->etag, ui->asset("b.js")->etag);
  EXPECT_EQ(ui->asset("a.js")->etag.front(), '"');
}

}  // namespace
}  // namespace furoshiki::server
