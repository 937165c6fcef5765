"""``gpf info --plot``: per-partition inner/HALO node and inner/other edge bars."""

from __future__ import annotations

from typing import Any

from gpf.errors import GpfError

__all__ = ["plot_partitions"]


def plot_partitions(info: dict[str, Any], out: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise GpfError("--plot needs matplotlib, which is not installed: pip install 'gpf[plot]'") from None
    parts = info["partitions"]
    ids = [p["part_id"] for p in parts]
    inner = [p["inner_nodes"] for p in parts]
    halo = [p["halo_nodes"] for p in parts]
    ein = [p["inner_edges"] for p in parts]
    eout = [p["edges"] - p["inner_edges"] for p in parts]
    width = max(6.0, min(24.0, 0.35 * len(parts) + 4))
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(width, 6.5), sharex=True)
    ax1.bar(ids, inner, label="inner nodes", color="#3b75af")
    ax1.bar(ids, halo, bottom=inner, label="HALO nodes", color="#ef8636")
    ax1.set_ylabel("nodes")
    ax1.legend(loc="upper right")
    fig.suptitle(f"{info['graph_name']}: {info['num_parts']} partitions\n"
                 f"node balance {info['node_balance']:.2f} (max/mean), edge cut {100 * info['edge_cut_ratio']:.1f}%",
                 fontsize=10)
    ax2.bar(ids, ein, label="inner edges", color="#3b75af")
    ax2.bar(ids, eout, bottom=ein, label="other edges (HALO)", color="#ef8636")
    ax2.set_ylabel("edges")
    ax2.set_xlabel("partition")
    ax2.legend(loc="upper right")
    from matplotlib.ticker import MaxNLocator

    ax2.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in (ax1, ax2):
        ax.set_ylim(top=ax.get_ylim()[1] * 1.25)  # room for the legend above the bars
    fig.tight_layout()
    try:
        fig.savefig(out, dpi=110)
    except OSError as exc:
        raise GpfError(f"{out}: cannot write plot: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
