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
  target_compile_options(pact_warnings INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  target_link_options(pact_warnings INTERFACE -fsanitize=address,undefined)
endif()
