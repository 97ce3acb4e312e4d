"""Human-readable renderings of runs (text now; HTML reports build on the same values)."""
