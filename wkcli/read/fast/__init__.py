"""Fast paths through large plain dumps, with exactly the results of the general reader."""
