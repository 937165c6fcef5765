"""Writing a partition set from a graph: the input graph (``graph``, ``inputs``: npz, chunked graphs,
re-partitioning a set), node assignment (``partitioners``: METIS, random, given),
ID reshuffling (``reshuffle``), HALO construction (``halo``), and the two pipelines: in memory
(``writer``: ``gpf.partition``) and out of core (``streaming``)."""
