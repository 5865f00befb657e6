#!/usr/bin/env python3
"""Validates a JSON document against a JSON Schema, formats included.

usage: validate_json.py SCHEMA [DOCUMENT] [--check-fixes HARDEN]

DOCUMENT defaults to standard input. With --check-fixes, DOCUMENT is a SARIF
report of harden: for each file it names, applying every service's fix (once)
must give what `HARDEN --stdout FILE` prints, and each replacement's line and
column must agree with its charOffset. Relative paths are read from the
current directory.

Exit status: 0 valid, 1 invalid (every error is printed), 2 usage or
unreadable input, 3 when python3-jsonschema is not installed (the tests
skip then, unless CI is set).
"""
import json
import subprocess
import sys
import urllib.parse

try:
    import jsonschema
except ImportError:
    print("validate_json: python3-jsonschema is not installed", file=sys.stderr)
    sys.exit(3)


def utf16(text):
    return text.encode("utf-16-le")


def check_fixes(doc, harden):
    """Applies the SARIF fixes; returns a list of problems."""
    problems = []
    changes = {}  # uri -> {(service, change as JSON): change}
    for run in doc.get("runs") or []:
        for result in run.get("results", []):
            service = result.get("properties", {}).get("service", "")
            for fix in result.get("fixes", []):
                for change in fix["artifactChanges"]:
                    uri = change["artifactLocation"]["uri"]
                    key = (service, json.dumps(change, sort_keys=True))
                    changes.setdefault(uri, {})[key] = change
    for uri, by_service in sorted(changes.items()):
        path = urllib.parse.unquote(uri[len("file://"):] if uri.startswith(
            "file://") else uri)
        raw = open(path, "rb").read()
        bom = raw.startswith(b"\xef\xbb\xbf")
        text = raw[3:].decode("utf-8") if bom else raw.decode("utf-8")
        lines = text.split("\n")
        starts = [0]
        for line in lines:
            starts.append(starts[-1] + len(utf16(line)) // 2 + 1)
        edits = []
        for change in by_service.values():
            for r in change["replacements"]:
                region = r["deletedRegion"]
                start = starts[region["startLine"] - 1] + region["startColumn"] - 1
                end = starts[region["endLine"] - 1] + region["endColumn"] - 1
                if (start, end - start) != (region["charOffset"],
                                            region["charLength"]):
                    problems.append(f"{uri}: region {region} disagrees with itself")
                edits.append((region["charOffset"], region["charLength"],
                              r.get("insertedContent", {}).get("text", "")))
        edits.sort(key=lambda e: (e[0], e[1]))
        for a, b in zip(edits, edits[1:]):
            if a[0] + a[1] > b[0] or (a[0] == b[0] and a[1] == b[1] == 0):
                problems.append(f"{uri}: fixes of two services overlap at {b[0]}")
        units = utf16(text)
        for offset, length, new in reversed(edits):
            units = units[:offset * 2] + utf16(new) + units[(offset + length) * 2:]
        fixed = units.decode("utf-16-le").encode("utf-8")
        if bom:
            fixed = b"\xef\xbb\xbf" + fixed
        want = subprocess.run([harden, "--stdout", path], capture_output=True,
                              check=False).stdout
        if fixed != want:
            problems.append(f"{uri}: the fixes do not give harden's output")
    return problems


def main(argv):
    harden = None
    if "--check-fixes" in argv:
        i = argv.index("--check-fixes")
        if i + 1 >= len(argv):
            print("validate_json: --check-fixes takes the harden binary",
                  file=sys.stderr)
            return 2
        harden = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            schema = json.load(f)
        if len(argv) == 3:
            with open(argv[2], encoding="utf-8") as f:
                doc = json.load(f)
        else:
            doc = json.load(sys.stdin)
    except (OSError, ValueError) as e:
        print(f"validate_json: {e}", file=sys.stderr)
        return 2
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    # FormatChecker() checks every format whose library is installed
    # (uri and uri-reference need python3-rfc3987).
    validator = cls(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    for e in errors[:50]:
        where = "/".join(str(p) for p in e.absolute_path) or "(root)"
        print(f"{where}: {e.message}", file=sys.stderr)
    if len(errors) > 50:
        print(f"... and {len(errors) - 50} more", file=sys.stderr)
    if errors:
        return 1
    if harden:
        problems = check_fixes(doc, harden)
        for p in problems[:50]:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
