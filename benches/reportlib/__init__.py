"""The parts of benches/report.py, which writes BENCHMARKS.md and the copy plot from criterion's
results of benches/klpelf.rs.

groups: the benchmark groups' variants and parameters; results: reading criterion's estimates
and the bench objects' sizes; stats: ratios within a round and medians over rounds; fmt: how
times, ratios and tables are written; machine: the description of the machine; copy_group and
ingest_group: the tables of each group; linearity: time per section against the count; svg:
the copy plot.
"""
