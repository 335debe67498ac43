"""Property tests: every parser answers any input with a value or a typed fcsdk error."""
