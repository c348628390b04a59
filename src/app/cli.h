#pragma once

namespace heartbeat::app {

// The `heartbeat` command line: parses flags over environment variables over defaults and
// runs the command. Returns the exit code.
int Main(int argc, char** argv);

}  // namespace heartbeat::app
