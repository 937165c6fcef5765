"""Names of the partition sets real DGL 1.1.3 writes for the oracle tests (tests/oracle/dgl_make_partitions.py)."""

DGL_CASES = ["homo_random_h1", "homo_metis_h2_t2", "homo_one_part",
             "hetero_random_h1", "hetero_metis_h2_t2", "hetero_one_part"]
