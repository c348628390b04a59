#pragma once
// The signing time and credentials of AWS's published SigV4 test suite
// (tests/aws/sigv4-vectors/), shared by the tests that sign as it does.

#include "aws/credentials.h"
#include "core/clock.h"

namespace heartbeat::aws {

inline constexpr UnixMillis kSuiteTime = 1440938160000;  // 2015-08-30T12:36:00Z
inline const Credentials kSuiteCredentials{"AKIDEXAMPLE",
                                           "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};

}  // namespace heartbeat::aws
