# Warning policy for pact's own code. Third-party headers (CAF, generated
# protobuf) are included as SYSTEM so that -Werror applies to our code only.
add_library(pact_warnings INTERFACE)
target_compile_options(pact_warnings INTERFACE -Wall -Wextra -Wpedantic
  -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align)
# -Wnull-dereference is left out: at -O2 it reports false positives inside
# nlohmann_json and protobuf inline code that SYSTEM includes do not silence.
if(PACT_WERROR)
  target_compile_options(pact_warnings INTERFACE -Werror)
endif()
if(PACT_SANITIZE)
  # UBSan stays recoverable so that tests/ubsan.supp can silence reports
  # from CAF's headers; deploy/test.sh --sanitize sets halt_on_error=1, so
  # anything else still fails the test.
  # -fno-sanitize=vptr: CAF 0.17's intrusive queues (header code compiled
  # into our objects) downcast their sentinel node, which the vptr check
  # reports on every message; GCC's UBSan cannot suppress it by file.
  target_compile_options(pact_warnings INTERFACE
    -fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer)
  target_link_options(pact_warnings INTERFACE -fsanitize=address,undefined
    -fno-sanitize=vptr)
endif()
