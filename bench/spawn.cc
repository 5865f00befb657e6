// Runs a command and reports its wall time, CPU time and peak RSS.
//
//   spawn REPORT TIMEOUT_SECONDS CMD [ARGS...]
//
// measure.py cannot take a child's peak RSS from its own wait4(): the
// kernel carries the forking process's high-water mark into the child's
// ru_maxrss at exec, so every child of the Python interpreter looked like it
// used at least Python's ~19 MB. This small process forks the command
// itself, so the figure is the command's own (plus well under 1 MB).
// REPORT gets one line: "wall_seconds maxrss_kb user_seconds system_seconds
// status", status being the exit code, 128+signal, or "timeout".
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace {

pid_t child = 0;

void Stop(int) {
  if (child > 0) kill(child, SIGKILL);
}

double Seconds(const timespec& t) { return t.tv_sec + t.tv_nsec / 1e9; }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: spawn REPORT TIMEOUT_SECONDS CMD [ARGS...]\n");
    return 2;
  }
  const int timeout = std::atoi(argv[2]);
  timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  child = fork();
  if (child < 0) return 2;
  if (child == 0) {
    execvp(argv[3], argv + 3);
    _exit(127);
  }
  bool timed_out = false;
  if (timeout > 0) {
    signal(SIGALRM, Stop);
    alarm(static_cast<unsigned>(timeout));
  }
  int status = 0;
  rusage ru{};
  while (wait4(child, &status, 0, &ru) < 0) {
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (timeout > 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
    timed_out = true;
  FILE* f = std::fopen(argv[1], "w");
  if (!f) return 2;
  const int code = WIFEXITED(status) ? WEXITSTATUS(status)
                                     : 128 + WTERMSIG(status);
  std::fprintf(f, "%.9f %ld %.6f %.6f ", Seconds(t1) - Seconds(t0),
               ru.ru_maxrss, ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
               ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
  if (timed_out)
    std::fprintf(f, "timeout\n");
  else
    std::fprintf(f, "%d\n", code);
  std::fclose(f);
  return 0;
}
