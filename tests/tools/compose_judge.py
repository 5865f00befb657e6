#!/usr/bin/python3
"""Judges whether hardened Compose files are still valid Compose files.

Used by tests/validation_test.cc, once per run over all files, so Python and
the validators start once. Two judges, both from Debian packages:

  compose_judge.py probe schema|dc
      exit 0 when the judge can run here, 3 (with the reason) when not.
  compose_judge.py schema SCHEMA.json MANIFEST
      the compose-spec JSON schema (python3-jsonschema, draft 2020-12).
  compose_judge.py dc MANIFEST [--crosscheck N]
      docker-compose v1's `config -q` (python3 package `compose`, which is
      what Debian's docker-compose runs), called in-process in a copy of the
      file's folder with missing env files and build contexts stubbed, as
      ../shared/tools/eval-corpus does. --crosscheck N also runs the real
      `docker-compose -f F config -q` on every Nth file (1: all) and stops
      with an error when its verdict differs from the in-process one.

MANIFEST has one line per file: INPUT<TAB>OUTPUT, the original and its
hardened version. For each line the judge prints one of
  OK INPUT            valid before and after
  SKIP INPUT: why     not valid before, so not compared
  FAIL INPUT: why     valid before, invalid after
and finally `compared N, skipped M, failed K`. Exit 1 when any failed.
"""
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile


def load_yaml(text):
    import yaml  # python3-yaml

    class Loader(yaml.SafeLoader):
        pass

    # Compose's own tags (!reset, !override) carry a value like any other.
    def tagged(loader, suffix, node):
        if isinstance(node, yaml.ScalarNode):
            return loader.construct_scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_mapping(node, deep=True)

    Loader.add_multi_constructor("!", tagged)
    return yaml.load(text, Loader=Loader)


def json_like(v):
    if isinstance(v, dict):
        return {str(k): json_like(x) for k, x in v.items()}
    if isinstance(v, list):
        return [json_like(x) for x in v]
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def read_manifest(path):
    with open(path, encoding="utf-8") as f:
        return [l.rstrip("\n").split("\t") for l in f if l.strip()]


# ---------------------------------------------------------------- schema


def schema_judge(schema_path):
    import jsonschema

    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.validators.validator_for(schema)(schema)

    def error_of(path):
        try:
            with open(path, "rb") as f:
                doc = load_yaml(f.read().decode("utf-8-sig"))
        except Exception as e:  # not YAML PyYAML reads
            return "does not load: %s" % str(e).splitlines()[0]
        err = next(iter(validator.iter_errors(json_like(doc if doc is not None else {}))), None)
        if err is None:
            return None
        where = "/".join(map(str, err.absolute_path)) or "$"
        return "%s: %s" % (where, err.message[:200])

    return error_of


# ------------------------------------------------------ docker-compose v1


def services_of(doc):
    if isinstance(doc, dict) and isinstance(doc.get("services"), dict):
        return doc["services"]
    return None


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def stub_paths(doc, base):
    """Empty env files and build-context dirs the file refers to (eval-corpus)."""
    svcs = services_of(doc)
    if svcs is None:
        return
    for s in svcs.values():
        if not isinstance(s, dict):
            continue
        for e in as_list(s.get("env_file")):
            p = e.get("path") if isinstance(e, dict) else e
            if isinstance(p, str) and "$" not in p and not os.path.isabs(p):
                fp = os.path.join(base, p)
                if not os.path.exists(fp):
                    os.makedirs(os.path.dirname(fp) or base, exist_ok=True)
                    open(fp, "w").close()
        b = s.get("build")
        ctx = b.get("context", ".") if isinstance(b, dict) else b
        if isinstance(ctx, str) and "$" not in ctx and "://" not in ctx \
                and not ctx.startswith("git@") and not os.path.isabs(ctx):
            os.makedirs(os.path.join(base, ctx), exist_ok=True)


def dc_in_process(folder, name):
    """What `docker-compose -f NAME config -q` decides, run in `folder`."""
    from compose.cli.command import get_config_from_options

    old = os.getcwd()
    os.chdir(folder)
    try:
        get_config_from_options(".", {"--file": [name]}, {"--no-interpolate": False})
        return True, ""
    except BaseException as e:  # the CLI fails on any exception
        if isinstance(e, KeyboardInterrupt):
            raise
        msg = getattr(e, "msg", None) or str(e) or type(e).__name__
        return False, " ".join(str(msg).split())[:200]
    finally:
        os.chdir(old)


def dc_cli(folder, name):
    env = dict(os.environ, COMPOSE_PROJECT_NAME="hardenjudge")
    p = subprocess.run(["docker-compose", "-f", name, "config", "-q"], cwd=folder,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120, env=env)
    return p.returncode == 0, p.stderr.decode(errors="replace")


def dc_pair(src, out, crosscheck):
    tmp = tempfile.mkdtemp(prefix="harden-judge-")
    try:
        folder = os.path.join(tmp, "p")
        src_dir = os.path.dirname(os.path.abspath(src))
        if sum(len(fs) for _, _, fs in os.walk(src_dir)) <= 2000:
            # Relative env_file / extends / include targets come along.
            shutil.copytree(src_dir, folder, symlinks=True)
        else:
            os.mkdir(folder)
            shutil.copy(src, folder)
        try:
            with open(src, "rb") as f:
                stub_paths(load_yaml(f.read().decode("utf-8-sig")), folder)
        except Exception:
            pass  # docker-compose will say what is wrong
        name = os.path.basename(src)
        out_name = "__harden_out__" + os.path.splitext(name)[1]
        shutil.copy(out, os.path.join(folder, out_name))
        verdicts = []
        for fname in (name, out_name):
            ok, msg = dc_in_process(folder, fname)
            if crosscheck:
                cli_ok, cli_msg = dc_cli(folder, fname)
                if cli_ok != ok:
                    raise SystemExit("compose_judge: in-process verdict %s but docker-compose "
                                     "says %s for %s: %s" % (ok, cli_ok, src, cli_msg[:300]))
            verdicts.append((ok, msg))
        return verdicts
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------ main


def probe(judge):
    try:
        if judge == "schema":
            import jsonschema  # noqa: F401
            import yaml  # noqa: F401
        elif judge == "dc":
            import yaml  # noqa: F401
            from compose.cli.command import get_config_from_options  # noqa: F401
            if not shutil.which("docker-compose"):
                raise ImportError("docker-compose is not on PATH")
        else:
            raise SystemExit("compose_judge: unknown judge %r" % judge)
    except ImportError as e:
        print("compose_judge: %s judge unavailable: %s" % (judge, e))
        sys.exit(3)


def main(argv):
    if len(argv) >= 2 and argv[0] == "probe":
        probe(argv[1])
        return 0
    logging.disable(logging.CRITICAL)  # "variable is not set" warnings
    if len(argv) == 3 and argv[0] == "schema":
        error_of = schema_judge(argv[1])
        pairs = read_manifest(argv[2])

        def judge(src, out, i):
            before = error_of(src)
            if before is not None:
                return "SKIP", "invalid before hardening: " + before
            after = error_of(out)
            return ("FAIL", after) if after is not None else ("OK", "")
    elif len(argv) in (2, 4) and argv[0] == "dc":
        crosscheck = int(argv[3]) if len(argv) == 4 and argv[2] == "--crosscheck" else 0
        pairs = read_manifest(argv[1])

        def judge(src, out, i):
            check = crosscheck > 0 and i % crosscheck == 0
            (ok_in, msg_in), (ok_out, msg_out) = dc_pair(src, out, check)
            if not ok_in:
                return "SKIP", "docker-compose rejects it before hardening: " + msg_in
            return ("FAIL", msg_out or "rejected") if not ok_out else ("OK", "")
    else:
        sys.stderr.write(__doc__)
        return 2
    counts = {"OK": 0, "SKIP": 0, "FAIL": 0}
    for i, (src, out) in enumerate(pairs):
        verdict, why = judge(src, out, i)
        counts[verdict] += 1
        print("%s %s%s" % (verdict, src, ": " + why if why else ""), flush=True)
    print("compared %d, skipped %d, failed %d" % (counts["OK"] + counts["FAIL"], counts["SKIP"],
                                                  counts["FAIL"]))
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
