"""HTTP read and write side (Faust web views), thin over domain/ and tables/."""
