// The libclamav engine: detection through the decrypting opener, and fail-closed verdicts.
#include "scanner_fixture.hpp"

namespace furoshiki::scanner::testing {
namespace {

class EngineTest : public ScannerTestBase {};

void expect_eicar(const ScanVerdict& v, const std::string& what) {
  EXPECT_EQ(v.kind, ScanVerdict::Kind::kInfected) << what << ": " << v.to_string();
  EXPECT_EQ(v.signature, "Eicar-Test-Signature") << what;
}

void expect_refused(const ScanVerdict& v, const std::string& reason, const std::string& what) {
  EXPECT_EQ(v.kind, ScanVerdict::Kind::kRefused) << what << ": " << v.to_string();
  EXPECT_EQ(v.reason, reason) << what << ": " << v.to_string();
  EXPECT_FALSE(v.is_clean());
}

TEST_F(EngineTest, DetectsPlainEicar) {
  auto engine = load();
  ASSERT_TRUE(engine);
  expect_eicar(scan(*engine, eicar_test_file()), "plain");
  EXPECT_EQ(engine->info().signatures, 1u);
  ASSERT_EQ(engine->info().files.size(), 1u);
  EXPECT_EQ(engine->info().files[0].name, kTestSignatureFile);
}

TEST_F(EngineTest, DetectsEicarInsideZip) {
  write_file(work() / "eicar.com", eicar_test_file());
  run("zip -q eicar.zip eicar.com");
  auto engine = load();
  ASSERT_TRUE(engine);
  expect_eicar(scan(*engine, read_file(work() / "eicar.zip")), "zip");
}

TEST_F(EngineTest, DetectsEicarInZipInsideZip) {
  write_file(work() / "eicar.com", eicar_test_file());
  write_file(work() / "readme.txt", "nothing to see here\n");
  run("zip -q inner.zip eicar.com && zip -q outer.zip inner.zip readme.txt");
  auto engine = load();
  ASSERT_TRUE(engine);
  expect_eicar(scan(*engine, read_file(work() / "outer.zip")), "zip in zip");
}

TEST_F(EngineTest, DetectsEicarInsideTarGz) {
  fs::create_directories(work() / "dir");
  write_file(work() / "dir/eicar.txt", eicar_test_file());
  write_file(work() / "dir/notes.txt", "plain notes\n");
  run("tar czf eicar.tar.gz dir");
  auto engine = load();
  ASSERT_TRUE(engine);
  expect_eicar(scan(*engine, read_file(work() / "eicar.tar.gz")), "tar.gz");
}

TEST_F(EngineTest, DetectsEicarAtAnOffsetInALargeFile) {
  // 24 MiB of random data with the test string 17 MiB in: far beyond the first chunks the
  // opener decrypts and any buffer libclamav keeps from the start of the file.
  std::string data = random_bytes(24 << 20, 7);
  const std::string eicar = eicar_test_file();
  data.replace(17 << 20, eicar.size(), eicar);
  auto engine = load();
  ASSERT_TRUE(engine);
  expect_eicar(scan(*engine, data), "offset 17 MiB");
}

TEST_F(EngineTest, DetectsEveryClamavTestFileWithAOneLineHdb) {
  const fs::path files = "/usr/share/clamav-testfiles";
  ASSERT_TRUE(fs::is_directory(files)) << "install Debian's clamav-testfiles (scripts/dev installs it)";
  fs::remove(signatures() / kTestSignatureFile);
  // ClamAV's own test signature: the MD5 and size of clam.exe, which every test file holds.
  write_file(signatures() / "clamav-test.hdb", "aa15bcf478d165efd2065190eb473bcb:544:ClamAV-Test-File\n");
  auto engine = load();
  ASSERT_TRUE(engine);
  std::size_t scanned = 0;
  for (const auto& entry : fs::directory_iterator(files)) {
    if (!entry.is_regular_file()) continue;
    const auto v = scan(*engine, read_file(entry.path()));
    EXPECT_EQ(v.kind, ScanVerdict::Kind::kInfected) << entry.path() << ": " << v.to_string();
    EXPECT_EQ(v.signature, "ClamAV-Test-File") << entry.path();
    ++scanned;
  }
  EXPECT_GE(scanned, 40u);
}

TEST_F(EngineTest, PassesCleanFilesOfSeveralTypes) {
  auto engine = load();
  ASSERT_TRUE(engine);
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "line " + std::to_string(i) + " of an ordinary text file\n";
  write_file(work() / "a.txt", text);
  write_file(work() / "b.bin", random_bytes(300000, 3));
  run("zip -q clean.zip a.txt b.bin && tar czf clean.tar.gz a.txt b.bin");
  const std::string pdf =
      "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
      "trailer<</Root 1 0 R>>\n%%EOF\n";
  const std::string html = "<!doctype html><html><body><p>Quarterly report</p></body></html>\n";
  for (const auto& [name, content] :
       std::vector<std::pair<std::string, std::string>>{{"empty", ""},
                                                        {"text", text},
                                                        {"random", random_bytes(5 << 20, 11)},
                                                        {"zip", read_file(work() / "clean.zip")},
                                                        {"tar.gz", read_file(work() / "clean.tar.gz")},
                                                        {"pdf", pdf},
                                                        {"html", html}}) {
    const auto v = scan(*engine, content);
    EXPECT_TRUE(v.is_clean()) << name << ": " << v.to_string();
  }
}

TEST_F(EngineTest, RefusesPasswordProtectedZipWithEicar) {
  write_file(work() / "eicar.com", eicar_test_file());
  run("zip -q -P secret locked.zip eicar.com");
  auto engine = load();
  ASSERT_TRUE(engine);
  const std::string zip = read_file(work() / "locked.zip");
  expect_refused(scan(*engine, zip), "encrypted", "password-protected zip");
}

TEST_F(EngineTest, RefusesAnyEncryptedZipUnlessPolicyAllowsIt) {
  write_file(work() / "report.txt", "confidential but harmless\n");
  run("zip -q -P secret locked.zip report.txt");
  auto engine = load();
  ASSERT_TRUE(engine);
  const std::string zip = read_file(work() / "locked.zip");
  expect_refused(scan(*engine, zip), "encrypted", "default policy");
  EXPECT_TRUE(scan(*engine, zip, ScanPolicy{.allow_encrypted = true}).is_clean());
}

TEST_F(EngineTest, RefusesTwentyLevelNestedZip) {
  write_file(work() / "level0.txt", "the bottom\n");
  run("zip -q level1.zip level0.txt");
  for (int i = 2; i <= 20; ++i) {
    run("zip -q level" + std::to_string(i) + ".zip level" + std::to_string(i - 1) + ".zip");
  }
  auto engine = load();
  ASSERT_TRUE(engine);
  expect_refused(scan(*engine, read_file(work() / "level20.zip")), "limits_exceeded", "20-level zip");
}

TEST_F(EngineTest, RefusesArchiveMemberOverMaxFileSize) {
  write_file(work() / "big.bin", random_bytes(3 << 20, 5));
  run("zip -q -0 big.zip big.bin");
  auto engine = load(ScanLimits{.max_file_bytes = 2 << 20});
  ASSERT_TRUE(engine);
  const auto v = scan(*engine, read_file(work() / "big.zip"));
  EXPECT_FALSE(v.is_clean()) << v.to_string();
  EXPECT_EQ(v.kind, ScanVerdict::Kind::kRefused) << v.to_string();
}

TEST_F(EngineTest, RefusesFileOverMaxFileSize) {
  auto engine = load(ScanLimits{.max_file_bytes = 1 << 20});
  ASSERT_TRUE(engine);
  expect_refused(scan(*engine, random_bytes((1 << 20) + 1, 9)), "too_large", "file over max_file_bytes");
}

TEST_F(EngineTest, RefusesArchiveOverMaxScanSize) {
  for (int i = 0; i < 4; ++i) write_file(work() / ("part" + std::to_string(i)), random_bytes(1 << 20, 20 + i));
  run("zip -q -0 parts.zip part0 part1 part2 part3");
  auto engine = load(ScanLimits{.max_scan_bytes = 2 << 20});
  ASSERT_TRUE(engine);
  expect_refused(scan(*engine, read_file(work() / "parts.zip")), "limits_exceeded", "over max_scan_bytes");
}

TEST_F(EngineTest, RefusesWhenTheScanTimesOut) {
  // Many small members: libclamav checks the time limit between them.
  for (int i = 0; i < 400; ++i) write_file(work() / ("f" + std::to_string(i) + ".txt"), random_bytes(20000, 100 + i));
  run("zip -q many.zip f*.txt");
  auto engine = load(ScanLimits{.max_scan_time = std::chrono::milliseconds(1)});
  ASSERT_TRUE(engine);
  expect_refused(scan(*engine, read_file(work() / "many.zip")), "scan_timeout", "1 ms limit");
}

TEST_F(EngineTest, CorruptDefinitionFileFailsToLoad) {
  write_file(signatures() / "broken.ndb", "this is not:a valid\nsignature line at all\n");
  std::string error;
  EXPECT_FALSE(Engine::load(signatures(), tmp(), {}, error));
  EXPECT_NE(error.find("cannot load"), std::string::npos) << error;
}

TEST_F(EngineTest, NoDefinitionsFailsToLoad) {
  fs::remove(signatures() / kTestSignatureFile);
  std::string error;
  EXPECT_FALSE(Engine::load(signatures(), tmp(), {}, error));
  EXPECT_NE(error.find("no signature databases"), std::string::npos) << error;
}

TEST_F(EngineTest, TamperedObjectIsAnErrorNotAVerdictOnWrongBytes) {
  auto engine = load();
  ASSERT_TRUE(engine);
  test_support::MemoryObject object(tenant_, random_bytes(300000, 4));
  // Flip a bit in the second chunk: the opener authenticated the last chunk at open, not this one.
  object.sealed()[crypto::kObjectHeaderBytes + 70000] ^= 1;
  const auto v = engine->scan(object.opener(), {});
  EXPECT_EQ(v.kind, ScanVerdict::Kind::kError) << v.to_string();
  EXPECT_EQ(v.reason, "integrity");
}

}  // namespace
}  // namespace furoshiki::scanner::testing
