#include "harden/resolver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace harden {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Facts for tests, independent of the shipped images.yaml.
const ImageFacts& TestImages() {
  static const ImageFacts facts = ImageFacts::Parse(R"(
version: 1
images:
  - name: postgres
    match: [postgres]
    source: "test source"
    user: "999:999"
    tmpfs: [/var/run/postgresql]
    variants:
      - tag_contains: alpine
        user: "70:70"
  - name: nginx
    match: [nginx]
    source: "nginx source"
    user: "101:101"
    root_caps: [CHOWN, SETUID, SETGID]
    tmpfs: [/var/cache/nginx, /run]
    root_owned: [/var/cache/nginx, /run]
    low_ports: [80]
    variants:
      - tag_contains: on-8080
        low_ports: []
  - name: grafana
    match: [grafana/grafana, grafana]
    source: "grafana source"
    image_user: true
  - name: caddy
    match: [caddy]
    source: "caddy source"
    caps: [NET_BIND_SERVICE]
  - name: rootonly
    match: [example/root-only]
    source: "root-only source"
    root: true
    low_ports: [80, 443]
  - name: bitnami
    match: ["bitnami/*"]
    source: "bitnami source"
    image_user: true
  - name: warned
    match: [example/warned]
    source: "warned source"
    warnings:
      - "always"
      - as_user: "as a user"
      - as_root: "as root"
      - read_only: "read-only"
  - name: warned-own
    match: [example/warned-own]
    source: "warned-own source"
    image_user: true
    warnings:
      - as_user: "as its own user"
      - as_root: "as root"
)", "test-images.yaml").value();
  return facts;
}

Baseline Default() { return LoadBaseline("default").value(); }

const Decision* Find(const ServicePlan& p, const std::string& key,
                     Action action) {
  for (const Decision& d : p.decisions)
    if (d.key == key && d.action == action) return &d;
  return nullptr;
}

std::vector<std::string> Added(const ServicePlan& p, const std::string& key) {
  std::vector<std::string> out;
  for (const Decision& d : p.decisions)
    if (d.key == key && d.action == Action::kAdd)
      out.insert(out.end(), d.values.begin(), d.values.end());
  return out;
}

bool HasFinding(const ServicePlan& p, const std::string& id) {
  for (const Finding& f : p.findings)
    if (f.id == id) return true;
  return false;
}

ServiceFacts Facts(const std::string& image) {
  ServiceFacts f;
  f.name = "svc";
  f.line = 2;
  if (!image.empty()) f.image = Located{image, 3};
  return f;
}

TEST(ResolverTest, PlainBaselineForAnUnknownImage) {
  ServicePlan p = Resolve(Facts("example/app"), Default(), TestImages());
  EXPECT_THAT(Added(p, "user"), ElementsAre("1000:1000"));
  EXPECT_THAT(Added(p, "cap_drop"), ElementsAre("ALL"));
  EXPECT_THAT(Added(p, "security_opt"), ElementsAre("no-new-privileges:true"));
  EXPECT_THAT(Added(p, "read_only"), ElementsAre("true"));
  EXPECT_THAT(Added(p, "tmpfs"), ElementsAre("/tmp"));
  EXPECT_TRUE(Added(p, "cap_add").empty());
}

// A service the base file also defines is hardened there, for the merged
// service: its override file adds nothing and reports nothing.
TEST(ResolverTest, ServiceHardenedInTheBaseFileGetsNothingHere) {
  ServiceFacts f = Facts("nginx");
  f.privileged = Located{"true", 4};
  f.hardened_in = "compose.yaml";
  ServicePlan p = Resolve(f, Default(), TestImages());
  ASSERT_EQ(1u, p.decisions.size());
  EXPECT_EQ("all", p.decisions[0].key);
  EXPECT_EQ(Action::kSkip, p.decisions[0].action);
  EXPECT_EQ("hardened in compose.yaml, which docker compose merges this file "
            "into by default",
            p.decisions[0].reason);
  EXPECT_TRUE(p.findings.empty());
  EXPECT_FALSE(p.HasAdditions());
}

// A service that mounts the volumes of a container (volumes_from:
// [container:NAME]) may have one where harden adds a tmpfs; harden cannot
// see that container, and says so where it adds one.
TEST(ResolverTest, VolumesFromAContainerIsAdviceWhereATmpfsIsAdded) {
  ServiceFacts f = Facts("example/app");
  f.volumes_from_containers = {Located{"legacy-data", 7}};
  ServicePlan p = Resolve(f, Default(), TestImages());
  EXPECT_THAT(Added(p, "tmpfs"), ElementsAre("/tmp"));
  ASSERT_EQ(1u, p.findings.size());
  EXPECT_EQ("volumes-from-container", p.findings[0].id);
  EXPECT_EQ(7, p.findings[0].line);
  EXPECT_EQ("mounts the volumes of container \"legacy-data\" "
            "(volumes_from), which harden cannot see: check that none of "
            "them is at /tmp, where a tmpfs is added",
            p.findings[0].message);
  EXPECT_TRUE(IsAdvice(p.findings[0]));

  f.skip = {"tmpfs"};  // no tmpfs added: nothing to check
  p = Resolve(f, Default(), TestImages());
  for (const Finding& finding : p.findings)
    EXPECT_NE("volumes-from-container", finding.id);
}

// harden could not read the file a service extends: it says so, as advice
// that never fails a --check, and hardens the rest as usual.
TEST(ResolverTest, ExtendingAnotherFileIsAdvice) {
  ServiceFacts f = Facts("example/app");
  f.extends_file = Located{"service \"web\" of common.yaml", 5};
  ServicePlan p = Resolve(f, Default(), TestImages());
  ASSERT_EQ(1u, p.findings.size());
  EXPECT_EQ("extends-file", p.findings[0].id);
  EXPECT_EQ(5, p.findings[0].line);
  EXPECT_EQ("extends service \"web\" of common.yaml, which harden could not "
            "read: check that what it sets there (a user, mounts, read_only) "
            "agrees with what is added here",
            p.findings[0].message);
  EXPECT_TRUE(IsAdvice(p.findings[0]));
  EXPECT_THAT(Added(p, "user"), ElementsAre("1000:1000"));
}

TEST(ResolverTest, ExplicitUserIsKeptEvenRoot) {
  ServiceFacts f = Facts("example/app");
  f.user = Located{"root", 5};
  ServicePlan p = Resolve(f, Default(), TestImages());
  const Decision* d = Find(p, "user", Action::kKeep);
  ASSERT_TRUE(d);
  EXPECT_EQ(5, d->line);
  EXPECT_TRUE(Added(p, "user").empty());
  EXPECT_TRUE(HasFinding(p, "runs-as-root"));
}

// Root with an image harden does not know gets no capability back on a
// guess; the reason for cap_drop says what such an entrypoint may need.
// Only where root is certain: the baseline's user, a known image, or no
// user in the baseline (root assumed) get the plain reason.
TEST(ResolverTest, RootWithAnUnknownImageIsToldWhatItsEntrypointMayNeed) {
  const std::string hint =
      ": as root, with an image harden does not know, that may be CHOWN, "
      "SETUID and SETGID for an entrypoint that changes owners or switches "
      "user";
  auto reason = [](const ServiceFacts& f, const Baseline& b) {
    const ServicePlan p = Resolve(f, b, TestImages());
    const Decision* d = Find(p, "cap_drop", Action::kAdd);
    return d ? std::string(d->reason) : "(none)";
  };
  const std::string plain =
      "drop every capability; cap_add gives back what the service needs";
  ServiceFacts root = Facts("example/app");
  root.user = Located{"0:0", 5};
  EXPECT_EQ(plain + hint, reason(root, Default()));
  ServiceFacts vpn = Facts("example/vpn");
  vpn.cap_add = {{"NET_ADMIN", 5}};
  EXPECT_EQ(plain + hint, reason(vpn, Default()));
  EXPECT_TRUE(Added(Resolve(vpn, Default(), TestImages()), "cap_add").empty());

  EXPECT_EQ(plain, reason(Facts("example/app"), Default()));
  ServiceFacts db = Facts("postgres:17");
  db.user = Located{"root", 5};
  EXPECT_EQ(plain, reason(db, Default()));
  Baseline no_user = Default();
  no_user.user.reset();
  EXPECT_EQ(plain, reason(Facts("example/app"), no_user));
  // The hint goes with harden's cap_drop ALL, not with the service's own.
  ServiceFacts own = root;
  own.cap_drop = {{"NET_RAW", 6}};
  EXPECT_EQ(plain + hint, reason(own, Default()));
  own.cap_drop = {{"ALL", 6}};
  EXPECT_EQ("(none)", reason(own, Default()));
}

// What a service inherits through `extends` is an explicit choice too, and
// the reason names where it was made.
TEST(ResolverTest, ChoicesOfTheExtendedServiceAreKeptAndNamed) {
  ServiceFacts f = Facts("example/app");
  f.extended = "service \"base\"";
  f.user = Located{"root", 5, /*inherited=*/true};
  f.read_only = Located{"false", 6, /*inherited=*/true};
  f.volume_targets = {{"/tmp", 8, /*inherited=*/true}};
  ServicePlan p = Resolve(f, Default(), TestImages());
  const Decision* user = Find(p, "user", Action::kKeep);
  ASSERT_TRUE(user);
  EXPECT_EQ("service \"base\", which this one extends, sets user \"root\" "
            "explicitly",
            user->reason);
  EXPECT_EQ(5, user->line);
  const Decision* ro = Find(p, "read_only", Action::kKeep);
  ASSERT_TRUE(ro);
  EXPECT_EQ("service \"base\", which this one extends, sets read_only: false "
            "explicitly",
            ro->reason);
  const Decision* tmp = Find(p, "tmpfs", Action::kSkip);
  ASSERT_TRUE(tmp);
  EXPECT_EQ("a volume of service \"base\", which this one extends, already "
            "mounts /tmp",
            tmp->reason);
  EXPECT_TRUE(Added(p, "user").empty());
  EXPECT_TRUE(Added(p, "read_only").empty());
  EXPECT_TRUE(Added(p, "tmpfs").empty());
}

// The facts of a service that extends `base` (example/app) after harden
// hardened it with the default baseline.
ServiceFacts ExtenderOfHardenedBase(const std::string& image) {
  ServiceFacts base = Facts("example/app");
  base.name = "base";
  AddGains(Resolve(base, Default(), TestImages()), &base);
  ServiceFacts own = Facts(image);
  own.name = "web";
  own.line = 9;
  if (image.empty()) own.image.reset();
  return ExtendFacts(base, own);
}

// Each service carries its own hardening, written out, even where it would
// inherit the same from the service it extends: it reads as hardened on its
// own. Only a tmpfs is not mounted twice.
TEST(ResolverTest, AnExtenderIsHardenedOnItsOwnButGetsNoSecondTmpfs) {
  ServicePlan p = Resolve(ExtenderOfHardenedBase(""), Default(), TestImages());
  EXPECT_THAT(Added(p, "user"), ElementsAre("1000:1000"));
  EXPECT_THAT(Added(p, "cap_drop"), ElementsAre("ALL"));
  EXPECT_THAT(Added(p, "security_opt"), ElementsAre("no-new-privileges:true"));
  EXPECT_THAT(Added(p, "read_only"), ElementsAre("true"));
  EXPECT_TRUE(Added(p, "tmpfs").empty());
  const Decision* tmp = Find(p, "tmpfs", Action::kSkip);
  ASSERT_TRUE(tmp);
  EXPECT_EQ("service \"base\", which this one extends, already mounts /tmp",
            tmp->reason);
  EXPECT_TRUE(p.findings.empty());
}

// An image of its own brings its own needs.
TEST(ResolverTest, AnExtenderWithItsOwnImageGetsWhatThatImageNeeds) {
  ServicePlan p =
      Resolve(ExtenderOfHardenedBase("postgres:16"), Default(), TestImages());
  EXPECT_THAT(Added(p, "user"), ElementsAre("999:999"));
  EXPECT_THAT(Added(p, "tmpfs"), ElementsAre("/var/run/postgresql"));
}

// A tmpfs that harden gives the extended service, where the extender mounts
// a volume of its own: Docker would refuse the pair, so harden says so.
TEST(ResolverTest, AnInheritedTmpfsOverAnOwnVolumeIsAFinding) {
  ServiceFacts f = ExtenderOfHardenedBase("");
  f.volume_targets = {{"/tmp", 12}};
  ServicePlan p = Resolve(f, Default(), TestImages());
  ASSERT_EQ(1u, p.findings.size());
  EXPECT_EQ("inherits the tmpfs /tmp that harden adds to service \"base\", "
            "which it extends, though a volume of its own mounts /tmp (line "
            "12); skip it for service \"base\" too (x-harden) or set it "
            "here",
            p.findings[0].message);
}

// An image that must start as root would inherit the extended service's
// user: harden sets root's uid explicitly, so that the stack still starts.
// An extender that must run as root would inherit the user harden adds to
// the service it extends: it sets root explicitly, and says why.
TEST(ResolverTest, AnExtenderThatMustRunAsRootSetsItExplicitly) {
  struct Case {
    const char* image;
    void (*own)(ServiceFacts*);
    const char* why;
  } cases[] = {
      {"example/root-only", [](ServiceFacts*) {},
       "image rootonly must start as root"},
      {"example/app", [](ServiceFacts* f) { f->cap_add = {{"NET_ADMIN", 10}}; },
       "it adds NET_ADMIN, which only a root process holds"},
      {"example/app",
       [](ServiceFacts* f) { f->privileged = Located{"true", 10}; },
       "it is privileged (its capabilities reach only a root process)"},
      {"nginx",
       [](ServiceFacts* f) { f->network_mode = Located{"host", 10}; },
       "image nginx must run as root to listen on port 80 in the host's "
       "network"},
      {"example/app",
       [](ServiceFacts* f) {
         f->volume_sources = {{"/var/run/docker.sock", 10}};
       },
       "it mounts the Docker socket (/var/run/docker.sock), which only root "
       "and the host's docker group may use"},
  };
  for (const Case& c : cases) {
    ServiceFacts f = ExtenderOfHardenedBase(c.image);
    c.own(&f);
    ServicePlan p = Resolve(f, Default(), TestImages());
    EXPECT_THAT(Added(p, "user"), ElementsAre("0:0")) << c.why;
    EXPECT_EQ(std::string(c.why) +
                  ", and would otherwise inherit the user \"1000:1000\" that "
                  "harden adds to service \"base\"",
              Find(p, "user", Action::kAdd)->reason);
    if (std::string(c.image) == "nginx")
      EXPECT_THAT(Added(p, "cap_add"),
                  ElementsAre("CHOWN", "SETUID", "SETGID", "NET_BIND_SERVICE"));
  }
}

// What harden cannot take away in the extender, it reports: an image with
// a user of its own, an x-harden skip, an opt-out.
TEST(ResolverTest, InheritedHardeningTheExtenderOptsOutOfIsAFinding) {
  ServicePlan own_user = Resolve(ExtenderOfHardenedBase("bitnami/redis:7.2"),
                                 Default(), TestImages());
  EXPECT_TRUE(Added(own_user, "user").empty());
  ASSERT_EQ(1u, own_user.findings.size());
  EXPECT_EQ("inherited-hardening", own_user.findings[0].id);
  EXPECT_EQ(9, own_user.findings[0].line);
  EXPECT_EQ("inherits the user \"1000:1000\" that harden adds to service "
            "\"base\", which it extends, though image bitnami already runs as "
            "its own non-root user; another would not own its files; skip it "
            "for service \"base\" too (x-harden) or set it here",
            own_user.findings[0].message);
  EXPECT_FALSE(IsAdvice(own_user.findings[0]));

  ServiceFacts skip = ExtenderOfHardenedBase("");
  skip.skip = {"read_only"};
  ServicePlan p = Resolve(skip, Default(), TestImages());
  EXPECT_TRUE(HasFinding(p, "inherited-hardening"));

  ServiceFacts off = ExtenderOfHardenedBase("");
  off.opt_out = true;
  p = Resolve(off, Default(), TestImages());
  ASSERT_EQ(2u, p.findings.size());
  EXPECT_EQ("inherits the user \"1000:1000\", cap_drop ALL, security_opt "
            "no-new-privileges:true, read_only: true, tmpfs /tmp that harden "
            "adds to service \"base\", which it extends, though it opts out "
            "with x-harden: false; skip it for service \"base\" too (x-harden) "
            "or set it here",
            p.findings[1].message);
}

TEST(ResolverTest, ReadOnlyFalseAndNnpFalseAreKept) {
  ServiceFacts f = Facts("example/app");
  f.read_only = Located{"false", 4};
  f.security_opt = {{"no-new-privileges:false", 6}};
  ServicePlan p = Resolve(f, Default(), TestImages());
  EXPECT_TRUE(Added(p, "read_only").empty());
  EXPECT_TRUE(Added(p, "security_opt").empty());
  EXPECT_TRUE(HasFinding(p, "read-only-disabled"));
  EXPECT_TRUE(HasFinding(p, "nnp-disabled"));
}

TEST(ResolverTest, EveryNnpSpellingCounts) {
  for (const char* s : {"no-new-privileges", "no-new-privileges:true",
                        "no-new-privileges=true"}) {
    ServiceFacts f = Facts("example/app");
    f.security_opt = {{s, 6}};
    ServicePlan p = Resolve(f, Default(), TestImages());
    EXPECT_TRUE(Added(p, "security_opt").empty()) << s;
  }
}

TEST(ResolverTest, CapabilityNamesFollowDockerSemantics) {
  ServiceFacts f = Facts("example/app");
  f.cap_drop = {{"cap_all", 4}};  // not a capability: ALL is still added
  ServicePlan p = Resolve(f, Default(), TestImages());
  EXPECT_THAT(Added(p, "cap_drop"), ElementsAre("ALL"));
  f.cap_drop = {{"all", 4}};
  p = Resolve(f, Default(), TestImages());
  EXPECT_TRUE(Added(p, "cap_drop").empty());
  EXPECT_EQ("SYS_ADMIN", NormalizeCapability("cap_sys_admin"));
  EXPECT_EQ("NET_RAW", NormalizeCapability("NET_RAW"));
}

// A privileged container gets every capability, which reach only a root
// process, and Docker ignores its cap_drop and cap_add: a user would break
// it (an eBPF agent, Docker in Docker), capabilities added back would do
// nothing, a read-only root it could remount. cap_drop ALL stays, for the
// day privileged goes.
TEST(ResolverTest, PrivilegedKeepsRootAndGetsNoCapabilitiesBack) {
  ServiceFacts f = Facts("nginx");
  f.privileged = Located{"true", 7};
  f.cap_add = {{"SYS_ADMIN", 8}};
  ServicePlan p = Resolve(f, Default(), TestImages());
  ASSERT_TRUE(HasFinding(p, "privileged"));
  EXPECT_TRUE(Added(p, "user").empty());
  EXPECT_EQ("privileged: true gives the service every capability, which only "
            "a root process holds; harden adds no user",
            Find(p, "user", Action::kSkip)->reason);
  EXPECT_THAT(Added(p, "cap_drop"), ElementsAre("ALL"));
  EXPECT_EQ("drop every capability: no effect while the service is "
            "privileged (Docker then gives it every one), in force once "
            "privileged: true goes",
            Find(p, "cap_drop", Action::kAdd)->reason);
  EXPECT_TRUE(Added(p, "cap_add").empty());  // not nginx's CHOWN, SETUID…
  EXPECT_TRUE(Find(p, "cap_add", Action::kKeep));  // SYS_ADMIN, reported
  EXPECT_THAT(Added(p, "security_opt"), ElementsAre("no-new-privileges:true"));
  // A read-only root it could remount would only break it.
  EXPECT_TRUE(Added(p, "read_only").empty());
  EXPECT_EQ(7, Find(p, "read_only", Action::kSkip)->line);
  EXPECT_THAT(Added(p, "tmpfs"), ElementsAre("/tmp"));

  // An explicit user still wins; "false" or a variable is not privileged.
  f.user = Located{"1000", 9};
  EXPECT_TRUE(Find(Resolve(f, Default(), TestImages()), "user", Action::kKeep));
  for (const char* v : {"false", "${PRIVILEGED:-true}"}) {
    ServiceFacts g = Facts("example/app");
    g.privileged = Located{v, 7};
    p = Resolve(g, Default(), TestImages());
    EXPECT_THAT(Added(p, "user"), ElementsAre("1000:1000")) << v;
    EXPECT_THAT(Added(p, "cap_drop"), ElementsAre("ALL")) << v;
    EXPECT_THAT(Added(p, "read_only"), ElementsAre("true")) << v;
  }
}

// Docker gives a process of a non-root uid no ambient capabilities: a
// user would take what the service adds away (a VPN's NET_ADMIN). An image
// of unknown make runs as root, so harden keeps it there.
TEST(ResolverTest, CapabilitiesTheServiceAddsKeepAnUnknownImageRoot) {
  ServiceFacts f = Facts("example/vpn");
  f.cap_add = {{"NET_ADMIN", 5}, {"cap_sys_module", 6}};
  ServicePlan p = Resolve(f, Default(), TestImages());
  EXPECT_TRUE(Added(p, "user").empty());
  const Decision* skip = Find(p, "user", Action::kSkip);
  ASSERT_TRUE(skip);
  EXPECT_EQ("the service adds NET_ADMIN, cap_sys_module (cap_add), which only "
            "a root process holds: under a user it would have none; harden "
            "adds no user",
            skip->reason);
  EXPECT_EQ(5, skip->line);
  EXPECT_THAT(Added(p, "cap_drop"), ElementsAre("ALL"));
  ASSERT_EQ(1u, p.findings.size());
  EXPECT_EQ("the service runs as root: it adds NET_ADMIN, cap_sys_module, "
            "which only a root process holds",
            p.findings[0].message);

  // NET_BIND_SERVICE is needless in a network of the container's own, and
  // a capability from a variable is not known: the baseline's user.
  for (const char* cap : {"NET_BIND_SERVICE", "${EXTRA_CAP}"}) {
    ServiceFacts g = Facts("example/web");
    g.cap_add = {{cap, 5}};
    EXPECT_THAT(Added(Resolve(g, Default(), TestImages()), "user"),
                ElementsAre("1000:1000"))
        << cap;
  }
  // In the host's network it binds low ports only as root.
  ServiceFacts host = Facts("example/web");
  host.cap_add = {{"NET_BIND_SERVICE", 5}};
  host.network_mode = Located{"host", 6};
  EXPECT_TRUE(Added(Resolve(host, Default(), TestImages()), "user").empty());

  // An image with an account of its own starts as root and drops to it,
  // capabilities and all: its account, as before.
  ServiceFacts db = Facts("postgres:17");
  db.cap_add = {{"SYS_NICE", 5}};
  EXPECT_THAT(Added(Resolve(db, Default(), TestImages()), "user"),
              ElementsAre("999:999"));
}

TEST(ResolverTest, NeverATmpfsOverAVolume) {
  ServiceFacts f = Facts("example/app");
  f.volume_targets = {{"/tmp", 8}};
  ServicePlan p = Resolve(f, Default(), TestImages());
  EXPECT_TRUE(Added(p, "tmpfs").empty());
  const Decision* d = Find(p, "tmpfs", Action::kSkip);
  ASSERT_TRUE(d);
  EXPECT_EQ("a volume already mounts /tmp", d->reason);
  EXPECT_EQ(8, d->line);
}

// Compose appends a service's tmpfs to those of the services that extend
// it: where one of them mounts a volume, the base gets no tmpfs, and no
// read_only that would need one there.
TEST(ResolverTest, NeverATmpfsOverAVolumeOfAnExtender) {
  ServiceFacts f = Facts("postgres:16");
  f.extender_volumes = {{"db-test", "/var/run/postgresql", 14}};
  ServicePlan p = Resolve(f, Default(), TestImages());
  EXPECT_TRUE(Added(p, "read_only").empty());
  EXPECT_EQ("service \"db-test\", which extends this one, mounts a volume "
            "at /var/run/postgresql (line 14): the tmpfs that a read-only "
            "root would need there cannot be added",
            Find(p, "read_only", Action::kSkip)->reason);
  EXPECT_THAT(Added(p, "tmpfs"), ElementsAre("/tmp"));
  EXPECT_THAT(Added(p, "user"), ElementsAre("999:999"));

  // read_only set by the service itself stays; the tmpfs is not added.
  f.read_only = Located{"true", 5};
  p = Resolve(f, Default(), TestImages());
  EXPECT_THAT(Added(p, "tmpfs"), ElementsAre("/tmp"));
  EXPECT_EQ("service \"db-test\", which extends this one, mounts a volume "
            "at /var/run/postgresql (line 14): it would inherit this tmpfs as "
            "well, and Docker refuses two mounts at one path",
            Find(p, "tmpfs", Action::kSkip)->reason);

  // A volume of the service's own at that path: no conflict to avoid.
  f.read_only.reset();
  f.volume_targets = {{"/var/run/postgresql", 9}};
  p = Resolve(f, Default(), TestImages());
  EXPECT_THAT(Added(p, "read_only"), ElementsAre("true"));
}

TEST(ResolverTest, ExistingTmpfsWithOptionsCounts) {
  ServiceFacts f = Facts("example/app");
  f.tmpfs = {{"/tmp:size=64m", 8}};
  ServicePlan p = Resolve(f, Default(), TestImages());
  EXPECT_TRUE(Added(p, "tmpfs").empty());
}

TEST(ResolverTest, PostgresRunsAsItsOwnAccount) {
  ServicePlan p = Resolve(Facts("postgres:16"), Default(), TestImages());
  EXPECT_THAT(Added(p, "user"), ElementsAre("999:999"));
  EXPECT_THAT(Added(p, "tmpfs"), ElementsAre("/tmp", "/var/run/postgresql"));
  EXPECT_EQ("test source", Find(p, "user", Action::kAdd)->source);
  p = Resolve(Facts("docker.io/library/postgres:16-alpine"), Default(),
              TestImages());
  EXPECT_THAT(Added(p, "user"), ElementsAre("70:70"));
}

// postgres:${PG_VERSION} is postgres whatever the version: without its
// run-time tmpfs the read-only root would stop it. harden says how it read
// the image.
TEST(ResolverTest, AnImageFromVariablesIsReadWithThemUnset) {
  ServicePlan p = Resolve(Facts("postgres:${PG_VERSION}"), Default(), TestImages());
  EXPECT_THAT(Added(p, "user"), ElementsAre("999:999"));
  EXPECT_THAT(Added(p, "tmpfs"), ElementsAre("/tmp", "/var/run/postgresql"));
  ASSERT_EQ(1u, p.findings.size());
  EXPECT_EQ("image \"postgres:${PG_VERSION}\" is read as \"postgres\", any "
            "tag (its variables unset): check that what harden applies for "
            "image postgres holds for the one that runs",
            p.findings[0].message);
  EXPECT_EQ(3, p.findings[0].line);

  p = Resolve(Facts("${DB_IMAGE:-postgres:16-alpine}"), Default(), TestImages());
  EXPECT_THAT(Added(p, "user"), ElementsAre("70:70"));
  p = Resolve(Facts("${DB_IMAGE}"), Default(), TestImages());
  EXPECT_THAT(Added(p, "user"), ElementsAre("1000:1000"));
  EXPECT_TRUE(p.findings.empty());
}

TEST(ResolverTest, NginxTmpfsIsGivenToItsUser) {
  ServicePlan p = Resolve(Facts("nginx:1.27"), Default(), TestImages());
  EXPECT_THAT(Added(p, "user"), ElementsAre("101:101"));
  EXPECT_THAT(Added(p, "tmpfs"),
              ElementsAre("/tmp", "/var/cache/nginx:uid=101,gid=101",
                          "/run:uid=101,gid=101"));
  EXPECT_TRUE(Added(p, "cap_add").empty());
}

TEST(ResolverTest, NginxKeptAsRootGetsItsEntrypointCapabilities) {
  ServiceFacts f = Facts("nginx");
  f.user = Located{"0", 4};
  ServicePlan p = Resolve(f, Default(), TestImages());
  EXPECT_THAT(Added(p, "cap_add"), ElementsAre("CHOWN", "SETUID", "SETGID"));
  EXPECT_THAT(Added(p, "tmpfs"), ElementsAre("/tmp", "/var/cache/nginx", "/run"));
}

TEST(ResolverTest, ImagesWithTheirOwnUserGetNone) {
  for (const char* image : {"grafana/grafana:11.0.0", "bitnami/redis:7.2",
                            "ghcr.io/bitnami/redis@sha256:abcd"}) {
    ServicePlan p = Resolve(Facts(image), Default(), TestImages());
    EXPECT_TRUE(Added(p, "user").empty()) << image;
    EXPECT_TRUE(Find(p, "user", Action::kKeep)) << image;
  }
}

TEST(ResolverTest, CaddyKeepsItsFileCapability) {
  ServicePlan p = Resolve(Facts("caddy:2"), Default(), TestImages());
  EXPECT_THAT(Added(p, "cap_add"), ElementsAre("NET_BIND_SERVICE"));
  ServiceFacts f = Facts("caddy:2");
  f.cap_add = {{"cap_net_bind_service", 5}};
  p = Resolve(f, Default(), TestImages());
  EXPECT_TRUE(Added(p, "cap_add").empty());
}

TEST(ResolverTest, OptOutLeavesTheServiceAlone) {
  ServiceFacts f = Facts("example/app");
  f.opt_out = true;
  ServicePlan p = Resolve(f, Default(), TestImages());
  EXPECT_FALSE(p.HasAdditions());
  EXPECT_TRUE(HasFinding(p, "opt-out"));
}

TEST(ResolverTest, SkipNamesControlsAndCarriesTheReason) {
  ServiceFacts f = Facts("example/app");
  f.skip = {"read_only", "user"};
  f.skip_reason = "writes to /var/lib/app";
  ServicePlan p = Resolve(f, Default(), TestImages());
  EXPECT_TRUE(Added(p, "read_only").empty());
  EXPECT_TRUE(Added(p, "user").empty());
  EXPECT_THAT(Added(p, "cap_drop"), ElementsAre("ALL"));
  const Decision* d = Find(p, "read_only", Action::kSkip);
  ASSERT_TRUE(d);
  EXPECT_EQ("x-harden skips read_only: writes to /var/lib/app", d->reason);
}

TEST(ResolverTest, PreserveMakesDockerDefaultsExplicit) {
  ServiceFacts f = Facts("example/app");
  f.cap_drop = {{"NET_RAW", 4}, {"cap_mknod", 5}};
  f.cap_add = {{"SYS_TIME", 6}};
  ServicePlan p = Resolve(f, LoadBaseline("preserve").value(), TestImages());
  EXPECT_THAT(Added(p, "cap_drop"), ElementsAre("ALL"));
  EXPECT_THAT(Added(p, "cap_add"),
              ElementsAre("CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER",
                          "SETGID", "SETUID", "SETFCAP", "SETPCAP",
                          "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",
                          "AUDIT_WRITE"));
  EXPECT_TRUE(Added(p, "user").empty());
  EXPECT_TRUE(Added(p, "read_only").empty());
}

TEST(ResolverTest, StrictReportsCapabilitiesOutsideItsList) {
  ServiceFacts f = Facts("example/app");
  f.cap_add = {{"SYS_ADMIN", 6}, {"NET_BIND_SERVICE", 7}};
  ServicePlan p = Resolve(f, LoadBaseline("strict").value(), TestImages());
  size_t n = 0;
  for (const Finding& x : p.findings) n += x.id == "cap-add-not-allowed";
  EXPECT_EQ(1u, n);
}

TEST(ResolverTest, HostNamespacesAndSocketsAreFindings) {
  ServiceFacts f = Facts("example/app");
  f.network_mode = Located{"host", 4};
  f.pid = Located{"host", 5};
  f.ipc = Located{"host", 6};
  f.userns_mode = Located{"host", 7};
  f.volume_sources = {{"/var/run/docker.sock", 8}};
  f.security_opt = {{"seccomp=unconfined", 9}, {"apparmor:unconfined", 10},
                    {"label:disable", 11}};
  ServicePlan p = Resolve(f, Default(), TestImages());
  for (const char* id : {"host-network", "host-pid", "host-ipc", "host-userns",
                         "docker-socket", "seccomp-unconfined",
                         "apparmor-unconfined", "label-disable"})
    EXPECT_TRUE(HasFinding(p, id)) << id;
}

// The Docker socket is root's and the docker group's, whose gid only the
// host knows: under the baseline's user a Docker client (portainer,
// nginx-proxy, a cron that runs jobs in other containers) could not reach
// the engine, and with the socket the service is root on the host anyway.
TEST(ResolverTest, TheDockerSocketKeepsRoot) {
  ServiceFacts f = Facts("portainer/portainer-ce");
  f.volume_sources = {{"data", 7}, {"/var/run/docker.sock", 8}};
  ServicePlan p = Resolve(f, Default(), TestImages());
  EXPECT_TRUE(Added(p, "user").empty());
  const Decision* skip = Find(p, "user", Action::kSkip);
  ASSERT_TRUE(skip);
  EXPECT_EQ(8, skip->line);
  EXPECT_EQ("the service mounts the Docker socket (/var/run/docker.sock): as "
            "another user it could not reach the engine, whose socket only "
            "root and the host's docker group may use, and with it the "
            "service is root on the host anyway; harden adds no user",
            skip->reason);
  EXPECT_THAT(Added(p, "cap_drop"), ElementsAre("ALL"));
  EXPECT_TRUE(HasFinding(p, "docker-socket"));
  EXPECT_TRUE(HasFinding(p, "runs-as-root"));
  // A user of its own is its choice (a group_add of the docker gid, say).
  f.user = Located{"1000:999", 9};
  EXPECT_NE(nullptr, Find(Resolve(f, Default(), TestImages()), "user",
                          Action::kKeep));
  // The host path from a variable: the path in the container names it.
  ServiceFacts var = Facts("timberio/vector");
  var.volume_sources = {{"${DOCKER_SOCKET_LOCATION}", 8}};
  var.volume_targets = {{"/var/run/docker.sock", 8}};
  p = Resolve(var, Default(), TestImages());
  EXPECT_TRUE(Added(p, "user").empty());
  ASSERT_TRUE(Find(p, "user", Action::kSkip));
  EXPECT_EQ("the service mounts the Docker socket (/var/run/docker.sock): as "
            "another user it could not reach the engine, whose socket only "
            "root and the host's docker group may use, and with it the "
            "service is root on the host anyway; harden adds no user",
            Find(p, "user", Action::kSkip)->reason);
  // Podman's socket is the same kind of door.
  ServiceFacts podman = Facts("containrrr/watchtower");
  podman.volume_sources = {{"/run/podman/podman.sock", 8}};
  EXPECT_TRUE(Added(Resolve(podman, Default(), TestImages()), "user").empty());
}

// A device keeps the host's owner and group: under the user harden adds,
// only group_add opens it, and the gid is the host's, so harden says so.
TEST(ResolverTest, DevicesUnderAnAddedUserNeedTheirGroup) {
  ServiceFacts f = Facts("jellyfin/jellyfin");
  f.devices = {{"/dev/dri", 6}, {"/dev/kfd", 7}};
  ServicePlan p = Resolve(f, Default(), TestImages());
  EXPECT_THAT(Added(p, "user"), ElementsAre("1000:1000"));
  ASSERT_EQ(1u, p.findings.size());
  EXPECT_EQ("devices-group", p.findings[0].id);
  EXPECT_TRUE(IsAdvice(p.findings[0]));
  EXPECT_EQ(6, p.findings[0].line);
  EXPECT_EQ("as 1000:1000 the service can open /dev/dri, /dev/kfd only if "
            "group_add lists the group that owns them on the host, by its "
            "gid (video or render for /dev/dri, dialout for a serial port)",
            p.findings[0].message);
  // With a group_add, with a user of its own, or as root: nothing to say.
  ServiceFacts grouped = f;
  grouped.group_add = {{"44", 8}};
  ServiceFacts own = f;
  own.user = Located{"1000:1000", 8};
  ServiceFacts root = f;
  root.cap_add = {{"NET_ADMIN", 8}};
  for (const ServiceFacts& g : {grouped, own, root})
    for (const Finding& x : Resolve(g, Default(), TestImages()).findings)
      EXPECT_NE("devices-group", x.id);
}

// As a user, an image binds its low ports thanks to Docker's setting for a
// network of the container's own: a note says so there, and only there
// (as root in the host's network it has NET_BIND_SERVICE instead).
TEST(ResolverTest, ALowPortAsAUserIsNotedWhereTheEngineAllowsIt) {
  auto port_notes = [](const ServiceFacts& f) {
    std::vector<std::string> out;
    for (const Finding& x : Resolve(f, Default(), TestImages()).findings)
      if (std::string(x.message).find("binds port") != std::string::npos)
        out.emplace_back(x.message);
    return out;
  };
  EXPECT_THAT(port_notes(Facts("nginx:1.27")),
              ElementsAre("as 101:101, nginx binds port 80 only because "
                          "Docker >= 20.10 lets any user in a container's own "
                          "network bind ports below 1024 "
                          "(net.ipv4.ip_unprivileged_port_start=0); an older "
                          "engine needs root"));
  ServiceFacts host = Facts("nginx:1.27");
  host.network_mode = Located{"host", 4};
  EXPECT_TRUE(port_notes(host).empty());
  ServiceFacts root = Facts("nginx:1.27");
  root.user = Located{"0", 4};
  EXPECT_TRUE(port_notes(root).empty());
  EXPECT_TRUE(port_notes(Facts("postgres:17")).empty());  // no low port
}

// An image's warning says when it holds (as a user, as root, under a
// read-only root): one that does not hold for the service as hardened is
// noise a reviewer learns to skip, so it is not shown.
TEST(ResolverTest, AnImageWarningIsShownOnlyWhereItHolds) {
  auto notes = [](const ServiceFacts& f) {
    std::vector<std::string> out;
    for (const Finding& x : Resolve(f, Default(), TestImages()).findings)
      if (x.id == "image-note") out.emplace_back(x.message);
    return out;
  };
  EXPECT_THAT(notes(Facts("example/warned")),
              ElementsAre("always", "as a user", "read-only"));
  ServiceFacts root = Facts("example/warned");
  root.user = Located{"0", 4};
  EXPECT_THAT(notes(root), ElementsAre("always", "as root", "read-only"));
  ServiceFacts writable = Facts("example/warned");
  writable.read_only = Located{"false", 4};
  EXPECT_THAT(notes(writable), ElementsAre("always", "as a user"));
  ServiceFacts privileged = Facts("example/warned");  // root, writable
  privileged.privileged = Located{"true", 4};
  EXPECT_THAT(notes(privileged), ElementsAre("always", "as root"));
  // With harden's user skipped, an image with an account of its own still
  // runs as it, not as root.
  ServiceFacts own = Facts("example/warned-own");
  own.skip = {"user"};
  EXPECT_THAT(notes(own), ElementsAre("as its own user"));
}

// An image harden does not know, named like one it does, is often built on
// it: harden cannot know, so it hardens it as any unknown image and says
// what the one it is named like would need.
TEST(ResolverTest, AnImageNamedLikeAKnownOneIsNoted) {
  auto notes = [](const ServiceFacts& f) {
    std::vector<std::string> out;
    for (const Finding& x : Resolve(f, Default(), TestImages()).findings)
      if (x.id == "image-note") out.emplace_back(x.message);
    return out;
  };
  ServicePlan p = Resolve(Facts("ghcr.io/immich-app/postgres:14"), Default(),
                          TestImages());
  EXPECT_THAT(Added(p, "user"), ElementsAre("1000:1000"));
  EXPECT_THAT(Added(p, "tmpfs"), ElementsAre("/tmp"));
  ASSERT_EQ(1u, p.findings.size());
  EXPECT_EQ("image-note", p.findings[0].id);
  EXPECT_EQ(3, p.findings[0].line);  // the image's
  EXPECT_EQ("image immich-app/postgres is named like postgres but is another "
            "image, which harden does not know: if it is built on postgres, "
            "it needs what postgres does (user 999:999, a tmpfs at "
            "/var/run/postgresql), which harden does not add",
            p.findings[0].message);
  // A user of its own is its choice; the tag picks the variant.
  ServiceFacts own = Facts("supabase/postgres:15-alpine");
  own.user = Located{"postgres", 4};
  EXPECT_THAT(notes(own),
              ElementsAre("image supabase/postgres is named like postgres but "
                          "is another image, which harden does not know: if "
                          "it is built on postgres, it needs what postgres "
                          "does (a tmpfs at /var/run/postgresql), which "
                          "harden does not add"));
  ServiceFacts tagged = Facts("example/postgres:16-alpine");
  EXPECT_THAT(notes(tagged), ElementsAre(HasSubstr("(user 70:70, ")));
  // The image itself, a namespace harden knows, or another name: nothing.
  EXPECT_TRUE(notes(Facts("postgres:17")).empty());
  EXPECT_TRUE(notes(Facts("docker.io/library/postgres:17")).empty());
  EXPECT_TRUE(notes(Facts("bitnami/postgres")).empty());
  EXPECT_TRUE(notes(Facts("example/postgresql")).empty());
}

// In the host's network Docker's unprivileged-port setting does not apply:
// an image that listens on port 80 by default starts only as root with
// NET_BIND_SERVICE, so harden keeps root rather than break the stack.
TEST(ResolverTest, InTheHostNetworkAnImageOnALowPortKeepsRoot) {
  ServiceFacts f = Facts("nginx:1.27");
  f.network_mode = Located{"host", 4};
  ServicePlan p = Resolve(f, Default(), TestImages());
  EXPECT_TRUE(Added(p, "user").empty());
  const Decision* skip = Find(p, "user", Action::kSkip);
  ASSERT_TRUE(skip);
  EXPECT_EQ("image nginx listens on port 80, which in the host's network "
            "(network_mode: host) only root with NET_BIND_SERVICE may bind; "
            "it gets the capabilities it needs instead",
            skip->reason);
  EXPECT_THAT(Added(p, "cap_add"),
              ElementsAre("CHOWN", "SETUID", "SETGID", "NET_BIND_SERVICE"));
  EXPECT_THAT(Added(p, "tmpfs"), ElementsAre("/tmp", "/var/cache/nginx", "/run"));
  // It runs as root: a finding, as an explicit root user is.
  ASSERT_EQ(2u, p.findings.size());
  EXPECT_EQ("runs-as-root", p.findings[1].id);
  EXPECT_EQ("the service runs as root: image nginx must run as root to "
            "listen on port 80 in the host's network",
            p.findings[1].message);
  EXPECT_EQ(4, p.findings[1].line);

  ServiceFacts root_image = Facts("example/root-only");
  root_image.network_mode = Located{"host", 4};
  p = Resolve(root_image, Default(), TestImages());
  EXPECT_THAT(Added(p, "cap_add"), ElementsAre("NET_BIND_SERVICE"));
  EXPECT_EQ("image rootonly listens on ports 80 and 443; in the host's "
            "network (network_mode: host) Docker's unprivileged-port setting "
            "does not apply",
            Find(p, "cap_add", Action::kAdd)->reason);

  // In another service's network (Docker sets the port setting there), or
  // on a tag that listens higher up: the image's own account.
  ServiceFacts joined = Facts("nginx:1.27");
  joined.network_mode = Located{"service:vpn", 4};
  ServiceFacts high = Facts("nginx:on-8080");
  high.network_mode = Located{"host", 4};
  for (const ServiceFacts& g : {joined, high}) {
    p = Resolve(g, Default(), TestImages());
    EXPECT_THAT(Added(p, "user"), ElementsAre("101:101")) << g.image->value;
    EXPECT_TRUE(Added(p, "cap_add").empty()) << g.image->value;
  }
}

TEST(ResolverTest, InTheHostNetworkAnExplicitUserOnALowPortIsAdvice) {
  ServiceFacts f = Facts("nginx");
  f.network_mode = Located{"host", 4};
  f.user = Located{"101", 5};
  ServicePlan p = Resolve(f, Default(), TestImages());
  ASSERT_TRUE(Find(p, "user", Action::kKeep));
  ASSERT_EQ(2u, p.findings.size());
  EXPECT_EQ("host-network-low-port", p.findings[1].id);
  EXPECT_EQ("user \"101\" cannot bind port 80 in the host's network "
            "(network_mode: host), where image nginx listens by default: "
            "unless its configuration moves to a port above 1023, it will not "
            "start",
            p.findings[1].message);
  EXPECT_EQ(5, p.findings[1].line);
  EXPECT_TRUE(IsAdvice(p.findings[1]));

  f.user = Located{"root", 5};  // root: it gets NET_BIND_SERVICE instead
  p = Resolve(f, Default(), TestImages());
  EXPECT_FALSE(HasFinding(p, "host-network-low-port"));
  EXPECT_THAT(Added(p, "cap_add"),
              ElementsAre("CHOWN", "SETUID", "SETGID", "NET_BIND_SERVICE"));
}

TEST(ImageRefTest, StripsRegistryLibraryTagAndDigest) {
  EXPECT_EQ("postgres", ParseImageRef("postgres").repository);
  EXPECT_EQ("postgres", ParseImageRef("docker.io/library/postgres:16").repository);
  EXPECT_EQ("16", ParseImageRef("docker.io/library/postgres:16").tag);
  EXPECT_EQ("nginx", ParseImageRef("localhost:5000/nginx@sha256:ab").repository);
  EXPECT_EQ("bitnami/redis", ParseImageRef("ghcr.io/bitnami/redis:7").repository);
  EXPECT_EQ("${PG:-15}", ParseImageRef("postgres:${PG:-15}").tag);
}

}  // namespace
}  // namespace harden

namespace harden {
namespace {

TEST(ResolverTest, TmpfsOwnerNeedsANumericUser) {
  ServiceFacts f = Facts("nginx");
  f.user = Located{"nginx", 4};
  ServicePlan p = Resolve(f, Default(), TestImages());
  EXPECT_THAT(Added(p, "tmpfs"), ElementsAre("/tmp", "/var/cache/nginx", "/run"));
}

}  // namespace
}  // namespace harden

namespace harden {
namespace {

// A service docker compose builds, its Dockerfile read as `built`.
ServiceFacts Built(const std::string& base, const std::string& user) {
  ServiceFacts f = Facts("");
  f.build = ServiceFacts::Build{};
  f.build->line = 4;
  f.built = DockerfileFacts{};
  f.built->base = base;
  f.built->base_line = 1;
  f.built->user = user;
  f.built->user_line = user.empty() ? 0 : 5;
  f.built->found = true;
  f.built_path = "app/Dockerfile";
  return f;
}

// The image a Dockerfile starts from is what harden knows of a service it
// builds; the USER it sets is the image's own, kept like a user it sets.
TEST(ResolverTest, ABuiltServiceIsWhatItsDockerfileSays) {
  ServicePlan p = Resolve(Built("nginx:1.27-alpine", ""), Default(),
                          TestImages());
  EXPECT_THAT(Added(p, "user"), ElementsAre("101:101"));
  EXPECT_THAT(Added(p, "tmpfs"),
              ElementsAre("/tmp", "/var/cache/nginx:uid=101,gid=101",
                          "/run:uid=101,gid=101"));
  const Finding* note = nullptr;
  for (const Finding& x : p.findings)
    if (x.id == "image-note" && x.message.rfind("built", 0) == 0) note = &x;
  ASSERT_TRUE(note);
  EXPECT_EQ("built from nginx:1.27-alpine (app/Dockerfile:1): harden applies "
            "what it knows of image nginx",
            note->message);
  EXPECT_EQ(4, note->line);  // the build's

  // USER in the Dockerfile: kept, and its uid owns the image's tmpfs.
  p = Resolve(Built("nginx:1.27", "999:999"), Default(), TestImages());
  EXPECT_TRUE(Added(p, "user").empty());
  const Decision* keep = Find(p, "user", Action::kKeep);
  ASSERT_TRUE(keep);
  EXPECT_EQ("its Dockerfile (app/Dockerfile:5) sets USER 999:999: the image "
            "runs as its own user; another would not own its files",
            keep->reason);
  EXPECT_EQ(4, keep->line);
  EXPECT_THAT(Added(p, "tmpfs"), Contains("/run:uid=999,gid=999"));
  // The same for an image harden does not know.
  p = Resolve(Built("example/app", "app"), Default(), TestImages());
  EXPECT_TRUE(Added(p, "user").empty());
  EXPECT_NE(nullptr, Find(p, "user", Action::kKeep));

  // In the host's network that user cannot bind the image's port 80.
  ServiceFacts host = Built("nginx:1.27", "101");
  host.network_mode = Located{"host", 6};
  p = Resolve(host, Default(), TestImages());
  ASSERT_TRUE(HasFinding(p, "host-network-low-port"));
  EXPECT_TRUE(Added(p, "user").empty());

  // USER root: the image is built to run as root.
  p = Resolve(Built("example/app", "root"), Default(), TestImages());
  EXPECT_TRUE(Added(p, "user").empty());
  ASSERT_TRUE(Find(p, "user", Action::kSkip));
  EXPECT_EQ("its Dockerfile (app/Dockerfile:5) sets USER root: the image is "
            "built to run as root; harden adds no user",
            Find(p, "user", Action::kSkip)->reason);
  EXPECT_TRUE(HasFinding(p, "runs-as-root"));

  // The service's own user wins over the Dockerfile's.
  ServiceFacts own = Built("example/app", "root");
  own.user = Located{"1000", 6};
  p = Resolve(own, Default(), TestImages());
  ASSERT_TRUE(Find(p, "user", Action::kKeep));
  EXPECT_EQ(6, Find(p, "user", Action::kKeep)->line);

  // A base harden does not know leaves `image:` to name what it knows.
  ServiceFacts named = Built("example/base", "");
  named.image = Located{"postgres:16", 3};
  EXPECT_THAT(Added(Resolve(named, Default(), TestImages()), "user"),
              ElementsAre("999:999"));
  // One named like an image harden knows gets the note that says so.
  p = Resolve(Built("ghcr.io/immich-app/postgres:14", ""), Default(),
              TestImages());
  EXPECT_THAT(Added(p, "user"), ElementsAre("1000:1000"));
  ASSERT_EQ(1u, p.findings.size());
  EXPECT_EQ(4, p.findings[0].line);
  EXPECT_THAT(p.findings[0].message,
              HasSubstr("image immich-app/postgres is named like postgres"));
  // With a USER of its own, what it needs says no user.
  p = Resolve(Built("ghcr.io/immich-app/postgres:14", "postgres"), Default(),
              TestImages());
  ASSERT_EQ(1u, p.findings.size());
  EXPECT_THAT(p.findings[0].message, HasSubstr("(a tmpfs at"));
  // A Dockerfile without a FROM harden could read says nothing.
  ServiceFacts unread = Built("", "app");
  unread.built->found = false;
  unread.built->user.clear();
  EXPECT_THAT(Added(Resolve(unread, Default(), TestImages()), "user"),
              ElementsAre("1000:1000"));
}

// An entrypoint that changes user with gosu or su-exec must start as root:
// under a user harden added it would fail, so root is kept with what it
// needs to change user.
TEST(ResolverTest, ABuildThatDropsRootWithGosuKeepsRoot) {
  ServiceFacts f = Built("debian:12", "");
  f.built->drops_root = "gosu";
  f.built->drops_root_line = 7;
  ServicePlan p = Resolve(f, Default(), TestImages());
  EXPECT_TRUE(Added(p, "user").empty());
  const Decision* skip = Find(p, "user", Action::kSkip);
  ASSERT_TRUE(skip);
  EXPECT_EQ("its Dockerfile (app/Dockerfile:7) uses gosu: its entrypoint "
            "starts as root and changes to its own user itself, which fails "
            "under another user; harden adds no user and gives it the "
            "capabilities gosu needs",
            skip->reason);
  EXPECT_EQ(4, skip->line);
  EXPECT_THAT(Added(p, "cap_add"), ElementsAre("SETUID", "SETGID", "CHOWN"));
  EXPECT_THAT(Added(p, "cap_drop"), ElementsAre("ALL"));
  EXPECT_TRUE(HasFinding(p, "runs-as-root"));
  // A USER of its own, or a user the service sets, says otherwise.
  f.built->user = "app";
  EXPECT_TRUE(Added(Resolve(f, Default(), TestImages()), "cap_add").empty());
  f.built->user.clear();
  f.user = Located{"1000", 6};
  EXPECT_TRUE(Added(Resolve(f, Default(), TestImages()), "cap_add").empty());
}

// chroot --userspec also changes the root directory; named in the script
// the Dockerfile runs, the advice says where.
TEST(ResolverTest, AnEntrypointThatChangesUserWithChrootNeedsSysChroot) {
  ServiceFacts f = Built("debian:12", "");
  f.built->drops_root = std::string(kChrootUserspec);
  f.built->drops_root_line = 3;
  f.built->drops_root_file = "app/entrypoint.sh";
  ServicePlan p = Resolve(f, Default(), TestImages());
  EXPECT_THAT(Added(p, "cap_add"),
              ElementsAre("SETUID", "SETGID", "CHOWN", "SYS_CHROOT"));
  const Decision* chroot = nullptr;
  for (const Decision& d : p.decisions)
    if (d.key == "cap_add" && d.values == std::vector<std::string>{"SYS_CHROOT"})
      chroot = &d;
  ASSERT_TRUE(chroot);
  EXPECT_EQ("chroot changes the root directory as it changes user (the "
            "script its Dockerfile runs, app/entrypoint.sh:3)",
            chroot->reason);
}

}  // namespace
}  // namespace harden
