"""Benchmarks: `python -m bot.bench lookup [--quick]`, measured in one run and read as ratios."""
