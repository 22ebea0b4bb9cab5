// vigil: the command line. Each subcommand registers itself (cli.h).
#include <spdlog/spdlog.h>

#include "cli.h"

int main(int argc, char** argv) {
  CLI::App app{"Vigil: a runtime security sensor for Linux workloads"};
  app.require_subcommand(1);

  int exit_code = 0;
  vigil::cli::add_run_command(app, exit_code);
  vigil::cli::add_trace_command(app, exit_code);
  vigil::cli::add_config_command(app, exit_code);

  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
