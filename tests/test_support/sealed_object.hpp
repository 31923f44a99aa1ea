// Encrypted objects for tests of code that reads through crypto::ObjectOpener (the scanner, later
// the download path): plaintext in, a ready opener out, in memory. Objects in files go through
// storage::ObjectFileSink and storage::ObjectFileSource (storage/object_store.hpp).
#pragma once

#include "crypto/hex.hpp"
#include "crypto/object_format.hpp"
#include "test_support/crypto_context.hpp"

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace furoshiki::test_support {

// The tenant a test object belongs to: a fresh random tenant key.
class TestTenant {
 public:
  TestTenant() : ctx_(test_crypto_context()), key_(crypto::SecretKey::random(*ctx_)) {
    ref_ = {"00000000000000000000000000000001", random_id(), 1};
  }
  std::string random_id() const {
    std::array<std::uint8_t, 16> raw{};
    ctx_->random_bytes(raw);
    return crypto::hex16_encode(raw);
  }
  crypto::TenantKeyLookup lookup() const {
    return
        [this](const std::string& key_id, std::uint32_t version, crypto::SecretKey& out) -> boost::system::error_code {
          if (key_id != ref_.key_id || version != ref_.version) return crypto::CryptoErrc::kUnknownKey;
          out = key_;
          return {};
        };
  }
  const std::shared_ptr<crypto::CryptoContext>& ctx() const { return ctx_; }
  const crypto::SecretKey& key() const { return key_; }
  const crypto::TenantKeyRef& ref() const { return ref_; }

 private:
  std::shared_ptr<crypto::CryptoContext> ctx_;
  crypto::SecretKey key_;
  crypto::TenantKeyRef ref_;
};

// An object sealed in memory, with its opener.
class MemoryObject {
 public:
  MemoryObject(const TestTenant& tenant, std::string_view plaintext) : id_(tenant.random_id()) {
    crypto::VectorSink sink;
    crypto::ObjectSealer sealer(tenant.ctx(), tenant.key(), tenant.ref(), id_, sink);
    const auto* p = reinterpret_cast<const std::uint8_t*>(plaintext.data());
    if (sealer.status() || sealer.append({p, plaintext.size()}) || sealer.finish()) {
      throw std::runtime_error("sealing the test object failed");
    }
    sealed_ = std::move(sink.bytes);
    source_ = std::make_unique<crypto::SpanSource>(sealed_);
    if (auto ec =
            crypto::ObjectOpener::open(tenant.ctx(), *source_, tenant.ref().org_id, id_, tenant.lookup(), opener_)) {
      throw std::runtime_error("opening the test object failed: " + ec.message());
    }
  }
  crypto::ObjectOpener& opener() { return *opener_; }
  std::vector<std::uint8_t>& sealed() { return sealed_; }
  const std::string& id() const { return id_; }

 private:
  std::string id_;
  std::vector<std::uint8_t> sealed_;
  std::unique_ptr<crypto::SpanSource> source_;
  std::unique_ptr<crypto::ObjectOpener> opener_;
};

}  // namespace furoshiki::test_support
