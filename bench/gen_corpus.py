#!/usr/bin/env python3
"""Deterministic generator of Compose files for the benchmarks.

    gen_corpus.py OUTDIR [--files 10000] [--seed 6]

writes
    OUTDIR/tree/gNN/projNNNNN/{compose.yaml,docker-compose.yml,...}
                     (b) --files Compose files of 1-20 services each
    OUTDIR/big/compose.yaml      (c) one ~5 MB file with 20,000 services
    OUTDIR/typical/compose.yaml  (d) one typical ~2 KB file
    OUTDIR/*.list                the files of each corpus, one per line

The same seed gives the same bytes (Python's random.Random is stable across
versions for these calls). The shapes are the ones real files have (see
../shared/corpus/FEATURES.md): comments on their own line and after values,
`x-` anchors merged with `<<: *x` and `<<: [*a, *b]`, aliases as values,
flow and block sequences, indentless sequences, single- and double-quoted
scalars, literal block scalars, environment as a mapping or a list, and some
services that are already partly hardened.
"""

import argparse
import os
import random

IMAGES = [
    "nginx:1.25-alpine", "postgres:16", "redis:7-alpine", "mysql:8.0",
    "mariadb:11", "mongo:7", "rabbitmq:3-management", "traefik:v3.0",
    "grafana/grafana:10.4.2", "prom/prometheus:v2.51.0", "node:20-alpine",
    "python:3.12-slim", "golang:1.22", "httpd:2.4", "memcached:1.6",
    "elasticsearch:8.13.0", "docker.elastic.co/kibana/kibana:8.13.0",
    "minio/minio:latest", "ghcr.io/example/api:1.4.2",
    "registry.example.com:5000/team/worker:2024.04", "busybox",
    "caddy:2", "adminer", "wordpress:6-php8.2-apache", "nextcloud:28",
]
WORDS = ["web", "api", "worker", "db", "cache", "queue", "proxy", "auth",
         "search", "metrics", "mail", "cron", "static", "admin", "gateway",
         "billing", "uploads", "events", "notify", "reports", "ingest"]
ENV_KEYS = ["LOG_LEVEL", "DATABASE_URL", "REDIS_HOST", "PORT", "NODE_ENV",
            "TZ", "WORKERS", "SECRET_KEY", "FEATURE_FLAGS", "API_BASE"]
COMMENTS = ["# see docs/deploy.md", "# TODO: pin the digest",
            "# exposed for local development only",
            "# keep in sync with the helm chart", "# ops owns this one",
            "# do not change without telling the on-call"]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def choice(self, xs):
        return self.r.choice(xs)

    def chance(self, p):
        return self.r.random() < p

    def env_value(self, key):
        r = self.r
        v = {
            "LOG_LEVEL": self.choice(["info", "debug", "warn"]),
            "DATABASE_URL": "postgres://app:${DB_PASSWORD}@db:5432/app",
            "REDIS_HOST": "cache",
            "PORT": str(r.choice([3000, 8000, 8080, 9000])),
            "NODE_ENV": "production",
            "TZ": "Europe/Berlin",
            "WORKERS": str(r.randint(1, 16)),
            "SECRET_KEY": "${SECRET_KEY:?set it in .env}",
            "FEATURE_FLAGS": "a,b,c",
            "API_BASE": "http://api:8080/v1",
        }[key]
        return v

    def quote(self, v):
        k = self.r.random()
        if k < 0.45:
            return '"%s"' % v
        if k < 0.6:
            return "'%s'" % v
        return v

    def service(self, name, anchors, ind, seq_ind, idx):
        """One service as lines (indented by `ind`, keys at ind+2)."""
        r = self.r
        p = " " * (ind + 2)
        s = " " * (ind + 2 + seq_ind)
        out = []
        if self.chance(0.15):
            out.append(" " * ind + self.choice(COMMENTS))
        if anchors and self.chance(0.03):
            # The whole service is an alias of a template.
            out.append(" " * ind + "%s: *%s" % (name, self.choice(anchors)))
            return out
        out.append(" " * ind + name + ":")
        if anchors and self.chance(0.6):
            if len(anchors) > 1 and self.chance(0.25):
                out.append(p + "<<: [*%s, *%s]" % tuple(r.sample(anchors, 2)))
            else:
                out.append(p + "<<: *" + self.choice(anchors))
        if self.chance(0.85):
            img = self.choice(IMAGES)
            line = p + "image: " + (self.quote(img) if ":" in img else img)
            if self.chance(0.2):
                line += "   " + self.choice(COMMENTS)
            out.append(line)
        else:
            out.append(p + "build:")
            out.append(p + "  context: ./" + name)
            if self.chance(0.5):
                out.append(p + "  dockerfile: Dockerfile." + self.choice(["prod", "dev"]))
            if self.chance(0.4):
                out.append(p + "  args:")
                out.append(p + "    VERSION: ${VERSION:-latest}")
        if self.chance(0.3):
            out.append(p + "container_name: " + name)
        if self.chance(0.5):
            out.append(p + "restart: " + self.choice(["unless-stopped", "always", "on-failure"]))
        if self.chance(0.35):
            cmd = self.choice(["npm start", "gunicorn app:app -b 0.0.0.0:8000",
                               "--config /etc/app/config.yaml", "sleep infinity"])
            if self.chance(0.5):
                out.append(p + "command: " + '"%s"' % cmd)
            else:
                out.append(p + "command: [%s]" % ", ".join('"%s"' % w for w in cmd.split()))
        if self.chance(0.6):
            ports = ['"%d:%d"' % (r.randint(1024, 65000), r.choice([80, 443, 8080, 5432, 6379]))
                     for _ in range(r.randint(1, 3))]
            if self.chance(0.3):
                out.append(p + "ports: [" + ", ".join(ports) + "]")
            else:
                out.append(p + "ports:")
                for x in ports:
                    out.append(s + "- " + x)
        if self.chance(0.65):
            keys = r.sample(ENV_KEYS, r.randint(1, 6))
            if self.chance(0.6):
                out.append(p + "environment:")
                for k in keys:
                    out.append(p + "  %s: %s" % (k, self.quote(self.env_value(k))))
            else:
                out.append(p + "environment:")
                for k in keys:
                    out.append(s + "- %s=%s" % (k, self.env_value(k)))
        if self.chance(0.2):
            out.append(p + "env_file: .env")
        if self.chance(0.5):
            out.append(p + "volumes:")
            for _ in range(r.randint(1, 3)):
                v = self.choice(["./%s:/app" % name, "%s-data:/var/lib/%s" % (name, name),
                                 "./config/%s.yml:/etc/%s/config.yml:ro" % (name, name),
                                 "/var/run/docker.sock:/var/run/docker.sock:ro",
                                 "logs:/var/log/%s" % name])
                out.append(s + "- " + (self.quote(v) if self.chance(0.3) else v))
        if self.chance(0.45):
            deps = r.sample(WORDS, r.randint(1, 3))
            if self.chance(0.5):
                out.append(p + "depends_on: [" + ", ".join(deps) + "]")
            else:
                out.append(p + "depends_on:")
                for d in deps:
                    out.append(s + "- " + d)
        if self.chance(0.3):
            out.append(p + "healthcheck:")
            out.append(p + '  test: ["CMD", "curl", "-f", "http://localhost:%d/health"]'
                       % r.choice([80, 8080, 3000]))
            out.append(p + "  interval: 30s")
            out.append(p + "  retries: %d" % r.randint(3, 5))
        if self.chance(0.15):
            out.append(p + "labels:")
            out.append(p + '  traefik.enable: "true"')
            out.append(p + "  traefik.http.routers.%s.rule: Host(`%s.example.com`)" % (name, name))
        if self.chance(0.1):
            out.append(p + "entrypoint: |")
            out.append(p + "  sh -c 'echo starting %s" % name)
            out.append(p + "  exec /app/run'")
        if self.chance(0.3):
            out.append(p + "networks:")
            out.append(s + "- " + self.choice(["front", "back"]))
        # Some services are already partly hardened.
        if self.chance(0.12):
            out.append(p + 'user: "%s"' % self.choice(["1000:1000", "999", "app"]))
        if self.chance(0.12):
            out.append(p + "cap_add: [%s]" % ", ".join(r.sample(
                ["NET_ADMIN", "NET_BIND_SERVICE", "CHOWN", "SYS_TIME"], r.randint(1, 2))))
        if self.chance(0.08):
            out.append(p + "cap_drop:")
            out.append(s + "- NET_RAW")
        if self.chance(0.08):
            out.append(p + "security_opt:")
            out.append(s + "- no-new-privileges:true")
        if self.chance(0.06):
            out.append(p + "read_only: " + self.choice(["true", "false"]))
        if self.chance(0.05):
            out.append(p + "tmpfs: /run")
        if self.chance(0.03):
            out.append(p + "x-harden: {skip: [read_only], reason: \"writes to /var/lib\"}")
        return out

    def anchors_block(self, n):
        names = ["common", "defaults", "logging", "restart-policy", "env"][:n]
        out = []
        for a in names:
            out.append("x-%s: &%s" % (a, a))
            if a == "logging":
                out.append("  logging:")
                out.append("    driver: json-file")
                out.append("    options: {max-size: \"10m\", max-file: \"3\"}")
            elif a == "env":
                out.append("  environment:")
                out.append("    TZ: Europe/Berlin")
                out.append("    LOG_LEVEL: info")
            else:
                out.append("  restart: unless-stopped")
                if self.chance(0.5):
                    out.append("  init: true")
                if self.chance(0.3):
                    out.append("  stop_grace_period: 30s")
            out.append("")
        return names, out

    def document(self, n_services, names=None, big=False, budget=None):
        """A whole file. With `budget` (bytes), a service that would put the
        file over its share of the budget is drawn again (up to 20 times), so
        the file keeps every shape but meets a size (the smallest draw is
        kept when none fits)."""
        lines = []
        if self.chance(0.5):
            lines.append("# " + self.choice(["Local development stack.",
                                             "Production-like stack for the staging cluster.",
                                             "Generated once, maintained by hand since."]))
        if self.chance(0.15):
            lines.append('version: "3.8"')
        if self.chance(0.2):
            lines.append("name: " + self.choice(WORDS) + "-stack")
        n_anchors = self.r.choice([0, 0, 1, 2, 3, 4]) if not big else 4
        anchor_names, anchor_lines = self.anchors_block(n_anchors)
        if anchor_lines:
            lines.append("")
            lines.extend(anchor_lines)
        lines.append("services:")
        ind = 2 if self.chance(0.85) else 4
        seq_ind = 2 if self.chance(0.7) else 0  # 0: indentless sequences
        names = names or unique_names(self, n_services)
        size = sum(len(l) + 1 for l in lines)
        head = size
        for i in range(n_services):
            name = names[i]
            svc = self.service(name, anchor_names, ind, seq_ind, i)
            if budget:
                share = head + (budget - head) * (i + 1) / n_services
                best = svc
                for _ in range(20):
                    if size + sum(len(l) + 1 for l in svc) <= share:
                        best = svc
                        break
                    svc = self.service(name, anchor_names, ind, seq_ind, i)
                    if sum(map(len, svc)) < sum(map(len, best)):
                        best = svc
                svc = best
            size += sum(len(l) + 1 for l in svc)
            lines.extend(svc)
            if self.chance(0.6):
                lines.append("")
        if self.chance(0.4):
            lines.append("")
            lines.append("networks:")
            lines.append("  front: {}")
            lines.append("  back:")
            lines.append("    internal: true")
        if self.chance(0.4):
            lines.append("")
            lines.append("volumes:")
            for w in self.r.sample(WORDS, 3):
                lines.append("  %s-data:" % w)
        return "\n".join(lines) + "\n"


def unique_names(gen, n):
    names, seen = [], set()
    for i in range(n):
        nm = gen.choice(WORDS)
        if nm in seen:
            nm = "%s-%d" % (nm, i)
        seen.add(nm)
        names.append(nm)
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--big-services", type=int, default=20000)
    ap.add_argument("--big-bytes", type=int, default=5 * 1024 * 1024)
    a = ap.parse_args()
    gen = Gen(a.seed)
    out = a.outdir

    tree = []
    file_names = ["compose.yaml"] * 6 + ["docker-compose.yml"] * 3 + ["compose.override.yaml"]
    for i in range(a.files):
        d = os.path.join(out, "tree", "g%02d" % (i % 100), "proj%05d" % i)
        os.makedirs(d, exist_ok=True)
        n = gen.r.choice([1, 1, 2, 2, 3, 3, 4, 5, 6]) if gen.chance(0.8) else gen.r.randint(7, 20)
        path = os.path.join(d, gen.choice(file_names))
        with open(path, "w") as f:
            f.write(gen.document(n, unique_names(gen, n)))
        tree.append(path)

    big_dir = os.path.join(out, "big")
    os.makedirs(big_dir, exist_ok=True)
    big = Gen(a.seed + 1)
    names = ["%s-%05d" % (big.choice(WORDS), i) for i in range(a.big_services)]
    big_path = os.path.join(big_dir, "compose.yaml")
    with open(big_path, "w") as f:
        f.write(big.document(a.big_services, names, big=True,
                             budget=a.big_bytes - 200))

    # (d): the first document of 1900-2150 bytes the generator makes.
    typ = Gen(a.seed + 2)
    while True:
        text = typ.document(typ.r.randint(4, 8), None)
        if 1900 <= len(text.encode()) <= 2150 and "<<:" in text:
            break
    typ_dir = os.path.join(out, "typical")
    os.makedirs(typ_dir, exist_ok=True)
    typ_path = os.path.join(typ_dir, "compose.yaml")
    with open(typ_path, "w") as f:
        f.write(text)

    for name, files in (("tree", sorted(tree)), ("big", [big_path]), ("typical", [typ_path])):
        with open(os.path.join(out, name + ".list"), "w") as f:
            f.write("".join(os.path.abspath(p) + "\n" for p in files))


if __name__ == "__main__":
    main()
