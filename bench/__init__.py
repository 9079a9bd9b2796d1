"""``make bench``: one job on raw aiokafka, Quix Streams and Faust, then the whole pipeline."""
