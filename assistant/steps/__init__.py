"""Step handlers of the executor, one module per family of steps."""
