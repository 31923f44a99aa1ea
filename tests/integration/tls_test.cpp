// TLS policy of the HTTPS listener as a client sees it: TLS 1.2 and 1.3 with ECDHE + AEAD only,
// and certificate reload on SIGHUP without disturbing open connections.
#include "harness.hpp"
#include "https_client.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>

namespace furoshiki::integration {
namespace {

namespace fs = std::filesystem;

class TlsPolicy : public ::testing::Test {
 protected:
  void SetUp() override { server_ = ServerProcess::start(instance_); }

  Instance instance_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(TlsPolicy, RefusesTls11) {
  // SECLEVEL=0 so that the client itself is willing to speak TLS 1.1: the refusal must come from
  // the server (a "protocol version" alert), not from the client's own configuration.
  const TlsClient client(tls_versions(TLS1_1_VERSION, TLS1_1_VERSION, "DEFAULT:@SECLEVEL=0"));
  std::string error;
  EXPECT_EQ(client.connect(server_->https(), &error), nullptr);
  EXPECT_NE(error.find("protocol version"), std::string::npos) << error;
}

TEST_F(TlsPolicy, AcceptsTls13) {
  const TlsClient client(tls_versions(TLS1_3_VERSION, TLS1_3_VERSION));
  std::string error;
  auto connection = client.connect(server_->https(), &error);
  ASSERT_TRUE(connection) << error;
  EXPECT_EQ(connection->protocol_version(), "TLSv1.3");
  const auto response = connection->get("/healthz");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200u);
}

TEST_F(TlsPolicy, RefusesTls12WithOnlyCbcCiphers) {
  const TlsClient client(
      tls_versions(TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:@SECLEVEL=0"));
  std::string error;
  EXPECT_EQ(client.connect(server_->https(), &error), nullptr);
  // The server found no shared cipher and said so, rather than the client failing to offer one.
  EXPECT_NE(error.find("handshake failure"), std::string::npos) << error;
}

TEST_F(TlsPolicy, AcceptsTls12WithEcdheAesGcm) {
  const TlsClient client(tls_versions(TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256"));
  std::string error;
  auto connection = client.connect(server_->https(), &error);
  ASSERT_TRUE(connection) << error;
  EXPECT_EQ(connection->protocol_version(), "TLSv1.2");
  EXPECT_EQ(connection->cipher(), "ECDHE-ECDSA-AES128-GCM-SHA256");
  const auto response = connection->get("/healthz");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200u);
}

TEST_F(TlsPolicy, ServesTheInstanceCertificate) {
  const TlsClient client;
  auto connection = client.connect(server_->https());
  ASSERT_TRUE(connection);
  EXPECT_EQ(connection->peer_common_name(), "localhost");
}

// Copies `from` over `to` in place (the file keeps its inode and mode), then sets `mode`.
void overwrite_file(const fs::path& from, const fs::path& to, fs::perms mode) {
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  fs::permissions(to, mode, fs::perm_options::replace);
}

TEST_F(TlsPolicy, SighupReloadsCertificateAndKeepsOpenConnections) {
  const TlsClient client;
  auto before = client.connect(server_->https());
  ASSERT_TRUE(before);
  const std::string old_fingerprint = before->peer_fingerprint();
  ASSERT_EQ(before->peer_common_name(), "localhost");
  ASSERT_EQ(status_of(before->get("/healthz")), 200u);

  // A second instance provides a different certificate and key.
  const Instance other("other.test");
  overwrite_file(other.private_key_file(), instance_.private_key_file(),
                 fs::perms::owner_read | fs::perms::owner_write);
  overwrite_file(other.certificate_file(), instance_.certificate_file(),
                 fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);

  ASSERT_TRUE(server_->signal(SIGHUP));
  const auto reloaded = server_->wait_for_event(
      [](const boost::json::object& o) {
        const auto event = json_string(o, "event");
        return event == "tls_reloaded" || event == "tls_reload_failed";
      },
      10s);
  ASSERT_TRUE(reloaded) << server_->log_text();
  ASSERT_EQ(json_string(*reloaded, "event"), "tls_reloaded") << server_->log_text();

  auto after = client.connect(server_->https());
  ASSERT_TRUE(after);
  EXPECT_EQ(after->peer_common_name(), "other.test");
  EXPECT_NE(after->peer_fingerprint(), old_fingerprint);
  EXPECT_EQ(status_of(after->get("/healthz")), 200u);

  // The connection opened before the reload still works, with the certificate it began with.
  const auto response = before->get("/healthz");
  ASSERT_TRUE(response) << "keep-alive connection opened before SIGHUP stopped answering";
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(before->peer_fingerprint(), old_fingerprint);
}

TEST_F(TlsPolicy, FailedReloadKeepsServingThePreviousCertificate) {
  const TlsClient client;
  auto before = client.connect(server_->https());
  ASSERT_TRUE(before);
  const std::string old_fingerprint = before->peer_fingerprint();

  // A key that does not match the certificate: the reload must fail and change nothing.
  const Instance other("other.test");
  overwrite_file(other.private_key_file(), instance_.private_key_file(),
                 fs::perms::owner_read | fs::perms::owner_write);

  ASSERT_TRUE(server_->signal(SIGHUP));
  ASSERT_TRUE(server_->wait_for_event("tls_reload_failed", 10s)) << server_->log_text();
  auto after = client.connect(server_->https());
  ASSERT_TRUE(after);
  EXPECT_EQ(after->peer_fingerprint(), old_fingerprint);
  EXPECT_EQ(status_of(after->get("/healthz")), 200u);
}

}  // namespace
}  // namespace furoshiki::integration
