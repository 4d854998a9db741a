#include "runtime/node/spawn_setup.hpp"

#include <signal.h>

#include <initializer_list>

namespace pact::node {

void init_child_attr(posix_spawnattr_t* attr) {
  posix_spawnattr_init(attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(attr, &none);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT})
    sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(attr, &defaults);
  posix_spawnattr_setpgroup(attr, 0);
  posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK
                                   | POSIX_SPAWN_SETSIGDEF);
}

} // namespace pact::node
