//===- NameSuggestions.cpp - "did you mean" for unknown names -------------===//

#include "frontends/kdl/NameSuggestions.h"

#include "llvm/ADT/StringExtras.h"

std::string kiln::kdl::didYouMean(llvm::StringRef name,
                                  llvm::ArrayRef<std::string> candidates) {
  std::string lowered = name.lower();
  // A typo changes about one character in three; anything further off is
  // more likely another name than a misspelling.
  unsigned best = std::max<unsigned>(1, name.size() / 3) + 1;
  llvm::StringRef choice;
  for (const std::string &candidate : candidates) {
    if (candidate == name) {
      continue;
    }
    std::string other = llvm::StringRef(candidate).lower();
    unsigned distance = llvm::StringRef(lowered).edit_distance(
        other, /*AllowReplacements=*/true, best);
    // An abbreviation or a spelled-out name (`eps` for `epsilon`) is as
    // likely as a typo.
    size_t shorter = std::min(lowered.size(), other.size());
    if (shorter >= 3 && (llvm::StringRef(lowered).starts_with(other) ||
                         llvm::StringRef(other).starts_with(lowered))) {
      distance = std::min(distance, best - 1);
    }
    if (distance < best && distance < name.size()) {
      best = distance;
      choice = candidate;
    }
  }
  if (choice.empty()) {
    return "";
  }
  return "; did you mean '" + choice.str() + "'?";
}
