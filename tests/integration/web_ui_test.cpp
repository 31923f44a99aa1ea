// The browser UI as the real server serves it (server/web_ui.hpp): pages under the strict CSP,
// hashed assets cached as immutable, and an API that keeps working when web.root has no UI.
#include "harness.hpp"
#include "https_client.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace furoshiki::integration {
namespace {

void write_file(const std::filesystem::path& path, std::string_view content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

TEST(WebUi, PagesAndAssetsAreServedWithTheirCachingAndSecurityHeaders) {
  Instance instance;
  const auto ui = instance.dir() / "ui";
  write_file(ui / "index.html", "<!doctype html><script type=module src=/assets/app-Q1w2.js></script>");
  write_file(ui / "assets/app-Q1w2.js", "export {}");
  instance.set("web", "root", toml_string(ui.string()));
  auto server = ServerProcess::start(instance);
  EXPECT_EQ(server->events("web_ui_loaded").size(), 1u) << server->log_text();

  for (const char* page : {"/", "/login", "/admin/users"}) {
    const auto res = https_get(server->https(), page);
    ASSERT_EQ(status_of(res), 200u) << page;
    EXPECT_TRUE(res->body.starts_with("<!doctype html>")) << page;
    EXPECT_EQ(res->header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(res->header("Cache-Control"), "no-cache");
    const std::string csp = res->header("Content-Security-Policy");
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
    EXPECT_EQ(res->header("X-Frame-Options"), "DENY");
  }
  const auto asset = https_get(server->https(), "/assets/app-Q1w2.js");
  ASSERT_EQ(status_of(asset), 200u);
  EXPECT_EQ(asset->body, "export {}");
  EXPECT_EQ(asset->header("Cache-Control"), "public, max-age=31536000, immutable");
  const auto cached = https_get(server->https(), "/assets/app-Q1w2.js", {{"If-None-Match", asset->header("ETag")}});
  EXPECT_EQ(status_of(cached), 304u);

  for (const char* path : {"/assets/other.js", "/assets/..%2findex.html", "/index.html", "/assets/%2e%2e/ui/index.html",
                           "/../ui/index.html"}) {
    const auto res = https_get(server->https(), path);
    EXPECT_TRUE(status_of(res) == 404u || status_of(res) == 400u) << path << " " << status_of(res);
    if (res) {
      EXPECT_EQ(res->body.find("<!doctype"), std::string::npos) << path;
    }
  }
}

TEST(WebUi, WithoutABuiltUiTheApiStillServesAndTheLogSaysWhy) {
  Instance instance;
  instance.set("web", "root", toml_string((instance.dir() / "no-ui-here").string()));
  auto server = ServerProcess::start(instance);
  const auto warnings = server->events("web_ui_unavailable");
  ASSERT_EQ(warnings.size(), 1u) << server->log_text();
  EXPECT_NE(std::string(warnings[0].at("reason").as_string()).find("index.html"), std::string::npos);
  EXPECT_EQ(status_of(https_get(server->https(), "/login")), 404u);
  EXPECT_EQ(status_of(https_get(server->https(), "/healthz")), 200u);
}

}  // namespace
}  // namespace furoshiki::integration
