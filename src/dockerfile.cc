#include "harden/dockerfile.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <unordered_map>
#include <vector>

#include "harden/source_text.h"

namespace harden {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(c));
  return out;
}

std::vector<std::string_view> Words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string Unquote(std::string_view s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') &&
      s.back() == s.front())
    s = s.substr(1, s.size() - 2);
  return std::string(s);
}

// One instruction, its continuation lines joined.
struct Instruction {
  std::string keyword;  // upper case
  std::string args;
  int line = 0;
};

// The words that end the heredocs an instruction opens (`<<EOF`,
// `<<-"EOF"`), with whether leading tabs are stripped before comparing.
std::vector<std::pair<std::string, bool>> Heredocs(std::string_view args) {
  std::vector<std::pair<std::string, bool>> out;
  for (size_t at = args.find("<<"); at != std::string_view::npos;
       at = args.find("<<", at + 2)) {
    size_t i = at + 2;
    const bool dash = i < args.size() && args[i] == '-';
    if (dash) ++i;
    const char quote = i < args.size() && (args[i] == '"' || args[i] == '\'')
                           ? args[i]
                           : '\0';
    if (quote) ++i;
    size_t j = i;
    while (j < args.size() &&
           (std::isalnum(static_cast<unsigned char>(args[j])) || args[j] == '_'))
      ++j;
    if (j == i || (quote && (j >= args.size() || args[j] != quote))) continue;
    out.emplace_back(std::string(args.substr(i, j - i)), dash);
  }
  return out;
}

std::vector<Instruction> Instructions(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a BOM
  std::vector<std::string_view> lines;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(start, end - start);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    lines.push_back(l);
    start = end + 1;
  }
  // Parser directives: comments of the form `# key=value` before anything
  // else; only `escape` changes how the rest reads.
  char escape = '\\';
  size_t i = 0;
  for (; i < lines.size(); ++i) {
    std::string_view l = Trim(lines[i]);
    if (l.empty() || l[0] != '#') break;
    l = Trim(l.substr(1));
    const size_t eq = l.find('=');
    if (eq == std::string_view::npos) break;
    const std::string key = Lower(Trim(l.substr(0, eq)));
    const std::string_view value = Trim(l.substr(eq + 1));
    if (key == "escape" && (value == "`" || value == "\\")) escape = value[0];
    else if (key != "syntax" && key != "check") break;
  }
  std::vector<Instruction> out;
  std::string joined;
  int first = 0;
  for (; i < lines.size(); ++i) {
    std::string_view l = lines[i];
    const std::string_view t = Trim(l);
    if (t.empty() || t[0] == '#') continue;  // also within a continuation
    if (joined.empty()) first = static_cast<int>(i) + 1;
    std::string_view r = l;
    while (!r.empty() && std::isspace(static_cast<unsigned char>(r.back())))
      r.remove_suffix(1);
    if (!r.empty() && r.back() == escape) {
      r.remove_suffix(1);
      joined.append(r);
      continue;
    }
    joined.append(r);
    std::string_view all = Trim(joined);
    size_t space = 0;
    while (space < all.size() &&
           !std::isspace(static_cast<unsigned char>(all[space])))
      ++space;
    Instruction in;
    in.keyword = std::string(all.substr(0, space));
    for (char& c : in.keyword) c = static_cast<char>(std::toupper(c));
    in.args = std::string(Trim(all.substr(space)));
    in.line = first;
    joined.clear();
    // A heredoc's body is the instruction's, not instructions.
    if (in.keyword == "RUN" || in.keyword == "COPY" || in.keyword == "ADD")
      for (const auto& [word, dash] : Heredocs(in.args)) {
        for (++i; i < lines.size(); ++i) {
          std::string_view b = lines[i];
          if (dash)
            while (!b.empty() && b.front() == '\t') b.remove_prefix(1);
          if (b == word) break;
          in.args.append("\n").append(b);
        }
      }
    out.push_back(std::move(in));
  }
  return out;
}

// `NAME=value` pairs of ARG and ENV (and ENV's older `NAME value`); a NAME
// alone has no value.
std::vector<std::pair<std::string, std::optional<std::string>>> Assignments(
    std::string_view args, bool env) {
  std::vector<std::pair<std::string, std::optional<std::string>>> out;
  const std::vector<std::string_view> words = Words(args);
  if (env && words.size() >= 2 && words[0].find('=') == std::string_view::npos) {
    const size_t rest = static_cast<size_t>(words[1].data() - args.data());
    out.emplace_back(std::string(words[0]), Unquote(Trim(args.substr(rest))));
    return out;
  }
  for (std::string_view w : words) {
    const size_t eq = w.find('=');
    if (eq == std::string_view::npos)
      out.emplace_back(std::string(w), std::nullopt);
    else
      out.emplace_back(std::string(w.substr(0, eq)), Unquote(w.substr(eq + 1)));
  }
  return out;
}

// A COPY or ADD from the build context.
struct Copy {
  std::vector<std::string> sources;  // relative to the context
  std::string dest;
};

// The words of an exec form (`["a", "b"]`, as JSON) or of a shell form.
std::vector<std::string> CommandWords(std::string_view args) {
  std::vector<std::string> out;
  if (!args.empty() && args.front() == '[') {
    const size_t close = args.rfind(']');
    if (close == std::string_view::npos) return out;
    std::string_view list = args.substr(1, close - 1);
    for (size_t i = 0; i < list.size();) {
      const size_t comma = list.find(',', i);
      const size_t end = comma == std::string_view::npos ? list.size() : comma;
      const std::string_view item = Trim(list.substr(i, end - i));
      if (item.size() >= 2 && item.front() == '"' && item.back() == '"')
        out.emplace_back(item.substr(1, item.size() - 2));
      i = end + 1;
    }
    return out;
  }
  for (std::string_view w : Words(args)) out.push_back(Unquote(w));
  return out;
}

// The files of the context that COPY or ADD `args` puts in the image; none
// for another stage's or image's (`--from`), a heredoc or a URL.
std::optional<Copy> CopyOf(std::string_view args) {
  if (args.find("<<") != std::string_view::npos) return std::nullopt;
  std::vector<std::string> words = CommandWords(args);
  std::vector<std::string> paths;
  for (std::string& w : words) {
    if (w.rfind("--from", 0) == 0) return std::nullopt;
    if (w.rfind("--", 0) != 0) paths.push_back(std::move(w));
  }
  if (paths.size() < 2) return std::nullopt;
  Copy c;
  c.dest = paths.back();
  paths.pop_back();
  for (std::string& p : paths)
    if (p.find("://") == std::string::npos && p.find('$') == std::string::npos)
      c.sources.push_back(std::move(p));
  return c;
}

// `path` from folder `dir`: itself when absolute; "." and "./" dropped.
std::string InDir(const std::string& dir, std::string path) {
  if (!path.empty() && path[0] == '/') return path;
  while (path.compare(0, 2, "./") == 0) path.erase(0, 2);
  if (path == ".") path.clear();
  if (path.empty()) return dir;
  return dir.back() == '/' ? dir + path : dir + "/" + path;
}

std::string_view BaseOf(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// The files of the context that `copies` put where a command word `run`
// names one: by its path ("/app/entrypoint.sh" under `COPY . /app`), or
// by its name alone on the PATH or relative to WORKDIR
// ("docker-entrypoint.sh" copied to /usr/local/bin/).
void AddScripts(const std::string& run, const std::vector<Copy>& copies,
                std::vector<std::string>* out) {
  if (run.empty() || run[0] == '-' || run.find('$') != std::string::npos)
    return;
  auto add = [&](std::string path) {
    while (path.compare(0, 2, "./") == 0) path.erase(0, 2);
    if (path.empty() || path[0] == '/' || path.find("..") != std::string::npos)
      return;
    if (std::find(out->begin(), out->end(), path) == out->end())
      out->push_back(std::move(path));
  };
  const bool by_path = run[0] == '/';
  for (const Copy& c : copies) {
    std::string dest = c.dest;
    const bool into_dir = dest.size() > 1 && dest.back() == '/';
    while (dest.size() > 1 && dest.back() == '/') dest.pop_back();
    for (const std::string& src : c.sources) {
      const std::string_view name = BaseOf(src);
      const bool folder = src == "." || src.back() == '/';
      if (!by_path) {
        if (name == BaseOf(run)) add(src);
        if (folder) add(InDir(src, run));  // where WORKDIR is the copy
        continue;
      }
      if (run == dest && !into_dir && c.sources.size() == 1) add(src);
      const std::string prefix = dest == "/" ? dest : dest + "/";
      if (run.size() > prefix.size() && run.compare(0, prefix.size(), prefix) == 0) {
        const std::string rest = run.substr(prefix.size());
        if (rest == name) add(src);
        add(InDir(src, rest));  // a folder copied
      }
    }
  }
}

struct Assignment {
  std::string name;
  std::optional<std::string> value;  // as written
  bool env = false;                  // ENV, else ARG
};

struct Stage {
  std::string name;  // lower case; empty without AS
  std::string from;  // substituted; empty when a variable has no value
  int from_line = 0;
  size_t parent = std::string::npos;  // the earlier stage it starts from
  std::vector<Assignment> sets;       // its ARG and ENV, in order
  std::string user;                   // its last USER, as written
  int user_line = 0;
  size_t sets_before_user = 0;  // how many of `sets` come before it
  std::string drops_root;       // the first such tool it names
  int drops_root_line = 0;
  std::vector<Copy> copies;     // from the build context
  std::vector<std::string> entrypoint, cmd;  // the last of each
  std::string workdir = "/";    // as far as this file says
};

// Tools an entrypoint uses to start as root and change to its own user:
// gosu and su-exec in most docker-library images, setpriv in redis 8 and
// valkey; setpriv and chroot only with the option that changes user.
struct Dropper {
  std::string_view tool;
  std::string_view option;  // that must follow it; empty: none
  std::string_view name;    // as the advice says it
};
constexpr Dropper kDropsRoot[] = {
    {"gosu", "", "gosu"},
    {"su-exec", "", "su-exec"},
    {"setpriv", "--reuid", "setpriv"},
    {"chroot", "--userspec", kChrootUserspec},
};

// The first of kDropsRoot that `args` names as a word of its own
// ("/usr/local/bin/gosu", "tianon/gosu", not "gosuper"), followed by its
// option where it needs one; by its name.
std::string DropsRoot(std::string_view args) {
  auto word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  };
  for (const Dropper& d : kDropsRoot)
    for (size_t at = args.find(d.tool); at != std::string_view::npos;
         at = args.find(d.tool, at + 1)) {
      const size_t end = at + d.tool.size();
      if ((at > 0 && word(args[at - 1])) ||
          (end < args.size() && word(args[end])))
        continue;
      // The option on the same line, as one command would say it.
      const size_t eol = std::min(args.find('\n', end), args.size());
      if (args.substr(end, eol - end).find(d.option) != std::string_view::npos)
        return std::string(d.name);
    }
  return {};
}

}  // namespace

std::optional<ToolUse> DropsRootIn(std::string_view script) {
  // A program, not a script: its bytes name what it links, not what it runs.
  if (script.substr(0, 4) == "\x7f" "ELF" ||
      script.substr(0, 8192).find('\0') != std::string_view::npos)
    return std::nullopt;
  int line = 0;
  for (size_t start = 0; start < script.size();) {
    size_t end = script.find('\n', start);
    if (end == std::string_view::npos) end = script.size();
    const std::string_view l = Trim(script.substr(start, end - start));
    ++line;
    start = end + 1;
    if (l.empty() || l[0] == '#') continue;
    if (std::string tool = DropsRoot(l); !tool.empty())
      return ToolUse{std::move(tool), line};
  }
  return std::nullopt;
}

DockerfileFacts ReadDockerfile(std::string_view text, const Variables& args,
                               std::string_view target) {
  Variables global;  // ARGs before the first FROM, with their values
  std::vector<Stage> stages;
  std::unordered_map<std::string, size_t> named;  // stage names so far
  for (const Instruction& in : Instructions(text)) {
    if (in.keyword == "FROM") {
      std::vector<std::string_view> w = Words(in.args);
      w.erase(std::remove_if(w.begin(), w.end(),
                             [](std::string_view s) {
                               return s.substr(0, 2) == "--";
                             }),
              w.end());
      if (w.empty()) continue;
      Stage s;
      s.from = InterpolateKnown(w[0], global).value_or("");
      s.from_line = in.line;
      if (auto earlier = named.find(Lower(s.from)); earlier != named.end()) {
        s.parent = earlier->second;
        s.workdir = stages[s.parent].workdir;
      }
      if (w.size() >= 3 && Lower(w[1]) == "as") {
        s.name = Lower(w[2]);
        named[s.name] = stages.size();
      }
      stages.push_back(std::move(s));
      continue;
    }
    const bool arg = in.keyword == "ARG", env = in.keyword == "ENV";
    if ((arg || env) && stages.empty()) {
      for (auto& [name, value] : Assignments(in.args, env)) {
        std::optional<std::string> v;
        if (auto given = args.find(name); arg && given != args.end())
          v = given->second;
        else if (value)
          v = InterpolateKnown(*value, global);
        if (v) global[name] = *v;
        else global.erase(name);
      }
    } else if (arg || env) {
      for (auto& [name, value] : Assignments(in.args, env))
        stages.back().sets.push_back({name, std::move(value), env});
    } else if ((in.keyword == "RUN" || in.keyword == "COPY" ||
                in.keyword == "ADD" || in.keyword == "ENTRYPOINT" ||
                in.keyword == "CMD") &&
               !stages.empty()) {
      Stage& s = stages.back();
      if (std::string tool = s.drops_root.empty() ? DropsRoot(in.args) : "";
          !tool.empty()) {
        s.drops_root = std::move(tool);
        s.drops_root_line = in.line;
      }
      if (in.keyword == "COPY" || in.keyword == "ADD") {
        if (auto copy = CopyOf(in.args)) {
          // A relative destination is in the working directory.
          if (copy->dest[0] != '/') copy->dest = InDir(s.workdir, copy->dest);
          s.copies.push_back(std::move(*copy));
        }
      } else if (in.keyword == "ENTRYPOINT") {
        s.entrypoint = CommandWords(in.args);
      } else if (in.keyword == "CMD") {
        s.cmd = CommandWords(in.args);
      }
    } else if (in.keyword == "WORKDIR" && !stages.empty()) {
      const std::vector<std::string> dir = CommandWords(in.args);
      if (!dir.empty()) stages.back().workdir = InDir(stages.back().workdir, dir[0]);
    } else if (in.keyword == "USER" && !stages.empty()) {
      Stage& s = stages.back();
      s.user = std::string(Trim(in.args));
      s.user_line = in.line;
      s.sets_before_user = s.sets.size();
    }
  }
  DockerfileFacts facts;
  if (stages.empty()) return facts;
  // The stage built, then the stages it starts from, to an image (each
  // starts from an earlier one, so the chain ends).
  size_t k = stages.size() - 1;
  if (!target.empty()) {
    auto it = named.find(Lower(target));
    if (it == named.end()) return facts;
    k = it->second;
  }
  std::vector<size_t> chain{k};
  while (stages[chain.back()].parent != std::string::npos)
    chain.push_back(stages[chain.back()].parent);
  facts.found = true;
  facts.base = stages[chain.back()].from;
  facts.base_line = stages[chain.back()].from_line;
  for (size_t i : chain)
    if (!stages[i].drops_root.empty()) {
      facts.drops_root = stages[i].drops_root;
      facts.drops_root_line = stages[i].drops_root_line;
      break;
    }
  // What the image runs (its own ENTRYPOINT and CMD, else those of the
  // stage it starts from), among what its stages copied in.
  std::vector<Copy> copies;
  const std::vector<std::string>*entrypoint = nullptr, *cmd = nullptr;
  for (size_t i : chain) {
    const Stage& s = stages[i];
    copies.insert(copies.end(), s.copies.begin(), s.copies.end());
    if (!entrypoint && !s.entrypoint.empty()) entrypoint = &s.entrypoint;
    if (!cmd && !s.cmd.empty()) cmd = &s.cmd;
  }
  // A script is among the first words of a command (`tini -- /run.sh`);
  // a bound, so that a command of 10,000 words costs nothing.
  for (const auto* words : {entrypoint, cmd})
    for (size_t j = 0; words && j < std::min<size_t>(words->size(), 8); ++j)
      if (facts.scripts.size() < kMaxScripts)
        AddScripts((*words)[j], copies, &facts.scripts);
  auto with_user = std::find_if(chain.begin(), chain.end(), [&](size_t i) {
    return !stages[i].user.empty();
  });
  if (with_user == chain.end()) return facts;
  // Its variables where it is set: the ENV of the stages it starts from,
  // then the ARG and ENV of its own stage before it. An ARG lasts to the end
  // of its stage; a build arg gives it its value, an ENV of the same name
  // wins over it.
  Variables env, scope;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const Stage& s = stages[*it];
    const bool last = it.base() - 1 == with_user;
    const size_t n = last ? s.sets_before_user : s.sets.size();
    std::vector<std::string> stage_args;
    for (size_t j = 0; j < n; ++j) {
      const Assignment& a = s.sets[j];
      std::optional<std::string> v;
      if (a.env) {
        if (a.value) v = InterpolateKnown(*a.value, scope);
        if (v) env[a.name] = *v;
        else env.erase(a.name);
      } else {
        if (env.count(a.name)) continue;
        if (auto given = args.find(a.name); given != args.end())
          v = given->second;
        else if (a.value)
          v = InterpolateKnown(*a.value, scope);
        else if (auto g = global.find(a.name); g != global.end())
          v = g->second;  // a global ARG declared again in the stage
        stage_args.push_back(a.name);
      }
      if (v) scope[a.name] = *v;
      else scope.erase(a.name);
    }
    if (last) {
      facts.user = InterpolateKnown(s.user, scope).value_or(s.user);
      facts.user_line = s.user_line;
      break;
    }
    for (const std::string& name : stage_args) {
      if (auto e = env.find(name); e != env.end()) scope[name] = e->second;
      else scope.erase(name);
    }
  }
  return facts;
}

}  // namespace harden
