// File display names: NFC, dangerous characters replaced, bad input refused.
#include "admin/file_names.hpp"

#include <gtest/gtest.h>

namespace furoshiki::admin {
namespace {

TEST(FileNamesTest, KeepsAnOrdinaryName) { EXPECT_EQ(normalize_file_name("report 2026.pdf"), "report 2026.pdf"); }

TEST(FileNamesTest, KeepsJapaneseAndEmoji) { EXPECT_EQ(normalize_file_name("見積書 📄.xlsx"), "見積書 📄.xlsx"); }

TEST(FileNamesTest, NormalizesToNfc) {
  // "e" + COMBINING ACUTE ACCENT becomes the precomposed "é".
  EXPECT_EQ(normalize_file_name("cafe\xcc\x81.txt"), "caf\xc3\xa9.txt");
}

TEST(FileNamesTest, ReplacesPathSeparators) {
  EXPECT_EQ(normalize_file_name("../../etc/passwd"), ".._.._etc_passwd");
  EXPECT_EQ(normalize_file_name("..\\windows\\system32"), ".._windows_system32");
}

TEST(FileNamesTest, ReplacesControlCharacters) {
  EXPECT_EQ(normalize_file_name("a\r\nSet-Cookie: x=1"), "a__Set-Cookie: x=1");
  EXPECT_EQ(normalize_file_name(std::string("a\0b", 3)), "a_b");
  EXPECT_EQ(normalize_file_name("tab\there\x7f"), "tab_here_");
  EXPECT_EQ(normalize_file_name("c1\xc2\x85x"), "c1_x");  // U+0085 NEXT LINE
}

TEST(FileNamesTest, ReplacesBidirectionalOverrides) {
  // "invoice" RLO "fdp.exe": would display as "invoiceexe.pdf".
  EXPECT_EQ(normalize_file_name("invoice\xe2\x80\xae"
                                "fdp.exe"),
            "invoice_fdp.exe");
  EXPECT_EQ(normalize_file_name("a\xe2\x81\xa6"
                                "b"),
            "a_b");  // U+2066 LEFT-TO-RIGHT ISOLATE
}

TEST(FileNamesTest, DotNamesBecomeUnderscore) {
  EXPECT_EQ(normalize_file_name("."), "_");
  EXPECT_EQ(normalize_file_name(".."), "_");
  EXPECT_EQ(normalize_file_name(" .. "), "_");
}

TEST(FileNamesTest, TrimsSpaces) { EXPECT_EQ(normalize_file_name("  a.txt  "), "a.txt"); }

TEST(FileNamesTest, RefusesEmptyNames) {
  EXPECT_FALSE(normalize_file_name(""));
  EXPECT_FALSE(normalize_file_name("   "));
}

TEST(FileNamesTest, RefusesInvalidUtf8) {
  EXPECT_FALSE(normalize_file_name("a\xff.txt"));
  EXPECT_FALSE(normalize_file_name("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(normalize_file_name("\xed\xa0\x80.txt"));  // a UTF-16 surrogate
  EXPECT_FALSE(normalize_file_name("a\xe3\x81"));         // truncated
}

TEST(FileNamesTest, LimitsTheLength) {
  EXPECT_EQ(normalize_file_name(std::string(kMaxFileNameBytes, 'a'))->size(), kMaxFileNameBytes);
  EXPECT_FALSE(normalize_file_name(std::string(kMaxFileNameBytes + 1, 'a')));
  // 85 three-byte characters are 255 bytes; 86 are too many.
  std::string kana;
  for (int i = 0; i < 86; ++i) kana += "あ";
  EXPECT_FALSE(normalize_file_name(kana));
  EXPECT_TRUE(normalize_file_name(kana.substr(3)));
}

}  // namespace
}  // namespace furoshiki::admin
