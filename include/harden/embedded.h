// The files of baselines/, compiled into the binary (see cmake/embed.cmake),
// so that harden finds its shipped baselines and image facts from anywhere.
#ifndef HARDEN_EMBEDDED_H_
#define HARDEN_EMBEDDED_H_

namespace harden {

struct EmbeddedFile {
  const char* name;  ///< file name inside baselines/, e.g. "default.yaml"
  const char* text;
};

extern const EmbeddedFile kEmbeddedFiles[];
extern const int kEmbeddedFileCount;

}  // namespace harden

#endif  // HARDEN_EMBEDDED_H_
