"""Imports of PyG partition outputs (placeholder, filled in below)."""


def from_pyg_partitioner(root):
    raise NotImplementedError


def from_cluster_data(path):
    raise NotImplementedError
