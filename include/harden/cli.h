// The command line: options in, exit code out. The only module that includes
// CLI11, and the edge where library exceptions are caught.
#ifndef HARDEN_CLI_H_
#define HARDEN_CLI_H_

#include <iosfwd>

namespace harden {

enum ExitCode {
  kExitOk = 0,           ///< nothing to do, or done
  kExitWouldChange = 1,  ///< --check: a file would change (or, under a
                         ///< baseline with fail_on_findings, has findings)
  kExitError = 2,        ///< usage error, or a file could not be processed
};

/// Runs harden with these arguments; returns the exit code. Reads standard
/// input only for the path "-".
int RunCli(int argc, const char* const* argv, std::ostream& out,
           std::ostream& err);

}  // namespace harden

#endif  // HARDEN_CLI_H_
