# Warnings for the project's own code (not for generated protobuf code).
set(RTML_WARNINGS -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Wno-missing-field-initializers)
