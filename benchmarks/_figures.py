"""What the benchmarks share: resident memory read from /proc, and one line per figure with its
target and ratio (below 1.0 meets it)."""

from __future__ import annotations

import resource


def status_mb(field: str) -> float:
    """A field of /proc/self/status (VmRSS, RssAnon, RssFile...) in MB; 0 where there is none."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def rss_mb() -> float:
    return status_mb("VmRSS") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory() -> str:
    """Resident memory in words: the process's own pages, and the pages of files it maps (the
    libraries; the project file only while a bulk read maps it)."""
    return (f"resident memory {rss_mb():.0f} MB: {status_mb('RssAnon'):.0f} MB its own, "
            f"{status_mb('RssFile'):.0f} MB of mapped files")


def report(label: str, value: float, target: float, unit: str) -> None:
    print(f"{label:<58} {value:10.1f} {unit:<3} target {target:>6g} {unit:<3} ratio {value / target:5.2f}")


def cpu_steal() -> tuple[int, int]:
    """(all CPU time, the part the hypervisor gave to other machines: "steal") from
    /proc/stat, in clock ticks; (0, 0) where there is none. Two readings around a measurement
    tell how much of the machine it had: on a shared virtual machine steal can take half."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return sum(fields[:8]), fields[7] if len(fields) > 7 else 0


def steal_between(before: tuple[int, int], after: tuple[int, int]) -> str:
    """The share of the CPU time stolen between two :func:`cpu_steal` readings, in words."""
    total, stolen = after[0] - before[0], after[1] - before[1]
    if total <= 0:
        return "steal not known"
    return f"{100 * stolen / total:.0f} % of the CPU stolen by the hypervisor meanwhile"
