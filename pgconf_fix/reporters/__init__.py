"""Output formats. Each reporter renders findings to a string; none of them prints secrets."""
