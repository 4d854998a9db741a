#include "runtime/policy/roles.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace pact::policy;
using kind = role::kind;

TEST_CASE("parse_role recognises the five pact group forms") {
  CHECK(parse_role("pact-platform-admin") == role{kind::platform_admin, ""});
  CHECK(parse_role("pact-service-ai") == role{kind::service_ai, ""});
  CHECK(parse_role("pact-ops-ml") == role{kind::ops, "ml"});
  CHECK(parse_role("pact-viewer-bio") == role{kind::viewer, "bio"});
  CHECK(parse_role("pact-regulated-hipaa") == role{kind::regulated, "hipaa"});
  // vCluster names may themselves contain dashes, dots and underscores.
  CHECK(parse_role("pact-ops-ml-training.v2_a")
        == role{kind::ops, "ml-training.v2_a"});
}

TEST_CASE("parse_role ignores groups it does not know") {
  for (const char* group :
       {"", "admins", "pact", "pact-ops-", "pact-viewer-", "pact-regulated-",
        "pact-ops", "PACT-PLATFORM-ADMIN", "pact-platform-admin ",
        "xpact-ops-ml", "pact-platform-admin-ml", "pact-service-ai-x",
        "pact-ops-a/b", "pact-ops-a b", "pact-admin-ml"}) {
    CAPTURE(group);
    CHECK_FALSE(parse_role(group));
  }
}

TEST_CASE("parse_roles keeps known roles in order") {
  std::vector<std::string> groups{"staff", "pact-viewer-bio", "wheel",
                                  "pact-ops-ml"};
  std::vector<role> expected{{kind::viewer, "bio"}, {kind::ops, "ml"}};
  CHECK(parse_roles(groups) == expected);
  CHECK(parse_roles({}).empty());
}

namespace {

struct access_row {
  const char* group;
  const char* vcluster;
  bool read;
  bool write;
};

// The RBAC floor of DESIGN.md §5, one row per (role, scope).
const access_row access_table[] = {
  // platform admin: everything.
  {"pact-platform-admin", "ml", true, true},
  {"pact-platform-admin", "bio", true, true},
  {"pact-platform-admin", "", true, true},
  // ops: read and write their own vCluster only.
  {"pact-ops-ml", "ml", true, true},
  {"pact-ops-ml", "bio", false, false},
  {"pact-ops-ml", "", true, false},
  // regulated: like ops (approval is the policy layer's job).
  {"pact-regulated-hipaa", "hipaa", true, true},
  {"pact-regulated-hipaa", "ml", false, false},
  {"pact-regulated-hipaa", "", true, false},
  // viewer: read their own vCluster only.
  {"pact-viewer-bio", "bio", true, false},
  {"pact-viewer-bio", "ml", false, false},
  {"pact-viewer-bio", "", true, false},
  // service AI: read everything, write nothing.
  {"pact-service-ai", "ml", true, false},
  {"pact-service-ai", "bio", true, false},
  {"pact-service-ai", "", true, false},
  // unknown groups grant nothing.
  {"developers", "ml", false, false},
  {"developers", "", false, false},
};

} // namespace

TEST_CASE("can_read and can_write follow the built-in RBAC table") {
  for (const auto& row : access_table) {
    CAPTURE(row.group);
    CAPTURE(row.vcluster);
    auto roles = parse_roles({row.group});
    CHECK(can_read(roles, row.vcluster) == row.read);
    CHECK(can_write(roles, row.vcluster) == row.write);
  }
}

TEST_CASE("no roles means no access") {
  CHECK_FALSE(can_read({}, ""));
  CHECK_FALSE(can_read({}, "ml"));
  CHECK_FALSE(can_write({}, ""));
  CHECK_FALSE(can_write({}, "ml"));
}

TEST_CASE("access is the union of all roles held") {
  auto roles = parse_roles({"pact-viewer-bio", "pact-ops-ml"});
  CHECK(can_read(roles, "bio"));
  CHECK_FALSE(can_write(roles, "bio"));
  CHECK(can_read(roles, "ml"));
  CHECK(can_write(roles, "ml"));
  CHECK_FALSE(can_read(roles, "chem"));
  // A vCluster name must match exactly, not by prefix.
  CHECK_FALSE(can_read(roles, "ml2"));
  CHECK_FALSE(can_write(roles, "m"));
}
