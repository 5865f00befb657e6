// The peer: what a team would write instead of harden, with the npm `yaml`
// library's Document API (which keeps comments, unlike a plain load/dump).
//
//   NODE_PATH=... node peer_yaml.mjs LISTFILE
//
// For every file of LISTFILE: parseDocument, then for each service that is a
// mapping set what harden's default baseline sets (user, cap_drop [ALL],
// security_opt no-new-privileges:true, read_only, tmpfs [/tmp]) when absent,
// or append to the list it has; then toString(). Nothing is written; the
// output's size is printed so the work cannot be skipped.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(process.cwd() + "/");
const YAML = require("yaml");

const files = readFileSync(process.argv[2], "utf8").split("\n").filter(Boolean);
let bytesOut = 0, failed = 0, services = 0;
const firstErrors = [];

function appendItem(svc, doc, key, item) {
  const cur = svc.get(key, true);
  if (cur === undefined) {
    svc.set(key, doc.createNode([item]));
  } else if (YAML.isSeq(cur)) {
    if (!cur.items.some((n) => YAML.isScalar(n) && n.value === item)) cur.add(doc.createNode(item));
  } else if (YAML.isScalar(cur)) {
    svc.set(key, doc.createNode([cur.value, item]));
  }
}

for (const f of files) {
  try {
    const doc = YAML.parseDocument(readFileSync(f, "utf8"), { maxAliasCount: -1 });
    if (doc.errors.length) throw doc.errors[0];
    const svcs = doc.get("services", true);
    if (YAML.isMap(svcs)) {
      for (const pair of svcs.items) {
        const svc = pair.value;
        if (!YAML.isMap(svc)) continue;
        ++services;
        if (!svc.has("user")) svc.set("user", "1000:1000");
        appendItem(svc, doc, "cap_drop", "ALL");
        appendItem(svc, doc, "security_opt", "no-new-privileges:true");
        if (!svc.has("read_only")) svc.set("read_only", true);
        appendItem(svc, doc, "tmpfs", "/tmp");
      }
    }
    bytesOut += doc.toString().length;
  } catch (e) {
    ++failed;
    if (firstErrors.length < 3) firstErrors.push(`${f}: ${String(e.message || e).split("\n")[0]}`);
  }
}
console.log(JSON.stringify({ files: files.length, failed, services, bytesOut, firstErrors }));
