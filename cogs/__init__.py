"""One module per feature; every module not starting with `_` is loaded on start."""
