// Replays a libFuzzer corpus through LLVMFuzzerTestOneInput when no clang
// with libFuzzer is available (e.g. a GCC-only machine), so that CTest still
// runs the fuzz target over its seeds. Takes libFuzzer's command line:
// options (-runs=N, ...) are ignored, every other argument is a file or a
// directory of files.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size);

namespace fs = std::filesystem;

namespace {

void run_file(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::string bytes{std::istreambuf_iterator<char>(in), {}};
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()),
                         bytes.size());
}

} // namespace

int main(int argc, char** argv) {
  std::size_t runs = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("-", 0) == 0)
      continue;
    std::vector<fs::path> files;
    if (fs::is_directory(arg)) {
      for (auto& e : fs::directory_iterator(arg))
        if (e.is_regular_file())
          files.push_back(e.path());
      std::sort(files.begin(), files.end());
    } else if (fs::is_regular_file(arg)) {
      files.push_back(arg);
    } else {
      std::cerr << "replay: no such file or directory: " << arg << "\n";
      return 1;
    }
    for (auto& f : files)
      run_file(f);
    runs += files.size();
  }
  std::cout << "replay: ran " << runs << " inputs\n";
  return runs > 0 ? 0 : 1;
}
