"""Shared test code: input graphs (writer.py), the DGL-codec oracle helpers (codec.py), defect
injection (defects.py) and one assert helper per kind (asserts.py)."""
