// `--explain`: every decision for every service, in plain words.
#ifndef HARDEN_EXPLAIN_H_
#define HARDEN_EXPLAIN_H_

#include <string>
#include <vector>

#include "harden/resolver.h"

namespace harden {

/// The explanation of one file's plans, labelled with `path`.
std::string Explain(const std::string& path,
                    const std::vector<ServicePlan>& plans,
                    const std::vector<std::string>& notes);

}  // namespace harden

#endif  // HARDEN_EXPLAIN_H_
