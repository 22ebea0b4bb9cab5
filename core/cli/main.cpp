// vigil: the command line. Each subcommand registers itself (cli.h).
#include <fmt/format.h>
#include <mimalloc.h>

#include <cstdlib>

#include "cli.h"
#include "vigil_event.h"

namespace {

// mimalloc replaces malloc by being linked before libc; check that it did.
std::string version_text() {
  void* p = std::malloc(64);
  const bool redirected = mi_is_in_heap_region(p);
  std::free(p);
  return fmt::format("vigil {} (event ABI {}; allocator mimalloc {}.{}.{}, malloc redirected: {})",
                     VIGIL_VERSION, VIGIL_ABI_VERSION, mi_version() / 100, mi_version() / 10 % 10,
                     mi_version() % 10, redirected ? "yes" : "no");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Vigil: a runtime security sensor for Linux workloads"};
  app.set_version_flag("--version", version_text());
  app.require_subcommand(1);

  int exit_code = 0;
  vigil::cli::add_run_command(app, exit_code);
  vigil::cli::add_trace_command(app, exit_code);
  vigil::cli::add_config_command(app, exit_code);

  // Every usage error exits 2, as a bad rule or config does; --help and
  // --version exit 0.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return exit_code;
}
