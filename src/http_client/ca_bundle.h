#pragma once
// Where the trusted CA certificates are, when libcurl's built-in default is not there: the
// binary is built on Debian (default /etc/ssl/certs/ca-certificates.crt) and `bootstrap`
// runs it on Amazon Linux 2023 (/etc/pki/tls/certs/ca-bundle.crt), with Debian's libcurl
// bundled in the Lambda zip.

#include <string>
#include <vector>

namespace heartbeat {

// The first of `candidates` that is a readable file, when `builtin_default` is empty or is
// not one; else (the default works, or nothing better exists) empty.
std::string PickCaBundle(const std::string& builtin_default,
                         const std::vector<std::string>& candidates);

// For this process, computed once: SSL_CERT_FILE when set, else PickCaBundle over libcurl's
// built-in default and the usual places of Debian, Amazon Linux / RHEL and others. Empty:
// keep libcurl's default. Thread-safe.
const std::string& CaBundleOverride();

}  // namespace heartbeat
