// Self-signed TLS certificates for development instances (`furoshiki init`).
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace furoshiki::crypto {

struct CertificateAndKey {
  std::string certificate_pem;
  std::string private_key_pem;  // PKCS#8; secret
};

// An ECDSA P-256 key and a self-signed X.509 v3 certificate for `hostnames` (the first is the
// subject CN; all become DNS subjectAltNames; "localhost" also gets IP SANs 127.0.0.1 and ::1).
// Serial number is 128 random bits. Throws std::runtime_error on OpenSSL failure.
CertificateAndKey make_self_signed_certificate(const std::vector<std::string>& hostnames, std::chrono::days validity);

}  // namespace furoshiki::crypto
