# rtml_sanitize(target): AddressSanitizer + UndefinedBehaviorSanitizer when RTML_SANITIZE is on.
function(rtml_sanitize target)
  if(RTML_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
if(RTML_SANITIZE)
  # Everything linked into a sanitized binary is instrumented alike.
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
